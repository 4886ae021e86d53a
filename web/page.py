"""The search page a shopper uses; it calls the JSON API from the browser."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from web.params import MAX_QUERY

page = Blueprint("page", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@page.get("/")
def index() -> str:
    live = current_app.extensions["prodsearch.live"]
    config = current_app.extensions["prodsearch.config"]
    return render_template(
        "index.html",
        products=live.pipeline.backend.describe()["products"],
        default_mode=config.default_mode,
        max_query=MAX_QUERY,
    )
