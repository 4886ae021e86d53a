"""Distilling the reranker: a shallower student that reads fewer tokens, taught the teacher's scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from indexer import open_index
from models.cross_encoders import USAGE_FILE, OnnxCrossEncoder, load_cross_encoder, read_usage
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from tests.helpers import JUDGMENTS, SAMPLE, prodsearch
from training.distil import DistilReport, centred_error, kept_layers
from training.errors import TrainingError


@pytest.mark.fast
def test_the_student_keeps_layers_spread_from_the_first() -> None:
    assert kept_layers(6, 3) == [0, 2, 4]
    assert kept_layers(6, 6) == [0, 1, 2, 3, 4, 5]
    assert kept_layers(12, 4) == [0, 3, 6, 9]
    for layers in (0, 7):
        with pytest.raises(TrainingError, match="1..6 layers"):
            kept_layers(6, layers)


@pytest.mark.fast
def test_only_differences_within_a_query_count() -> None:
    teacher = torch.tensor([2.0, 1.0, 0.0, 5.0, 3.0])
    shifted = teacher + torch.tensor([7.0, 7.0, 7.0, -1.0, -1.0])  # another offset for each query
    assert centred_error(shifted, teacher, [3, 2]).item() == pytest.approx(0.0)
    swapped = torch.tensor([0.0, 1.0, 2.0, 5.0, 3.0])  # the first query's order reversed
    assert centred_error(swapped, teacher, [3, 2]).item() == pytest.approx((4 + 0 + 4) / 5)


def test_a_distilled_student_is_smaller_and_reranks(
    sample_index: Path, sample_reranker: tuple[Path, object], tmp_path: Path
) -> None:
    teacher, _ = sample_reranker
    out = tmp_path / "student"
    options = ["--layers", "2", "--max-length", "48", "--max-queries", "12", "--out", str(out)]
    result = prodsearch("train", "distil", str(sample_index), "--teacher", str(teacher), *JUDGMENTS, *options)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "against teacher" in result.stdout and "of the teacher's gain" in result.stdout
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 2
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 48
    report = json.loads((out / "training.json").read_text())
    assert report["layers"] == [0, 3] and report["queries"] <= 12
    assert json.loads((out / USAGE_FILE).read_text()) == report["usage"]

    student = load_cross_encoder(out)
    assert isinstance(student, OnnxCrossEncoder)
    pipeline = SearchPipeline(EmbeddedBackend(open_index(sample_index)), reranker=student)
    response = pipeline.search(SearchRequest("cork yoga mat", "rerank", size=10))
    assert response.hits and (response.rerank or "did not beat hybrid" in response.rerank_off)


def test_without_judgments_the_student_reranks_as_its_teacher_was_chosen_to(
    sample_index: Path, pinned_reranker: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    queries = ["--queries", str(SAMPLE / "queries.tsv"), "--max-queries", "5", "--out", str(out)]
    result = prodsearch("train", "distil", str(sample_index), "--teacher", str(pinned_reranker), *queries)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "reranks as its teacher was chosen to" in result.stdout
    teacher_usage = read_usage(pinned_reranker)
    assert read_usage(out) == teacher_usage  # what serving reads (an int8 export to check that: the test above)
    assert DistilReport.from_json(json.loads((out / "training.json").read_text())).usage == teacher_usage


def test_a_part_of_the_queries_needs_the_judgments_that_split_them(sample_index: Path, tmp_path: Path) -> None:
    queries = ["--queries", str(SAMPLE / "queries.tsv"), "--part", "train", "--out", str(tmp_path / "student")]
    result = prodsearch("train", "distil", str(sample_index), "--teacher", str(tmp_path), *queries)
    assert result.returncode == 2 and "--part train needs --qrels" in result.stderr
