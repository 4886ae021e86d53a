"""The bi-encoder fine-tuned for a few steps, on the sample judgments or on pseudo-queries, then served."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evaluation import read_qrels, read_queries
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from tests.helpers import JUDGMENTS, SAMPLE, prodsearch
from training.mining import NEGATIVE_POOL


def test_encoder_training_and_reembedding(sample_index: Path, tmp_path: Path) -> None:
    import shutil

    from indexer import encoder_for

    root = tmp_path / "index"
    shutil.copytree(sample_index, root)
    out = tmp_path / "encoder"
    result = prodsearch(
        "train",
        "encoder",
        str(root),
        *JUDGMENTS,
        "--out",
        str(out),
        "--min-grade",
        "3",
        "--negatives",
        "1",
        "--max-length",
        "32",
        "--reembed",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "best validation ndcg@10" in result.stdout and "serving v000002" in result.stdout
    report = json.loads((out / "training.json").read_text())
    # a query with ten hybrid hits or fewer has nothing below rank 10 to mine
    assert 0 < report["queries_with_negatives"] <= report["fit_queries"] and report["settings"]["max_length"] == 32
    version = open_index(root)
    assert version.manifest.job == "reembed" and version.manifest.encoder == str(out.resolve())
    encoder = encoder_for(version.manifest)  # query time loads the fine-tuned model named in the manifest
    assert encoder.dimension == 384
    assert SearchPipeline(EmbeddedBackend(version)).search(SearchRequest("cork yoga mat", "dense")).hits


def test_encoder_negatives_are_unjudged_hits_below_the_rank_asked_for(sample_index: Path) -> None:
    from training.encoder import EncoderTrainingSettings, negative_pools

    pipeline = SearchPipeline(EmbeddedBackend(open_index(sample_index)))
    queries, qrels = read_queries(SAMPLE / "queries.tsv"), read_qrels(SAMPLE / "qrels.tsv")
    settings = EncoderTrainingSettings(negatives=1, negatives_from_rank=5)
    pools = negative_pools(pipeline, queries, qrels, sorted(queries), settings, progress=False)
    assert len(pools) == len(queries)
    for qid, query in queries.items():
        response = pipeline.search(SearchRequest(query, "hybrid", size=NEGATIVE_POOL))
        allowed = [hit.product.embedding_text() for hit in response.hits[5:] if hit.product.id not in qrels[qid]]
        assert pools[response.searched] == allowed, query


def test_pseudo_queries_have_no_hard_negatives() -> None:
    from training.encoder import EncoderTrainingSettings

    with pytest.raises(ValueError, match="drop --negatives"):
        EncoderTrainingSettings(negatives=1, pseudo_queries=10)


def test_pseudo_queries_are_cut_from_the_product() -> None:
    from indexer import Product
    from training.encoder import pseudo_query

    kettle = Product(
        "k1",
        "Kettleworth Edge Electric Kettle 1.0 l - Silver",
        category=("Home", "Kitchen", "Kettles"),
        brand="Kettleworth",
        attributes={"colour": ("silver",), "material": ("glass",)},
    )
    allowed = {"kettleworth", "edge", "electric", "kettle", "1.0", "l", "silver", "kettles", "glass"}
    rng = random.Random(1)
    queries = [pseudo_query(kettle, rng) for _ in range(200)]
    assert all(2 <= len(query.split()) <= 5 and set(query.split()) <= allowed for query in queries)
    assert any(query.endswith("1.0 l silver") for query in queries)  # the title's end, often the kind
    assert any("glass" in query for query in queries) and any("kettles" in query for query in queries)
    assert len(set(queries)) > 20


def test_pseudo_query_training_needs_no_judgments(sample_index: Path, tmp_path: Path) -> None:
    import numpy as np

    from indexer import encoder_for
    from models.encoders import REFERENCE, load_encoder

    out = tmp_path / "encoder"
    arguments = ["--pseudo-queries", "96", "--max-length", "32", "--out", str(out)]
    result = prodsearch("train", "encoder", str(sample_index), *arguments)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "trained without validation" in result.stdout and "96 pairs from pseudo-queries" in result.stdout
    tuned = load_encoder(str(out)).encode(["cork yoga mat"])
    assert not np.allclose(tuned, load_encoder(REFERENCE).encode(["cork yoga mat"]), atol=1e-3)
    assert encoder_for  # the folder is what index build/reembed --encoder take


@pytest.mark.fast
def test_encoder_batches_never_hold_a_query_or_a_product_twice() -> None:
    from training.encoder import distinct_batches

    rng = random.Random(5)
    # judgments as shops have them: a few queries with many relevant products, products relevant to many queries
    pairs = [(f"query {rng.randrange(40)}", f"product {rng.randrange(300)}") for _ in range(2_000)]
    pairs += [("red kettle", f"kettle {n}") for n in range(100)]  # one query with more pairs than a batch holds
    batches = distinct_batches(pairs, 32, random.Random(1))
    assert sorted(pair for batch in batches for pair in batch) == sorted(pairs)  # each pair once, none lost
    for batch in batches:
        assert 1 <= len(batch) <= 32
        assert len({query for query, _ in batch}) == len(batch) and len({product for _, product in batch}) == len(batch)
        assert not {query for query, _ in batch} & {product for _, product in batch}
    assert sum(len(batch) == 32 for batch in batches) >= len(pairs) // 32 - 5  # almost all batches full
    # shuffled plainly, a batch of 32 from these pairs nearly always repeats a query
    plain = pairs[:]
    random.Random(1).shuffle(plain)
    assert sum(len({q for q, _ in plain[i : i + 32]}) < 32 for i in range(0, len(plain), 32)) > 0.9 * len(plain) / 32
    assert distinct_batches(pairs, 32, random.Random(1)) == batches  # the seed decides
