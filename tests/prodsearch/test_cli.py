"""The command line maps the library's errors to one line and an exit code, and keeps tracebacks behind --debug."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import DirectoryWriter
from prodsearch.cli import main
from tests.helpers import write_jsonl

pytestmark = pytest.mark.fast


def run(*arguments: str):
    return CliRunner().invoke(main, list(arguments))


def test_a_bad_catalogue_is_bad_input_with_its_line(tmp_path: Path) -> None:
    catalogue = write_jsonl(tmp_path / "shop.jsonl", [{"id": "1", "title": "Kettle"}, {"id": "2", "price": -1}])
    result = run("index", "build", str(catalogue), "--out", str(tmp_path / "index"))
    assert result.exit_code == 2
    assert "line 2" in result.output and "title" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "index").exists()


def test_a_missing_index_is_bad_input(tmp_path: Path) -> None:
    result = run("index", "info", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and result.output.startswith("error: ") and len(result.output.splitlines()) == 1


def test_switching_or_updating_a_missing_index_is_bad_input_and_leaves_nothing(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("1\n", encoding="utf-8")
    for verb in (
        ["switch", str(tmp_path / "nowhere"), "v000001"],
        ["update", str(tmp_path / "nowhere"), "--delete", str(ids)],
    ):
        result = run("index", *verb)
        assert result.exit_code == 2 and result.output.startswith("error: no index at"), verb
        assert not (tmp_path / "nowhere").exists(), verb  # a mistyped path gets no folders


def test_an_unknown_encoder_is_bad_input(tmp_path: Path) -> None:
    catalogue = write_jsonl(tmp_path / "shop.jsonl", [{"id": "1", "title": "Kettle"}])
    result = run("index", "build", str(catalogue), "--out", str(tmp_path / "index"), "--encoder", "bert-huge")
    assert result.exit_code == 2 and "unknown encoder 'bert-huge'" in result.output


def test_a_bug_is_not_called_bad_input_and_debug_shows_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise ValueError("an internal value went wrong")

    monkeypatch.setattr(DirectoryWriter, "build", broken)
    catalogue = write_jsonl(tmp_path / "shop.jsonl", [{"id": "1", "title": "Kettle"}])
    result = run("index", "build", str(catalogue), "--out", str(tmp_path / "index"))
    assert result.exit_code == 1
    assert "unexpected ValueError: an internal value went wrong" in result.output and "--debug" in result.output
    debug = run("--debug", "index", "build", str(catalogue), "--out", str(tmp_path / "index"))
    assert isinstance(debug.exception, ValueError) and debug.exit_code == 1


def test_judgment_files_must_exist(tmp_path: Path) -> None:
    result = run("eval", str(tmp_path), "--queries", str(tmp_path / "q.tsv"), "--qrels", str(tmp_path / "r.tsv"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_an_unknown_mode_is_named(tmp_path: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("1\tkettle\n")
    qrels = tmp_path / "r.tsv"
    qrels.write_text("1 0 a 1\n")
    result = run("eval", str(tmp_path), "--queries", str(queries), "--qrels", str(qrels), "--modes", "bm25,fuzzy")
    assert result.exit_code == 2 and "unknown mode 'fuzzy'" in result.output


LATIN1 = "caf\u00e9\tkettle\n".encode("latin-1")


def test_judgments_that_are_not_utf8_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_bytes(b"1\t" + LATIN1)
    (tmp_path / "r.tsv").write_text("1 0 a 1\n")
    result = run("eval", str(tmp_path), "--queries", str(tmp_path / "q.tsv"), "--qrels", str(tmp_path / "r.tsv"))
    assert result.exit_code == 2 and "q.tsv is not UTF-8" in result.output


def test_an_ids_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_bytes(LATIN1)
    result = run("index", "update", str(tmp_path / "index"), "--delete", str(tmp_path / "ids.txt"))
    assert result.exit_code == 2 and "ids.txt is not UTF-8" in result.output


def test_a_broken_cross_encoder_folder_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "rr").mkdir()
    (tmp_path / "rr" / "config.json").write_text("{")
    result = run("search", str(tmp_path / "index"), "kettle", "--reranker", str(tmp_path / "rr"))
    assert result.exit_code == 2 and "cannot load the cross-encoder in" in result.output


def test_a_file_given_as_index_is_bad_input(tmp_path: Path) -> None:
    catalogue = write_jsonl(tmp_path / "shop.jsonl", [{"id": "1", "title": "Kettle"}])
    result = run("index", "info", str(catalogue))
    assert result.exit_code == 2 and "no index at" in result.output


def test_tune_offers_every_metric_the_report_computes() -> None:
    from evaluation import MetricSet
    from prodsearch.commands.relevance import METRICS

    assert tuple(MetricSet().measures()) == METRICS
