"""Every id the catalogue reader accepts can be fetched back through the API's URL, exactly as written."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import requests

from indexer import DirectoryWriter, build_from_file
from tests.helpers import LiveServer
from web import ServiceConfig, create_app

# the awkward ids the reader keeps; the ones it refuses (leading '/', '.' and '..' segments, controls,
# padding) are in test_catalogue.py
ACCEPTED = ["SKU 1", "a/b", "a/b/", "a//b", "ü/中", "a%2Fb", "a?b#c", "x.y", "...", "a/.b", "a\\b", "a+b", "a\u00a0b"]


def test_accepted_ids_are_served_by_their_url(tmp_path: Path) -> None:
    catalogue = tmp_path / "ids.jsonl"
    records = [{"id": product_id, "title": f"Product {n}"} for n, product_id in enumerate(ACCEPTED)]
    catalogue.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    build_from_file(DirectoryWriter(tmp_path / "index"), catalogue)
    server = LiveServer(create_app(ServiceConfig(index=str(tmp_path / "index"))))
    try:
        for product_id in ACCEPTED:
            for safe in ("", "/"):  # every character escaped, or slashes left as they are (most clients)
                response = requests.get(f"{server.url}/api/products/{quote(product_id, safe=safe)}", timeout=30)
                assert response.status_code == 200 and response.json()["id"] == product_id, (product_id, safe)
    finally:
        server.close()
