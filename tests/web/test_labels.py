"""The page's words: one table per catalogue language with the same keys, chosen by the served index's language."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from flask import render_template
from flask.testing import FlaskClient

from indexer.analysis import LANGUAGES as INDEX_LANGUAGES
from search.pipeline import MODES
from search.understanding import EFFECTS, SPAN_KINDS
from tests.helpers import EmptyBackend
from web import ServiceConfig, create_app
from web.labels import CHINESE, ENGLISH, LANGUAGES, PAGE_MODES, page_language

pytestmark = pytest.mark.fast

PLACEHOLDER = re.compile(r"\{(\w+)\}")


class SwappableLive:
    """Stands in for LiveSearch: a backend that describes an index whose language a test can swap."""

    def __init__(self, language: str, products: int) -> None:
        self.backend = EmptyBackend(language, products)

    @property
    def pipeline(self) -> Any:
        return SimpleNamespace(backend=self.backend)


def client(live: SwappableLive) -> FlaskClient:
    return create_app(ServiceConfig(index="unused", events_db="off"), live=live).test_client()


def embedded_labels(html: str) -> dict[str, str]:
    found = re.search(r'<script id="labels" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page does not embed its labels for app.js"
    return json.loads(found.group(1))


def test_every_language_has_the_same_keys_with_the_same_placeholders() -> None:
    assert set(LANGUAGES) == set(INDEX_LANGUAGES), "a language the indexer records has no page labels"
    for language in LANGUAGES.values():
        assert language.labels.keys() == ENGLISH.keys(), f"{language.code} differs from en"
        for key, text in language.labels.items():
            assert text.strip(), f"{language.code} label {key!r} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(ENGLISH[key])), (
                f"{language.code} label {key!r} fills in other values than en: {text!r}"
            )


def test_the_menu_names_every_search_mode() -> None:
    assert sorted(PAGE_MODES) == sorted(MODES)
    assert all(f"mode_{mode}" in ENGLISH for mode in MODES)


def test_chinese_for_a_chinese_index_english_for_any_other() -> None:
    assert page_language("zh").locale == "zh-CN" and page_language("zh").labels is CHINESE
    assert page_language("en").locale == "en" and page_language("en").labels is ENGLISH
    assert page_language("ja").labels is ENGLISH


def test_the_page_speaks_the_served_index_language_and_follows_a_swap() -> None:
    live = SwappableLive("zh", 12345)
    app = client(live)
    html = app.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "<title>商品搜索</title>" in html
    assert 'placeholder="在 12,345 件商品中搜索"' in html
    assert all(f"<h2>{CHINESE[key]}</h2>" in html for key in ("category", "brand", "price"))
    assert '<option value="hybrid" selected>综合</option>' in html
    assert embedded_labels(html) == CHINESE

    live.backend.described = replace(live.backend.described, language="en")  # a reload served another catalogue's index
    html = app.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and embedded_labels(html) == ENGLISH


def test_the_english_page_keeps_its_words() -> None:
    html = client(SwappableLive("en", 300)).get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<title>Search the shop</title>" in html
    assert 'placeholder="Search 300 products"' in html
    assert 'aria-label="Search mode"' in html and '<button type="submit">Search</button>' in html
    assert all(f"<h2>{word}</h2>" in html for word in ("Category", "Brand", "Price"))
    options = re.findall(r'<option value="(\w+)"( selected)?>(\w+)</option>', html)
    assert options == [
        ("hybrid", " selected", "hybrid"),
        ("bm25", "", "bm25"),
        ("dense", "", "dense"),
        ("rerank", "", "rerank"),
    ]
    assert 'placeholder="min" aria-label="Lowest price"' in html and ">Apply</button>" in html


def test_the_embedded_table_cannot_close_its_script() -> None:
    """Labels are JSON inside <script>: Flask's tojson escapes what would end the element early."""
    hostile = {**ENGLISH, "title": "</script><script>alert(1)</script>"}
    app = create_app(ServiceConfig(index="unused", events_db="off"), live=SwappableLive("en", 1))
    with app.test_request_context():
        html = render_template(
            "index.html",
            locale="en",
            labels=hostile,
            placeholder="",
            modes=PAGE_MODES,
            default_mode="hybrid",
            max_query=10,
        )
    assert html.count("</script>") == 3  # the labels', images.js's and app.js's
    assert embedded_labels(html)["title"] == hostile["title"]


def test_every_kind_of_understood_words_and_every_effect_has_a_label() -> None:
    kinds = [kind for kind in SPAN_KINDS if kind != "price"]
    assert all(f"understood_{kind}" in ENGLISH for kind in kinds), "app.js names a chip by its span's kind"
    assert all(f"understood_{effect}" in ENGLISH for effect in EFFECTS), "app.js titles a chip by its effect"
