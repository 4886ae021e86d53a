"""The Elasticsearch backend follows the alias: queries are embedded and analysed as the index it serves now says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer import build_from_file
from indexer.elastic import ElasticConfig, ElasticWriter, fetch_documents, physical_indices
from indexer.reader import checked_encoder
from indexer.settings import BuildSettings
from models import encode_queries
from models.encoders import INT8, ONNX
from search.elastic import ElasticBackend
from tests.elastic_server import unique_alias
from tests.helpers import write_jsonl
from web import ServiceConfig, create_app

QUERY = "electric kettle"


@pytest.fixture
def alias(elastic: ElasticConfig):
    name = unique_alias("follow")
    yield name
    client = elastic.client()
    for index in physical_indices(client, name):
        client.indices.delete(index=index, ignore_unavailable=True)


def dense_errors(backend: ElasticBackend, encoder, hits=None) -> float:
    """How far the cluster's dense scores are from the cosines of `encoder`'s query vector with the stored ones."""
    hits = hits or backend.dense.search(QUERY, 8)
    stored = fetch_documents(backend.client, backend.alias, [hit.product_id for hit in hits], ["vector"])
    vector = encode_queries(encoder, [QUERY])[0]
    return max(abs(hit.score - float(np.dot(vector, stored[hit.product_id]["vector"]))) for hit in hits)


def test_a_rebuild_with_another_encoder_and_language_is_followed(
    elastic: ElasticConfig, alias: str, sample_records: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.elastic.LABEL_SECONDS", 0.0)  # every call looks behind the alias
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:40])
    build_from_file(ElasticWriter(elastic, alias), catalogue)
    backend = ElasticBackend(elastic, alias)
    first = backend.encoder
    assert first.name == INT8 and backend.analysis.language == "en"

    # the fp32 graph of the same model: another encoder by name, its vectors close to, not equal to, int8's
    second = build_from_file(ElasticWriter(elastic, alias), catalogue, BuildSettings(language="zh", encoder=ONNX))
    assert backend.label == second.version
    assert backend.encoder.name == ONNX and backend.analysis.language == "zh"
    assert backend.describe().encoder == ONNX and backend.describe().language == "zh"
    assert dense_errors(backend, backend.encoder) < 1e-4  # the query was embedded by the new encoder
    assert dense_errors(backend, first) > 1e-3  # which the old one could not have done
    assert backend.keyword.search(QUERY, 5)  # the query is segmented as the new index's text was

    third = build_from_file(ElasticWriter(elastic, alias), catalogue)
    assert backend.label == third.version
    assert backend.encoder is first and backend.analysis.language == "en"  # switching back loads nothing
    assert dense_errors(backend, first) < 1e-4


def test_no_query_meets_another_encoders_vectors_in_the_moment_after_the_alias_moves(
    elastic: ElasticConfig, alias: str, sample_records: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.elastic.LABEL_SECONDS", 3600.0)  # the backend would not look behind the alias itself
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:40])
    build_from_file(ElasticWriter(elastic, alias), catalogue)
    backend = ElasticBackend(elastic, alias)
    first = backend.encoder
    only = {"keep_versions": 1}  # the index the backend knew is deleted, not kept for a switch back
    second = build_from_file(
        ElasticWriter(elastic, alias), catalogue, BuildSettings(language="zh", encoder=ONNX, **only)
    )

    hits = backend.dense.search(QUERY, 8)  # the index it knew is deleted: it reads the alias again and reruns
    assert backend.label == second.version and backend.encoder.name == ONNX
    assert dense_errors(backend, backend.encoder, hits) < 1e-4
    assert dense_errors(backend, first, hits) > 1e-3
    build_from_file(ElasticWriter(elastic, alias), catalogue, BuildSettings(**only))
    assert backend.keyword.search(QUERY, 5) and backend.analysis.language == "en"  # the keyword leg follows too


def test_an_encoder_that_cannot_be_loaded_is_refused_clearly_and_not_reloaded_per_query(
    elastic: ElasticConfig, alias: str, sample_records: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.elastic.LABEL_SECONDS", 0.0)
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:20])
    build_from_file(ElasticWriter(elastic, alias), catalogue)
    backend = ElasticBackend(elastic, alias)
    app = create_app(ServiceConfig(index=alias, backend="elasticsearch", es_url=elastic.url))
    served = build_from_file(ElasticWriter(elastic, alias), catalogue).version
    client = elastic.client()
    meta = client.indices.get_mapping(index=served)[served]["mappings"]["_meta"]
    client.indices.put_mapping(index=served, meta={**meta, "encoder_sha256": "0" * 64})  # weights not installed here
    loads = []

    def counted(*key: str):
        loads.append(key)
        return checked_encoder(*key)

    monkeypatch.setattr("search.elastic.checked_encoder", counted)
    with pytest.raises(ValueError, match=f"{served} was embedded with {INT8} weights 000000000000") as refused:
        backend.dense.search(QUERY, 5)
    assert "reinstall the same model or rebuild the index" in str(refused.value)
    with pytest.raises(ValueError, match="weights 000000000000"):
        backend.dense.search(QUERY, 5)
    assert len(loads) == 1  # the second query was refused from memory
    assert backend.label == served and backend.keyword.search(QUERY, 5)  # keyword search goes on
    try:  # over HTTP it is the index that is unavailable, not the service that failed
        answer = app.test_client().get("/api/search", query_string={"q": QUERY})
    finally:
        app.extensions["prodsearch.live"].stop()
    assert answer.status_code == 503 and "weights 000000000000" in answer.get_json()["detail"]
