"""/admin, the merchandiser's page, in a real Chromium against a real server: the admin token guards it; it previews
a query with and without the rules; Hide and Pin here write a rule for the query; synonyms are added and deleted;
rules are switched off; and a Chinese catalogue gets a Chinese page."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from tests.helpers import EmptyBackend, LiveServer
from tests.web.chromium import launch
from web import ServiceConfig, create_app
from web.admin import BASIC
from web.admin_labels import LABELS
from web.page import OWN_POLICY

TOKEN = "admin-page-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The ids of one side of the preview, in order.
IDS = "side => [...document.querySelectorAll(`#${side} .hit`)].map(hit => hit.dataset.id)"


def serve(tmp_path_factory: pytest.TempPathFactory, index: Path) -> LiveServer:
    """The service with the admin token over a copy of `index`: the page's rules and synonyms are written beside it."""
    root = Path(shutil.copytree(index, tmp_path_factory.mktemp("admin-page") / "index"))
    return LiveServer(create_app(ServiceConfig(index=str(root), admin_token=TOKEN, events_db="off")))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[LiveServer]:
    server = serve(tmp_path_factory, sample_index)
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


@pytest.fixture(scope="module")
def logged_in(browser) -> Iterator:
    """A browser that answers the page's Basic challenge with the token, as a merchandiser logs in."""
    context = browser.new_context(
        http_credentials={"username": "merchandiser", "password": TOKEN}, viewport={"width": 1280, "height": 900}
    )
    yield context
    context.close()


def api(server: LiveServer, method: str, path: str, body: Any = None) -> Any:
    answer = requests.request(method, server.url + path, json=body, headers=BEARER, timeout=30)
    assert answer.ok, answer.text
    return answer.json()


def ids(page, side: str) -> list[str]:
    return page.evaluate(IDS, side)


def open_page(context, url: str):
    """A new tab on `url` that records in `page.problems` its script errors, policy violations and refused calls
    (but the favicon it has none of)."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and problems.append(f"{response.status} {response.request.method} {response.url}")
        ),
    )
    page.problems = problems
    assert page.goto(url).status == 200
    return page


def test_the_page_asks_for_the_token_and_keeps_to_the_search_pages_policy(server: LiveServer) -> None:
    asked = requests.get(server.url + "/admin", timeout=30)
    assert asked.status_code == 401 and asked.headers["WWW-Authenticate"] == BASIC
    assert "PRODSEARCH_ADMIN_TOKEN" in asked.json()["detail"]
    wrong = requests.get(server.url + "/admin", auth=("merchandiser", "a-wrong-guess"), timeout=30)
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == BASIC  # asked again
    assert requests.get(server.url + "/admin", headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 403
    assert requests.get(server.url + "/admin", headers=BEARER, timeout=30).status_code == 200
    page = requests.get(server.url + "/admin", params={"q": "red kettle"}, auth=("anyone", TOKEN), timeout=30)
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == OWN_POLICY
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert '<html lang="en">' in page.text and 'value="red kettle"' in page.text
    assert not re.search(r'<style|style=|\son\w+=|<script(?! src=)(?! id="labels" type="application/json")', page.text)
    for name in ("admin.js", "admin.css"):
        assert requests.get(f"{server.url}/static/{name}", timeout=30).status_code == 200


def test_without_an_admin_token_the_page_says_how_to_open_it() -> None:
    live = SimpleNamespace(pipeline=SimpleNamespace(backend=EmptyBackend("en", 3)))
    client = create_app(ServiceConfig(index="unused", events_db="off"), live=live).test_client()
    refused = client.get("/admin")
    assert refused.status_code == 403 and refused.json["error"] == "writes are off"
    assert "set PRODSEARCH_ADMIN_TOKEN" in refused.json["detail"]


def test_both_languages_have_every_label_with_the_same_placeholders() -> None:
    english = LABELS["en"]
    for code, labels in LABELS.items():
        assert labels.keys() == english.keys(), f"{code} differs from en"
        for key, text in labels.items():
            assert text.strip(), f"{code} label {key!r} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (code, key)


def test_hide_and_pin_here_write_a_rule_for_the_query(logged_in, server: LiveServer) -> None:
    page = open_page(logged_in, server.url + "/admin?q=kettle&mode=bm25")
    page.wait_for_selector("#with .hit")
    assert page.input_value("#q") == "kettle"
    before = ids(page, "with")
    assert len(before) == 20 and ids(page, "without") == before
    assert page.inner_text("#applied") == "No rule applies to this query."

    first = before[0]
    page.locator("#with .hit").first.locator("button.hide").click()
    page.wait_for_function(f"() => !({IDS})('with').includes({first!r})")
    assert ids(page, "without")[0] == first  # still there without the rules, marked as left out
    assert page.locator(f'#without .hit.gone[data-id="{first}"] button.unhide').inner_text() == "Show again"
    assert page.inner_text("#applied") == "Rules applied: q-kettle"
    assert page.inner_text("#message") == "Saved q-kettle."

    third = ids(page, "with")[2]
    page.locator("#with .hit").nth(2).locator("button.pin").click()
    page.wait_for_selector(f'#with .hit[data-id="{third}"] .badge')
    assert ids(page, "with")[2] == third and page.locator("#with .hit").nth(2).locator("button.unpin").count() == 1
    rule = api(server, "GET", "/api/rules/q-kettle")["rule"]
    assert rule["condition"] == {"query": "kettle"} and rule["hide"] == [first]  # the hide is kept
    assert rule["pin"] == [{"id": third, "position": 3}]
    row = page.locator('#rule-list tr[data-id="q-kettle"]').inner_text()
    assert "the query is “kettle”" in row and f"pin {third} at 3" in row and f"hide {first}" in row
    assert not page.problems, page.problems
    page.close()


def test_synonyms_are_added_listed_refused_with_the_reason_and_deleted(logged_in, server: LiveServer) -> None:
    page = open_page(logged_in, server.url + "/admin")
    page.wait_for_selector("#synonym-list tr")
    page.fill("#synonym-id", "quorvane")
    page.fill("#synonym-phrases", "quorvane, kettle")
    page.click("#synonym-form button")
    row = page.wait_for_selector('#synonym-list tr[data-id="quorvane"]')
    assert "quorvane, kettle" in row.inner_text() and page.inner_text("#message") == "Saved quorvane."
    page.fill("#q", "quorvane")  # the new word finds kettles at once
    page.press("#q", "Enter")
    page.wait_for_selector("#with .hit")
    assert "q=quorvane" in page.url and "Kettle" in page.inner_text("#with .hit strong >> nth=0")

    page.fill("#synonym-id", "lonely")
    page.fill("#synonym-phrases", "only one")
    page.click("#synonym-form button")
    page.wait_for_selector("#message.error")
    assert "needs 2 to 100 distinct phrases" in page.inner_text("#message")  # the API's own words
    assert page.locator('#synonym-list tr[data-id="lonely"]').count() == 0

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#synonym-list tr[data-id="quorvane"] button.delete').click()
    page.wait_for_selector('#synonym-list tr[data-id="quorvane"]', state="detached")
    assert page.inner_text("#message") == "Deleted quorvane."
    assert api(server, "GET", "/api/synonyms")["synonyms"] == []
    assert page.problems == [f"400 PUT {server.url}/api/synonyms/lonely"]
    page.close()


def test_a_rule_is_switched_off_and_on_and_deleted_from_the_list(logged_in, server: LiveServer) -> None:
    top = api(server, "POST", "/api/preview?q=headphones&mode=bm25")["without"]["hits"][0]["id"]
    api(server, "PUT", "/api/rules/no-top-headphones", {"condition": {"query": "headphones"}, "hide": [top]})
    page = open_page(logged_in, server.url + "/admin?q=headphones&mode=bm25")
    page.wait_for_selector("#with .hit")
    assert top not in ids(page, "with")
    row = page.locator('#rule-list tr[data-id="no-top-headphones"]')
    assert row.locator(".state").inner_text() == "on" and f"hide {top}" in row.inner_text()

    row.locator("button.toggle").click()
    page.wait_for_selector('#rule-list tr.off[data-id="no-top-headphones"]')
    page.wait_for_function(f"() => ({IDS})('with')[0] === {top!r}")  # the preview shows it again
    assert api(server, "GET", "/api/rules/no-top-headphones")["rule"]["enabled"] is False
    assert row.locator(".state").inner_text() == "off" and row.locator("button.toggle").inner_text() == "Enable"
    row.locator("button.toggle").click()
    page.wait_for_selector('#rule-list tr.on[data-id="no-top-headphones"]')
    assert "enabled" not in api(server, "GET", "/api/rules/no-top-headphones")["rule"]  # on is the default

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.delete").click()
    page.wait_for_selector('#rule-list tr[data-id="no-top-headphones"]', state="detached")
    assert "no-top-headphones" not in [rule["id"] for rule in api(server, "GET", "/api/rules")["rules"]]
    assert not page.problems, page.problems
    page.close()


@pytest.fixture(scope="module")
def zh_server(tmp_path_factory: pytest.TempPathFactory, sample_zh_index: Path) -> Iterator[LiveServer]:
    server = serve(tmp_path_factory, sample_zh_index)
    yield server
    server.close()


def test_a_chinese_catalogue_gets_a_chinese_page_whose_preview_works(logged_in, zh_server: LiveServer) -> None:
    page = open_page(logged_in, zh_server.url + "/admin?q=%E7%BA%A2%E8%89%B2%E8%BF%9E%E8%A1%A3%E8%A3%99")
    assert page.get_attribute("html", "lang") == "zh-CN" and page.title() == "搜索运营"
    page.wait_for_selector("#with .hit")
    assert page.input_value("#q") == "红色连衣裙"
    assert page.inner_text("#with h2").startswith("应用规则") and page.inner_text("#without h2").startswith("不用规则")
    assert page.inner_text("#applied") == "没有适用于此搜索词的规则。"
    assert page.locator("#with .hit").first.locator("button").all_inner_texts() == ["固定在此", "隐藏"]
    assert any("连衣裙" in title for title in page.locator("#with .hit strong").all_inner_texts())

    first = ids(page, "with")[0]
    page.locator("#with .hit").first.locator("button.hide").click()  # a Chinese query's rule: its id is a hash
    page.wait_for_function(f"() => !({IDS})('with').includes({first!r})")
    applied = page.inner_text("#applied")
    assert re.fullmatch(r"已应用的规则：q-[0-9a-f]{8}", applied), applied
    rule = api(zh_server, "GET", "/api/rules/" + applied.removeprefix("已应用的规则："))["rule"]
    assert rule["condition"] == {"query": "红色连衣裙"} and rule["hide"] == [first]
    assert not page.problems, page.problems
    page.close()


def test_the_shoppers_page_follows_a_rules_redirect(browser, server: LiveServer) -> None:
    target = server.url + "/?q=kettle+lid"
    api(server, "PUT", "/api/rules/go", {"condition": {"query": "lid for a kettle"}, "redirect": target})
    page = browser.new_page()
    page.goto(server.url + "/?q=lid+for+a+kettle")
    page.wait_for_url(target)
    page.wait_for_selector(".result")  # the page it was sent to searches as usual
    page.close()
    api(server, "DELETE", "/api/rules/go")
