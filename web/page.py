"""The search page a shopper uses, in its catalogue's language; it calls the JSON API from the browser."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from web.labels import PAGE_MODES, PAGE_SORTS, count_text, page_language
from web.params import MAX_QUERY

# The page loads its script, style and data from this origin only, and no other site may frame it.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

page = Blueprint("page", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@page.get("/")
def index() -> str:
    # Asked on every request: a reload can swap in an index of another catalogue.
    described = current_app.extensions["prodsearch.live"].pipeline.backend.describe()
    language = page_language(described.language)
    labels = language.labels
    return render_template(
        "index.html",
        locale=language.locale,
        labels=labels,
        placeholder=labels["placeholder"].format(products=count_text(described.products)),
        modes=PAGE_MODES,
        sorts=PAGE_SORTS,
        default_mode=current_app.extensions["prodsearch.config"].default_mode,
        max_query=MAX_QUERY,
    )
