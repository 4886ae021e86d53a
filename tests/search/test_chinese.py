"""A Chinese shop end to end: the Chinese sample catalogue indexed with Chinese analysis and the multilingual
encoder, searched over both backends, updated incrementally, and judged on its own queries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evaluation import MetricSet, evaluate_run, read_qrels, read_queries
from evaluation.metrics import mean
from indexer import DirectoryWriter, build_from_file, open_index, update_from_files
from models.encoders import MULTILINGUAL
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.elastic import ElasticBackend
from tests.elastic_server import unique_alias
from tests.helpers import SAMPLE_ZH, assert_same_by_id, write_jsonl

QUERIES = ["红色连衣裙", "藍牙耳機", "儿童保温杯 500ml", "ＳＮ－９００Ｘ５", "空气炸锅"]


@pytest.fixture(scope="module")
def pipeline(sample_zh_index: Path) -> SearchPipeline:
    return SearchPipeline(EmbeddedBackend(open_index(sample_zh_index)))


def test_a_chinese_catalogue_gets_chinese_analysis_and_the_multilingual_encoder(sample_zh_index: Path) -> None:
    version = open_index(sample_zh_index)
    assert version.settings.language == version.settings.keyword.language == "zh"
    assert version.manifest.encoder == MULTILINGUAL and version.manifest.dimension == 384


def test_every_mode_ranks_the_judged_products_well(pipeline: SearchPipeline) -> None:
    queries, qrels = read_queries(SAMPLE_ZH / "queries.tsv"), read_qrels(SAMPLE_ZH / "qrels.tsv")
    scores = {}
    for mode in ("bm25", "dense", "hybrid"):
        run = {
            qid: [(hit.product.id, hit.score) for hit in pipeline.search(SearchRequest(text, mode, size=100)).hits]
            for qid, text in queries.items()
        }
        scores[mode] = mean(evaluate_run(run, qrels, MetricSet(rel=2))["ndcg@10"])
    assert scores["hybrid"] >= max(scores["bm25"], scores["dense"]) - 0.02, scores
    assert scores["hybrid"] > 0.7, scores


def test_traditional_and_full_width_queries_find_what_simplified_ones_do(pipeline: SearchPipeline) -> None:
    for typed, plain in [("藍牙耳機", "蓝牙耳机"), ("ＳＮ－９００Ｘ５", "sn-900x5"), ("保溫杯", "保温杯")]:
        ids = [[hit.product.id for hit in pipeline.search(SearchRequest(q, "bm25")).hits] for q in (typed, plain)]
        assert ids[0] == ids[1] and ids[0], typed


def test_update_equals_full_rebuild(sample_zh_index: Path, tmp_path: Path) -> None:
    records = [json.loads(line) for line in (SAMPLE_ZH / "products.jsonl").read_text(encoding="utf-8").splitlines()]
    changed = [dict(records[0], title=records[0]["title"] + " 新款"), dict(records[1], price=99.0)]
    added = [dict(records[2], id="ZH-9001", title="暖居 恒温电水壶 1.5L 白色")]
    deleted = [records[3]["id"], records[4]["id"]]
    final = {record["id"]: record for record in records}
    final |= {record["id"]: record for record in changed + added}
    for product_id in deleted:
        del final[product_id]

    incremental, full = shutil.copytree(sample_zh_index, tmp_path / "incremental"), tmp_path / "full"  # built as is
    (tmp_path / "deletes.txt").write_text("\n".join(deleted) + "\n", encoding="utf-8")
    report = update_from_files(
        DirectoryWriter(incremental), write_jsonl(tmp_path / "delta.jsonl", changed + added), tmp_path / "deletes.txt"
    )
    assert report.changes["embedded"] == 2  # the retitled product and the new one
    build_from_file(DirectoryWriter(full), write_jsonl(tmp_path / "final.jsonl", list(final.values())))
    assert_same_by_id(open_index(incremental), open_index(full), [*QUERIES, "恒温电水壶"])


def test_both_backends_search_chinese_alike(elastic, pipeline: SearchPipeline) -> None:
    from indexer.elastic import ElasticWriter

    alias = unique_alias("zh")
    build_from_file(ElasticWriter(elastic, alias), SAMPLE_ZH / "products.jsonl")
    embedded = pipeline.backend
    remote = ElasticBackend(elastic, alias, embedded.encoder)
    assert remote.describe().language == "zh"
    for query in QUERIES:
        local = [hit.product_id for hit in embedded.dense.search(query, 10)]
        assert [hit.product_id for hit in remote.dense.search(query, 10)] == local, query
        keyword_local = {hit.product_id for hit in embedded.keyword.search(query, 10)}
        keyword_remote = {hit.product_id for hit in remote.keyword.search(query, 10)}
        assert keyword_local and len(keyword_local & keyword_remote) >= 0.7 * len(keyword_local), query


def test_similar_products_of_a_chinese_product_are_chinese_products_like_it(pipeline: SearchPipeline) -> None:
    from search.similar import similar

    product = pipeline.backend.version.products[0]
    found = similar(pipeline, product.id, 5)
    assert len(found.hits) == 5 and product.id not in {hit.product.id for hit in found.hits}
    assert sum(hit.product.category == product.category for hit in found.hits) >= 3  # mostly its own kind
