"""Training for a few steps on the sample judgments gives a loadable model that changes the ranking."""

from __future__ import annotations

import json
from pathlib import Path

from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.reranker import CrossEncoderReranker
from tests.helpers import JUDGMENTS, prodsearch


def test_a_few_steps_make_a_reranker(sample_index: Path, sample_reranker: tuple[Path, object]) -> None:
    out, result = sample_reranker
    assert "best validation nDCG@10" in result.stdout
    report = json.loads((out / "training.json").read_text())
    assert report["pairs"] == 96 and report["history"][0]["step"] == 0 and len(report["history"]) >= 2

    reranker = CrossEncoderReranker(out)
    pipeline = SearchPipeline(EmbeddedBackend(open_index(sample_index)), reranker=reranker)
    hybrid = pipeline.search(SearchRequest("cork yoga mat", "hybrid", size=20))
    reranked = pipeline.search(SearchRequest("cork yoga mat", "rerank", size=20, explain=True))
    assert reranked.rerank is True
    assert [h.product.id for h in reranked.hits] != [h.product.id for h in hybrid.hits]
    assert {h.product.id for h in reranked.hits} <= {
        h.product.id for h in pipeline.search(SearchRequest("cork yoga mat", "hybrid", size=50)).hits
    }
    scores = [hit.explain.rerank_score for hit in reranked.hits]
    assert scores == sorted(scores, reverse=True) and all(
        hit.score == hit.explain.rerank_score for hit in reranked.hits
    )


def test_reranker_directory_must_exist(tmp_path: Path) -> None:
    import pytest

    with pytest.raises(FileNotFoundError, match="no cross-encoder at"):
        CrossEncoderReranker(tmp_path)


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
        "--reembed",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "best validation nDCG@10" in result.stdout and "serving v000002" in result.stdout
    version = open_index(root)
    assert version.manifest.job == "reembed" and version.manifest.encoder == str(out.resolve())
    encoder = encoder_for(version.manifest)  # query time loads the fine-tuned model named in the manifest
    assert encoder.dimension == 384
    assert SearchPipeline(EmbeddedBackend(version)).search(SearchRequest("cork yoga mat", "dense")).hits
