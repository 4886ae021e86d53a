"""The search page and product pages a shopper uses, in the catalogue's language, over the JSON API.

See docs/design.md#product-page-and-images.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from indexer import Product
from web.labels import PAGE_MODES, PAGE_SORTS, count_text, page_language
from web.params import MAX_QUERY

# The pages load their script, style and data from this origin only, and no other site may frame them (OWN_POLICY:
# the merchandiser's and analytics pages). The shopper's pages show product images too: shops keep them on their own
# hosts and CDNs, so any https address may serve one (an http image is asked over https, as browsers do for an https
# page's images: no request goes out in clear).
OWN_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_POLICY = OWN_POLICY.replace("img-src 'self'", "img-src 'self' https:")

page = Blueprint("page", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@page.get("/")
def index() -> str:
    return render_template(
        "index.html",
        **header(),
        modes=PAGE_MODES,
        sorts=PAGE_SORTS,
        default_mode=current_app.extensions["prodsearch.config"].default_mode,
    )


@page.get("/p/<path:product_id>")
def product(product_id: str) -> tuple[str, int]:
    """One product's page; an unknown id is a 404 page in the catalogue's language that leads back to search."""
    found = current_app.extensions["prodsearch.live"].pipeline.backend.products([product_id]).get(product_id)
    words = header()
    return render_template(
        "product.html",
        **words,
        product=found,
        picture=picture(found) if found is not None else None,
        price=price_text(found) if found is not None else "",
        missing=words["labels"]["not_found"].format(id=product_id),
    ), 200 if found is not None else 404


def header() -> dict[str, object]:
    """What every page's header needs, in the served catalogue's language: asked on every request, since a reload
    can swap in an index of another catalogue."""
    described = current_app.extensions["prodsearch.live"].pipeline.backend.describe()
    language = page_language(described.language)
    labels = language.labels
    placeholder = labels["placeholder"].format(products=count_text(described.products))
    return {"locale": language.locale, "labels": labels, "placeholder": placeholder, "max_query": MAX_QUERY}


def picture(product: Product) -> dict[str, str | None]:
    """What the page's picture box shows: the image's address (http asked over https), else the title's first
    letter in a placeholder; app.js and images.js draw the same box in the browser."""
    image = product.image
    if image is not None and image[:5].lower() == "http:":
        image = "https:" + image[5:]
    return {"src": image, "letter": product.title.strip()[:1].upper() or "?", "alt": product.title}


def price_text(product: Product) -> str:
    """The price as the page shows it before its script writes it in the locale's way (97.99 EUR)."""
    if product.price is None:
        return ""
    return f"{product.price:,.2f} {product.currency or ''}".strip()
