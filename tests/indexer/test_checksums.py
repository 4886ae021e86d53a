"""Checksums: every file of a version is checked before it is served; a changed one is refused by name."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from indexer import open_index
from indexer.checksums import version_checksums
from indexer.errors import IndexFormatError
from indexer.versions import IndexRoot
from tests.helpers import prodsearch


@pytest.fixture
def root(tmp_path: Path, sample_index: Path) -> Path:
    """A copy of the sample index to damage (copying is much cheaper than building)."""
    return Path(shutil.copytree(sample_index, tmp_path / "index"))


def flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def segment_file(version: Path, suffix: str) -> str:
    (found,) = (version / "keyword").glob(f"*.{suffix}")
    return f"keyword/{found.name}"


def edit_manifest(version: Path, **changes) -> None:
    manifest = json.loads((version / "manifest.json").read_text())
    manifest.update(changes)
    for key in [key for key, value in changes.items() if value is None]:
        del manifest[key]
    (version / "manifest.json").write_text(json.dumps(manifest))


def test_every_file_but_the_manifest_and_tantivys_bookkeeping_is_listed(root: Path) -> None:
    version = IndexRoot(root).current()
    manifest = open_index(root).manifest
    assert {"products.jsonl", "dense.faiss", "vocabulary.json", "keyword/meta.json"} <= set(manifest.checksums)
    assert {name.rsplit(".", 1)[-1] for name in manifest.checksums if name.startswith("keyword/")} >= {
        "idx",
        "term",
        "pos",
        "store",
        "fast",
        "fieldnorm",
    }
    assert not any(".lock" in name or ".managed" in name or "manifest" in name for name in manifest.checksums)
    open_index(root).keyword.search("kettle", 5)  # opening and searching writes nothing that is checked
    assert version_checksums(version) == manifest.checksums


@pytest.mark.parametrize("part", ["dense.faiss", "vocabulary.json", "keyword/meta.json", "idx", "term", "store"])
def test_a_flipped_bit_in_any_part_is_refused_by_name(root: Path, part: str) -> None:
    version = IndexRoot(root).current()
    name = part if "." in part else segment_file(version, part)
    flip_bit(version / name, 1000)
    with pytest.raises(IndexFormatError, match=rf"{name} has sha256 \w{{12}}, but .*manifest.json says \w{{12}}"):
        open_index(root)


def test_an_edited_store_that_still_parses_is_refused(root: Path) -> None:
    store = IndexRoot(root).current() / "products.jsonl"
    store.write_text(store.read_text().replace('"price": 24.99', '"price": 2.49', 1))
    with pytest.raises(IndexFormatError, match=r"products.jsonl has sha256 .* the file changed after"):
        open_index(root)


def test_a_broken_store_line_is_named_by_line_and_row(root: Path) -> None:
    store = IndexRoot(root).current() / "products.jsonl"
    lines = store.read_text().splitlines(keepends=True)
    lines[41] = lines[41][:30] + "\n"
    store.write_text("".join(lines))
    with pytest.raises(IndexFormatError, match=r"products.jsonl, line 42 \(product row 41\) is not a stored product"):
        open_index(root)


def test_a_listed_file_that_is_gone_is_named(root: Path) -> None:
    version = IndexRoot(root).current()
    name = segment_file(version, "pos")
    (version / name).unlink()
    with pytest.raises(IndexFormatError, match=rf"{name} is missing, though .*manifest.json lists it"):
        open_index(root)


def test_a_manifest_without_a_parts_checksum_is_refused(root: Path) -> None:
    version = IndexRoot(root).current()
    checksums = dict(open_index(root).manifest.checksums)
    del checksums["dense.faiss"]
    edit_manifest(version, checksums=checksums)
    with pytest.raises(IndexFormatError, match="lists no checksum for dense.faiss"):
        open_index(root)


def test_a_format_1_version_is_served_with_a_warning_and_its_store_still_checked(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    version = IndexRoot(root).current()
    edit_manifest(version, format_version=1, checksums=None)
    flip_bit(version / "dense.faiss", 1000)  # format 1 has no checksum for it: loaded as it is
    with caplog.at_level(logging.WARNING, logger="indexer.reader"):
        assert len(open_index(root).products) == 300
    assert "written before per-file checksums (manifest format 1)" in caplog.text
    store = version / "products.jsonl"
    store.write_text(store.read_text().replace('"price": 24.99', '"price": 2.49', 1))
    with pytest.raises(IndexFormatError, match=r"products.jsonl has sha256"):
        open_index(root)


def test_an_unknown_format_says_to_rebuild(root: Path) -> None:
    edit_manifest(IndexRoot(root).current(), format_version=4)
    with pytest.raises(IndexFormatError, match="format version 4, this prodsearch reads 1, 2 and 3; rebuild"):
        open_index(root)


def test_the_cli_refuses_a_damaged_version_with_the_file_and_exit_2(root: Path) -> None:
    flip_bit(IndexRoot(root).current() / "dense.faiss", 5000)
    result = prodsearch("search", str(root), "kettle")
    assert result.returncode == 2, result.stderr
    assert "dense.faiss has sha256" in result.stderr and "Traceback" not in result.stderr
