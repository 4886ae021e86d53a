"""Build and update jobs: round trip, the manifest, and incremental == full rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import (
    BuildSettings,
    DirectoryWriter,
    Product,
    build_from_file,
    open_index,
    read_catalogue,
    update_from_files,
)
from indexer.dense import DenseSettings
from indexer.errors import IndexerError
from indexer.manifest import FORMAT_VERSION
from indexer.reader import open_version
from indexer.vocabulary import Vocabulary
from indexer.writes import check_delta
from models.encoders import DEFAULT_ENCODER
from tests.helpers import SAMPLE, assert_same_by_id, prodsearch, write_jsonl


def test_round_trip_keeps_every_product_and_field(sample_index: Path, sample_catalogue: Path) -> None:
    version = open_index(sample_index)
    expected = sorted(read_catalogue(sample_catalogue).products, key=lambda product: product.id)
    assert version.products == expected
    assert len(version.dense) == len(version.keyword) == version.manifest.products == 300
    kettle = version.products[version.row_of["SKU-1001"]]
    assert kettle.category == ("Home", "Kitchen", "Kettles") and kettle.attributes["colour"] == ("silver",)


def test_manifest_records_what_query_time_needs(sample_index: Path, sample_catalogue: Path) -> None:
    manifest = open_index(sample_index).manifest
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.encoder == DEFAULT_ENCODER and manifest.dimension == 384
    assert len(manifest.encoder_sha256) == 64 and len(manifest.catalogue_sha256) == 64
    assert manifest.dense_kind == "flat"
    assert manifest.settings["keyword"]["field_boosts"] == {"title": 2.0}
    assert manifest.catalogue == str(sample_catalogue.resolve())


def test_both_indexes_find_the_product(sample_index: Path) -> None:
    from indexer import encoder_for

    version = open_index(sample_index)
    keyword_rows = [row for row, _ in version.keyword.search("espresso machine", 5)]
    assert all("Coffee Machine" in version.products[row].title for row in keyword_rows)
    query = encoder_for(version.manifest).encode(["something to make espresso at home"])[0]
    _, dense_rows = version.dense.search(query, 5)
    assert sum("Coffee" in version.products[row].title for row in dense_rows) >= 4


def test_info_prints_the_manifest(sample_index: Path) -> None:
    text = prodsearch("index", "info", str(sample_index), check=True).stdout
    assert "products  300" in text and DEFAULT_ENCODER in text
    manifest = json.loads(prodsearch("index", "info", str(sample_index), "--json", check=True).stdout)
    assert manifest["products"] == 300 and manifest["version"] == "v000001"


def test_bad_catalogue_fails_the_cli_and_writes_nothing(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "a", "title": "Kettle"}, {"id": "b", "price": -1}])
    result = prodsearch("index", "build", str(bad), "--out", str(tmp_path / "index"))
    assert result.returncode == 2
    assert "line 2: field 'title' is required; field 'price'" in result.stderr
    assert not (tmp_path / "index").exists()


def test_a_deeply_nested_line_fails_the_cli_with_its_line_and_exit_2(tmp_path: Path) -> None:
    nested = tmp_path / "nested.jsonl"
    nested.write_text(
        '{"id": "a", "title": "Kettle"}\n{"id": "b", "title": "Pan", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
        encoding="utf-8",
    )
    result = prodsearch("index", "build", str(nested), "--out", str(tmp_path / "index"))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "line 2: JSON nested too deeply to read" in result.stderr and "Traceback" not in result.stderr


def test_missing_index_is_one_clear_line(tmp_path: Path) -> None:
    result = prodsearch("index", "info", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: no index at") and len(result.stderr.strip().splitlines()) == 1


def _final_catalogue(records: list[dict]) -> tuple[list[dict], list[dict], list[str]]:
    """(final catalogue, upsert delta, deleted ids) from the sample: texts, prices and new products."""
    delta = [
        dict(records[0], title=records[0]["title"] + " with Tea Infuser"),  # text change: re-embedded
        dict(records[1], price=5.0),  # price change only: vector reused
        dict(records[2], description="Rewritten: a quiet kettle for night-time tea."),
        {
            "id": "SKU-9001",
            "title": "Alpenware Trek Camping Stove",
            "description": "Gas stove for camping.",
            "price": 39.0,
        },
        {
            "id": "SKU-0500",
            "title": "Brevilla Zen Tea Maker - Green",
            "category": "Home > Kitchen > Kettles",
            "brand": "Teawright",
            "price": 89.0,
            "attributes": {"colour": "jade"},
        },
    ]
    deleted = [records[10]["id"], records[200]["id"], records[299]["id"]]
    by_id = {record["id"]: record for record in records}
    for record in delta:
        by_id[record["id"]] = record
    for product_id in deleted:
        del by_id[product_id]
    return list(by_id.values()), delta, deleted


def test_update_equals_full_rebuild(tmp_path: Path, sample_catalogue: Path, sample_records: list[dict]) -> None:
    final, delta, deleted = _final_catalogue(sample_records)
    incremental = tmp_path / "incremental"
    build_from_file(DirectoryWriter(incremental), sample_catalogue)
    (tmp_path / "deletes.txt").write_text("\n".join(deleted) + "\nSKU-NOPE\n", encoding="utf-8")
    report = update_from_files(
        DirectoryWriter(incremental), write_jsonl(tmp_path / "delta.jsonl", delta), tmp_path / "deletes.txt"
    )
    assert report.changes == {"added": 2, "changed": 3, "unchanged": 0, "deleted": 3, "embedded": 4}
    assert report.unknown_deletes == ["SKU-NOPE"] and open_index(incremental).manifest.parent == "v000001"

    full = tmp_path / "full"
    final_catalogue = write_jsonl(tmp_path / "final.jsonl", final[::-1])  # order of the file must not matter
    build_from_file(DirectoryWriter(full), final_catalogue)
    updated, rebuilt = open_index(incremental), open_index(full)
    assert updated.manifest.rows == 300 + 2 + 2 and updated.manifest.products == rebuilt.manifest.products == 299
    queries = [line.split("\t")[1].strip() for line in (SAMPLE / "queries.tsv").read_text().splitlines()]
    assert_same_by_id(updated, rebuilt, queries + ["tea infuser", "camping stove", "quiet kettle night"])
    assert [updated.rows[row].id for row, _ in updated.keyword.search("tea infuser", 1)] == [sample_records[0]["id"]]
    assert not any(product_id in updated.row_of for product_id in deleted)
    # query understanding's vocabulary is refreshed by the update: a new brand and colour are known at once
    assert updated.vocabulary == rebuilt.vocabulary == Vocabulary.of(rebuilt.products)
    assert "Teawright" in updated.vocabulary.brands and "jade" in updated.vocabulary.attributes["colour"]
    assert "Teawright" not in open_version(incremental / "versions" / "v000001").vocabulary.brands


def test_update_without_changes_publishes_nothing(
    tmp_path: Path, sample_catalogue: Path, sample_records: list[dict]
) -> None:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    report = update_from_files(DirectoryWriter(root), write_jsonl(tmp_path / "same.jsonl", sample_records[:3]))
    assert not report.published and open_index(root).manifest.version == "v000001"


def test_update_refuses_an_id_both_upserted_and_deleted(
    tmp_path: Path, sample_index: Path, sample_records: list[dict]
) -> None:
    (tmp_path / "deletes.txt").write_text(sample_records[0]["id"] + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="both upserted and deleted"):
        update_from_files(
            DirectoryWriter(sample_index),
            write_jsonl(tmp_path / "delta.jsonl", sample_records[:1]),
            tmp_path / "deletes.txt",
        )


def test_bad_update_leaves_the_served_version_alone(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    bad = write_jsonl(tmp_path / "delta.jsonl", [{"id": "SKU-1001", "title": "Kettle", "price": "free"}])
    result = prodsearch("index", "update", str(root), "--upsert", str(bad))
    assert result.returncode == 2 and "line 1: field 'price'" in result.stderr
    assert open_index(root).manifest.version == "v000001"
    assert sorted(path.name for path in (root / "versions").iterdir()) == ["v000001"]


def test_hnsw_index_is_built_on_request_and_by_size(tmp_path: Path, sample_catalogue: Path) -> None:
    from indexer import BuildSettings, encoder_for
    from indexer.dense import DenseSettings

    by_flag = tmp_path / "hnsw"
    assert (
        prodsearch("index", "build", str(sample_catalogue), "--out", str(by_flag), "--dense-index", "hnsw").returncode
        == 0
    )
    by_size = tmp_path / "auto"
    build_from_file(DirectoryWriter(by_size), sample_catalogue, BuildSettings(dense=DenseSettings(hnsw_threshold=100)))
    exact = tmp_path / "flat"
    build_from_file(DirectoryWriter(exact), sample_catalogue, BuildSettings(dense=DenseSettings(kind="flat")))
    versions = [open_index(root) for root in (by_flag, by_size, exact)]
    assert [version.manifest.dense_kind for version in versions] == ["hnsw", "hnsw", "flat"]
    query = encoder_for(versions[0].manifest).encode(["cork yoga mat"])[0]
    approximate, flat = versions[0].dense.search(query, 10)[1], versions[2].dense.search(query, 10)[1]
    assert len(set(approximate) & set(flat)) >= 9  # HNSW at 300 products finds (nearly) the exact neighbours


def test_cli_skip_invalid_reports_and_indexes_the_rest(tmp_path: Path) -> None:
    records = [
        {"id": "a", "title": "Red kettle"},
        {"id": "b", "title": ""},
        {"id": "c", "title": "Blue kettle", "colour": "x"},
    ]
    result = prodsearch(
        "index",
        "build",
        str(write_jsonl(tmp_path / "cat.jsonl", records)),
        "--out",
        str(tmp_path / "ix"),
        "--skip-invalid",
    )
    assert result.returncode == 0, result.stderr
    assert "skipped line 2: field 'title'" in result.stderr and "ignored unknown fields: colour" in result.stderr
    assert "serving v000001 with 2 products" in result.stdout


def test_cli_search_prints_ranked_products(sample_index: Path) -> None:
    text = prodsearch("search", str(sample_index), "red kettle", check=True).stdout
    first = text.splitlines()[0]
    assert first.startswith("  1.") and "Kettle" in first and "Red" in first
    hits = json.loads(
        prodsearch("search", str(sample_index), "keep drinks cold", "--mode", "dense", "--json", check=True).stdout
    )["hits"]
    assert len(hits) == 10 and "Bottle" in hits[0]["title"]
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)


def test_help_of_every_command_exits_0() -> None:
    for command in (
        ["--help"],
        ["index", "--help"],
        ["index", "build", "--help"],
        ["train", "--help"],
        ["eval", "--help"],
    ):
        result = prodsearch(*command)
        assert result.returncode == 0 and "Usage:" in result.stdout and not result.stderr, command


def test_an_update_refuses_one_id_given_as_a_string() -> None:
    # "ab" would otherwise delete the products "a" and "b"
    with pytest.raises(IndexerError, match="list of product ids"):
        check_delta((), "ab")
    assert check_delta((), ["ab", "ab"]) == ["ab"]


def test_an_update_is_written_on_top_of_its_parent_until_too_many_rows_are_empty(
    tmp_path: Path, sample_catalogue: Path, sample_records: list[dict]
) -> None:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue, BuildSettings(dense=DenseSettings(kind="hnsw")))
    ids = [record["id"] for record in sample_records]
    cheaper = Product.from_record({**open_index(root).products[0].to_record(), "price": 1.0})
    DirectoryWriter(root).update([cheaper], ids[100:110])
    small = open_index(root)
    assert (small.manifest.rows, small.manifest.products, small.manifest.dense_kind) == (300, 290, "hnsw")
    assert small.rows[0] == cheaper and small.rows[100] is None  # a price change keeps its row, a delete empties one
    open_version(root / "versions" / "v000001")  # the parent's files, shared by links, are as it wrote them
    vector = small.dense.matrix()[105]  # a deleted product's own vector finds everything but it
    assert 105 not in small.dense.search(vector, 20)[1] and len(small.dense.search(vector, 20)[1]) == 20
    DirectoryWriter(root).update((), ids[110:170])  # 70 of 300 rows would be empty: written whole again
    whole = open_index(root)
    assert whole.manifest.rows == whole.manifest.products == 230 and None not in whole.rows
    assert [product.id for product in whole.products] == sorted(ids[:100] + ids[170:])
