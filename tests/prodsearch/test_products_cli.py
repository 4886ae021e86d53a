"""`prodsearch products put|patch|delete|import` against a real service: what a shop's scripts see."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from prodsearch.cli import main
from tests.helpers import free_port, serving, write_jsonl

TOKEN = "products-cli-test-token-7f3a"  # the service's admin token: 16 or more characters
TEAPOT = {"title": "Zorblax Quantum Teapot", "description": "A teapot that brews in two places at once.", "price": 49.0}


def products(*arguments: str, token: str | None = TOKEN, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`prodsearch products ...` as a shop's script runs it, with the token in the environment."""
    unset = ("PRODSEARCH_ADMIN_TOKEN", "PRODSEARCH_URL")
    environment = {name: value for name, value in os.environ.items() if name not in unset}
    environment |= {"PRODSEARCH_ADMIN_TOKEN": token} if token else {}
    command = [sys.executable, "-m", "prodsearch", "products", *arguments]
    return subprocess.run(command, capture_output=True, text=True, input=stdin, env=environment)


@pytest.fixture(scope="module")
def service(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One service for the module, over a copy of the shared sample index (writes change the index)."""
    index = tmp_path_factory.mktemp("products-cli") / "index"
    shutil.copytree(sample_index, index)
    with serving(index, env={"PRODSEARCH_ADMIN_TOKEN": TOKEN, "PRODSEARCH_EVENTS_DB": "off"}) as (url, _):
        yield url


def stored(url: str, product_id: str) -> requests.Response:
    return requests.get(f"{url}/api/products/{product_id}", timeout=30)


def test_put_with_wait_is_searchable_at_once(service: str) -> None:
    result = products("put", "TEA-1", "-", "--url", service, "--wait", stdin=json.dumps(TEAPOT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("put TEA-1: task ") and " applied, etag " in result.stdout
    hits = requests.get(f"{service}/api/search", params={"q": "zorblax quantum teapot"}, timeout=30).json()["hits"]
    assert hits[0]["id"] == "TEA-1"


def test_patch_changes_one_field_and_if_match_guards_it(service: str, tmp_path: Path) -> None:
    assert products("put", "TEA-2", "-", "--url", service, stdin=json.dumps(TEAPOT)).returncode == 0
    patch = tmp_path / "patch.json"
    patch.write_text('{"price": 12.5, "description": null}', encoding="utf-8")
    result = products("patch", "TEA-2", f"@{patch}", "--url", service, "--wait")
    assert result.returncode == 0, result.stderr
    found = stored(service, "TEA-2")
    assert found.json()["price"] == 12.5 and found.json()["title"] == TEAPOT["title"]
    assert not found.json()["description"]  # null removed it
    stale = products("patch", "TEA-2", '{"price": 1}', "--url", service, "--if-match", '"stale"')
    assert stale.returncode == 2 and "conflict" in stale.stderr and "HTTP 409" in stale.stderr
    fresh = products("patch", "TEA-2", '{"price": 13}', "--url", service, "--if-match", found.headers["ETag"], "--wait")
    assert fresh.returncode == 0, fresh.stderr
    assert stored(service, "TEA-2").json()["price"] == 13


def test_delete_of_an_id_with_a_slash_then_it_is_gone(service: str) -> None:
    assert products("put", "shelf/TEA-3", "-", "--url", service, "--wait", stdin=json.dumps(TEAPOT)).returncode == 0
    assert stored(service, "shelf/TEA-3").status_code == 200
    result = products("delete", "shelf/TEA-3", "--url", service, "--wait")
    assert result.returncode == 0 and result.stdout.startswith("delete shelf/TEA-3: task "), result.stderr
    assert stored(service, "shelf/TEA-3").status_code == 404
    again = products("delete", "shelf/TEA-3", "--url", service)
    assert again.returncode == 2 and "no product with id 'shelf/TEA-3'" in again.stderr


def test_import_sends_batches_and_prints_a_summary(service: str, tmp_path: Path) -> None:
    records = [{**TEAPOT, "id": f"IMP-{number}", "title": f"Imported kettle {number}"} for number in range(3)]
    catalogue = write_jsonl(tmp_path / "products.jsonl", records)
    result = products("import", str(catalogue), "--url", service, "--batch-size", "2", "--wait")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent 3 products in 2 batches (tasks ") and "all applied" in result.stdout
    assert "products/s" in result.stdout
    assert all(stored(service, f"IMP-{number}").status_code == 200 for number in range(3))


def test_import_of_a_bad_product_names_its_line_and_field_and_stores_nothing_of_its_batch(
    service: str, tmp_path: Path
) -> None:
    records = [{**TEAPOT, "id": f"BAD-{number}"} for number in range(3)]
    records[1]["price"] = "abc"
    catalogue = write_jsonl(tmp_path / "products.jsonl", records)
    result = products("import", str(catalogue), "--url", service)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        f"{catalogue}, line 2: field 'price'" in result.stderr
        and "none of it stored (nothing before it)" in result.stderr
    )
    array = tmp_path / "products.json"
    array.write_text(json.dumps(records, indent=2), encoding="utf-8")
    result = products("import", str(array), "--url", service)
    assert result.returncode == 2 and f"{array}, item 2: field 'price'" in result.stderr
    assert all(stored(service, f"BAD-{number}").status_code == 404 for number in range(3))


def test_import_stopped_at_a_later_batch_says_what_the_earlier_ones_stored(service: str, tmp_path: Path) -> None:
    records = [{**TEAPOT, "id": f"HALF-{number}"} for number in range(4)]
    records[3]["title"] = ""
    catalogue = write_jsonl(tmp_path / "products.jsonl", records)
    result = products("import", str(catalogue), "--url", service, "--batch-size", "2")
    assert result.returncode == 2 and f"{catalogue}, line 4: field 'title'" in result.stderr
    assert "batch 2 of 2 was refused, none of it stored (2 products before it stored as tasks " in result.stderr
    assert [stored(service, f"HALF-{n}").status_code for n in range(4)] == [200, 200, 404, 404]


def test_a_wrong_or_missing_token_is_one_readable_line_that_never_shows_the_token(service: str) -> None:
    wrong = "not-the-admin-token-9c1e"
    result = products("put", "TEA-4", "-", "--url", service, token=wrong, stdin=json.dumps(TEAPOT))
    assert result.returncode == 2 and result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "HTTP 403" in result.stderr and wrong not in result.stdout + result.stderr
    missing = products("delete", "TEA-4", "--url", service, token=None)
    assert missing.returncode == 2 and "HTTP 401" in missing.stderr and "PRODSEARCH_ADMIN_TOKEN" in missing.stderr
    assert stored(service, "TEA-4").status_code == 404


@pytest.mark.fast
def test_a_closed_port_says_the_service_is_not_running() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["products", "delete", "X", "--url", url], env={"PRODSEARCH_ADMIN_TOKEN": TOKEN})
    assert result.exit_code == 1 and f"nothing answers at {url}: the service is not running" in result.output


@pytest.mark.fast
def test_lines_that_are_not_products_are_listed_before_anything_is_sent(tmp_path: Path) -> None:
    catalogue = tmp_path / "products.jsonl"
    catalogue.write_text('{"id": "1", "title": "Kettle"}\n{"id": "2", \n\n[1]\n', encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: a request would fail with exit 1
    result = CliRunner().invoke(main, ["products", "import", str(catalogue), "--url", url])
    assert result.exit_code == 2, result.output
    assert f"{catalogue}, line 2: not JSON" in result.output and f"{catalogue}, line 4: a product is a JSON object" in (
        result.output
    )
