"""The command line maps the library's errors to one line and an exit code, and keeps tracebacks behind --debug."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import prodsearch.commands.index
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


def test_an_unknown_encoder_is_bad_input(tmp_path: Path) -> None:
    catalogue = write_jsonl(tmp_path / "shop.jsonl", [{"id": "1", "title": "Kettle"}])
    result = run("index", "build", str(catalogue), "--out", str(tmp_path / "index"), "--encoder", "bert-huge")
    assert result.exit_code == 2 and "unknown encoder 'bert-huge'" in result.output


def test_a_bug_is_not_called_bad_input_and_debug_shows_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise ValueError("an internal value went wrong")

    monkeypatch.setattr(prodsearch.commands.index, "build_index", broken)
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
