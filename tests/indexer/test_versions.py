"""Versions: a job killed with SIGKILL at any moment leaves the served version loadable and unchanged."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import DirectoryWriter, build_from_file, open_index, update_from_files
from indexer.errors import IndexFormatError, IndexNotFoundError, JobError
from indexer.versions import IndexRoot
from tests.helpers import prodsearch, write_jsonl

# Runs the CLI with one library function replaced by a SIGKILL of the process itself.
KILL_AT = """
import os, signal, sys, importlib
module, _, attribute = sys.argv[1].rpartition(".")
owner_path, _, name = module.rpartition(":") if ":" in module else (module, "", "")
target = importlib.import_module(owner_path)
owner = getattr(target, name) if name else target
setattr(owner, attribute, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
sys.argv = ["prodsearch", *sys.argv[2:]]
from prodsearch.cli import main
main()
"""

KILL_POINTS = [
    "indexer.writes.encode_passages",  # before anything is written (a build embeds all, an update what changed)
    "indexer.vocabulary:Vocabulary.write",  # store, dense and keyword written, the vocabulary and manifest not
    "indexer.versions:IndexRoot.point_to",  # version complete and renamed, pointer not switched
    "indexer.versions:IndexRoot.prune",  # new version served, old ones not yet pruned
]


@pytest.fixture
def served(tmp_path: Path, sample_catalogue: Path) -> Path:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    return root


def _snapshot(root: Path) -> tuple[str, str, int]:
    manifest = open_index(root).manifest
    return manifest.version, manifest.store_sha256, manifest.products


def _assert_served_and_recovers(root: Path, before: tuple[str, str, int], delta: Path) -> None:
    after = _snapshot(root)
    assert after == before or (after[0] == "v000002" and after[2] != before[2]), (before, after)
    result = prodsearch("index", "update", str(root), "--upsert", str(delta))
    assert result.returncode == 0, result.stderr  # lock released by the dead job, leftovers cleaned
    assert not list((root / "versions").glob(".tmp-*"))


def _delta(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "delta.jsonl", [{"id": f"NEW-{n}", "title": f"Camping stove {n}"} for n in range(40)])


@pytest.mark.parametrize("point", KILL_POINTS)
@pytest.mark.parametrize("job", ["build", "update"])
def test_kill_at_each_step(tmp_path: Path, served: Path, sample_catalogue: Path, job: str, point: str) -> None:
    before = _snapshot(served)
    delta = _delta(tmp_path)
    arguments = (
        ["index", "build", str(sample_catalogue), "--out", str(served)]
        if job == "build"
        else ["index", "update", str(served), "--upsert", str(delta)]
    )
    result = subprocess.run([sys.executable, "-c", KILL_AT, point, *arguments], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    current = open_index(served).manifest.version
    if point.endswith("prune"):
        assert current == "v000002"  # it was published before the kill
    else:
        assert _snapshot(served) == before
    _assert_served_and_recovers(served, _snapshot(served), delta)


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.0])
def test_kill_at_random_moments_of_a_build(tmp_path: Path, served: Path, sample_catalogue: Path, delay: float) -> None:
    before = _snapshot(served)
    bigger = write_jsonl(
        tmp_path / "bigger.jsonl",
        [{"id": f"P{n}", "title": f"Product {n}", "description": "x " * 50} for n in range(600)],
    )
    job = subprocess.Popen(
        [sys.executable, "-m", "prodsearch", "index", "build", str(bigger), "--out", str(served)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    job.send_signal(signal.SIGKILL)
    job.wait()
    _assert_served_and_recovers(served, before, _delta(tmp_path))


def test_old_versions_are_pruned(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "index"
    for _ in range(4):
        build_from_file(DirectoryWriter(root), sample_catalogue)
    assert IndexRoot(root).names() == ["v000002", "v000003", "v000004"]
    assert open_index(root).manifest.version == "v000004"


def test_pointer_to_a_missing_version_is_reported(served: Path) -> None:
    (served / "CURRENT").write_text("v000042\n")
    with pytest.raises(IndexNotFoundError, match="names 'v000042', which is not a version"):
        open_index(served)


@pytest.mark.parametrize(
    "damage, named",
    [
        (
            lambda v: (v / "products.jsonl").write_text((v / "products.jsonl").read_text().split("\n", 1)[1]),
            "products.jsonl holds 299",
        ),
        (lambda v: (v / "dense.faiss").unlink(), "dense.faiss is missing"),
        (lambda v: (v / "manifest.json").write_text("{"), "manifest.json is not valid JSON"),
        (lambda v: (v / "dense.faiss").write_bytes(b"not a faiss index"), "dense.faiss has sha256"),
        (lambda v: (v / "products.jsonl").write_text('{"id": "1"}\n'), r"products.jsonl, line 1 \(product row 0\)"),
        (lambda v: shutil.rmtree(v / "keyword") or (v / "keyword").mkdir(), r"keyword/[\w.]+ is missing, though"),
    ],
)
def test_damaged_version_names_the_file(served: Path, damage, named: str) -> None:
    damage(IndexRoot(served).current())
    with pytest.raises(IndexFormatError, match=named):
        open_index(served)


def test_a_second_job_fails_at_once(served: Path) -> None:
    with IndexRoot(served).writing():  # noqa: SIM117  (the inner block must run while the outer lock is held)
        with pytest.raises(JobError, match="another indexing job is running"), IndexRoot(served).writing():
            pass


def test_switch_serves_a_kept_version_and_refuses_others(served: Path, tmp_path: Path) -> None:
    update_from_files(DirectoryWriter(served), _delta(tmp_path))
    result = prodsearch("index", "switch", str(served), "v000001")
    assert result.returncode == 0 and f"{served}: serving v000001 with 300 products in" in result.stdout
    assert open_index(served).manifest.version == "v000001"
    missing = prodsearch("index", "switch", str(served), "v000009")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "no version 'v000009'" in missing.stderr and "v000001, v000002" in missing.stderr
    (served / "versions" / "v000002" / "dense.faiss").write_bytes(b"damaged")
    with pytest.raises(IndexFormatError, match="dense.faiss"):
        DirectoryWriter(served).switch("v000002")
    assert open_index(served).manifest.version == "v000001"
