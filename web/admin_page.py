"""`/admin`: the merchandiser's page (preview, pin and hide, synonyms, rules), behind PRODSEARCH_ADMIN_TOKEN.

See docs/design.md#merchandising.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for

from indexer.errors import ClusterUnavailable
from web.admin import BASIC, Refused, authorize, refused
from web.admin_labels import LABELS
from web.labels import PAGE_MODES, page_language
from web.page import OWN_POLICY  # its script, style and calls are all its own, and it shows no images
from web.params import MAX_QUERY

# The page is a template and a script: everything it shows and changes goes through the merchandising API, which the
# browser calls with the Basic login it gave this page.
admin_page = Blueprint("admin_page", __name__, template_folder="templates")
admin_page.errorhandler(Refused)(refused)

PREVIEW_SIZE = 20  # hits a side: enough to pin one a screen down


@admin_page.before_request
def guard() -> None:
    # Basic, not Bearer: a browser answers that challenge with its login prompt, then sends the token it was given
    # with the page's calls to the API as well.
    authorize(challenge=BASIC)


@admin_page.after_request
def policy(response: Response) -> Response:
    if request.endpoint == "admin_page.page":
        response.headers["Content-Security-Policy"] = OWN_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    return response


@admin_page.app_context_processor
def admin_links() -> dict[str, object]:
    """For other pages' templates (the analytics page's queries that found nothing): `admin_on`, whether this page
    opens (without an admin token it refuses, so no link should lead to it), and `admin_link(query)`, the URL that
    opens it on a query."""

    def admin_link(query: str) -> str:
        return url_for("admin_page.page", q=query)

    return {"admin_on": bool(current_app.extensions["prodsearch.config"].admin_token), "admin_link": admin_link}


@admin_page.get("/admin")
def page() -> str:
    locale, code = _language()
    page_labels = page_language(code).labels
    return render_template(
        "admin.html",
        locale=locale,
        labels=LABELS[code],
        query=request.args.get("q", "")[:MAX_QUERY],
        modes=[(mode, page_labels[f"mode_{mode}"]) for mode in PAGE_MODES],
        default_mode=current_app.extensions["prodsearch.config"].default_mode,
        max_query=MAX_QUERY,
        preview_size=PREVIEW_SIZE,
    )


def _language() -> tuple[str, str]:
    """(locale, language code) of the served catalogue, as the search page picks them; English when the cluster
    cannot say, so the page still opens."""
    try:
        described = current_app.extensions["prodsearch.live"].pipeline.backend.describe().language
    except ClusterUnavailable:
        described = "en"
    language = page_language(described)
    return language.locale, language.code if language.code in LABELS else "en"
