"""`prodsearch synonyms|rules|ranking` as a shop owner runs them, and `prodsearch search --sort` over what they set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import prodsearch


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> str:
    return str(shutil.copytree(sample_index, tmp_path_factory.mktemp("cli-merchandising") / "index"))


def test_synonyms_import_a_solr_file_and_a_bad_line_is_named(index: str, tmp_path: Path) -> None:
    solr = tmp_path / "synonyms.txt"
    solr.write_text("# the shop's own\ncouch, sofa, settee\nsmart phone => iphone, android phone\n", encoding="utf-8")
    imported = prodsearch("synonyms", "import", index, str(solr), check=True)
    assert "2 entries imported, 2 in all" in imported.stdout and "version 1" in imported.stdout
    listed = [json.loads(line) for line in prodsearch("synonyms", "list", index, check=True).stdout.splitlines()]
    assert {"id": "solr-3", "root": "smart phone", "synonyms": ["iphone", "android phone"]} in listed
    solr.write_text("couch, sofa\nlonely\n", encoding="utf-8")
    refused = prodsearch("synonyms", "import", index, str(solr))
    assert refused.returncode == 2 and "line 2 ('lonely') has one phrase and no '=>'" in refused.stderr
    assert len(prodsearch("synonyms", "list", index, check=True).stdout.splitlines()) == 2  # nothing changed


def test_rules_and_ranking_change_what_search_shows(index: str, tmp_path: Path) -> None:
    first = json.loads(prodsearch("search", index, "kettle", "--json", check=True).stdout)["hits"]
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"condition": {"query": "kettle"}, "hide": [first[0]["id"]]}), encoding="utf-8")
    prodsearch("rules", "put", index, "recall", str(rule), check=True)
    shown = json.loads(prodsearch("search", index, "kettle", "--json", check=True).stdout)
    assert first[0]["id"] not in [hit["id"] for hit in shown["hits"]] and shown["rules"] == ["recall"]
    prodsearch("rules", "enable", index, "recall", "--off", check=True)
    assert json.loads(prodsearch("rules", "list", index, check=True).stdout)["enabled"] is False
    missing = prodsearch("rules", "delete", index, "nope")
    assert missing.returncode == 2 and "no rule with id 'nope'" in missing.stderr
    weights = tmp_path / "ranking.json"
    weights.write_text('{"weights": {"rating": 2}}', encoding="utf-8")
    bad = prodsearch("ranking", "set", index, str(weights))
    assert bad.returncode == 2 and "within -1..1" in bad.stderr
    weights.write_text('{"weights": {"rating": 0.5}, "stock": "hide"}', encoding="utf-8")
    prodsearch("ranking", "set", index, str(weights), check=True)
    assert json.loads(prodsearch("ranking", "show", index, check=True).stdout)["stock"] == "hide"
    by_price = prodsearch("search", index, "kettle", "--sort", "price:desc", "--json", check=True)
    hits = json.loads(by_price.stdout)["hits"]
    assert [hit["price"] for hit in hits] == sorted((hit["price"] for hit in hits), reverse=True)
    assert all(hit["in_stock"] for hit in hits)
