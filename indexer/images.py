"""A product's image: the address a shopper's browser loads it from, checked as a catalogue line is read."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_IMAGE_CHARS = 2_048  # as a product's url: what browsers and CDNs reliably take
SCHEMES = ("http", "https")
EXAMPLE = "https://shop.example/images/kettle.jpg"
# Characters an address may not hold as written: spaces and line breaks (percent-encoded they are fine), controls
# and invisible formats, which a browser drops or stops at, so the image loaded would not be the one named.
_UNWRITTEN = ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")


def image_problem(image: str) -> str | None:
    """Why a browser could not load `image` as a product's picture, with the fix; None when it can."""
    if len(image) > MAX_IMAGE_CHARS:
        return f"{len(image):,} characters, more than the {MAX_IMAGE_CHARS:,} an image URL may have; shorten it"
    for position, character in enumerate(image, start=1):
        category = unicodedata.category(character)
        if category in _UNWRITTEN:
            what = "a space" if category == "Zs" else f"the control or invisible character U+{ord(character):04X}"
            return f"contains {what} at character {position}; percent-encode it (a space is %20) or remove it"
    try:
        parts = urlsplit(image)
        parts.port  # noqa: B018 - reading it checks that the port is a number
    except ValueError as error:
        return f"is not a URL a browser can read ({error}); write it whole, as {EXAMPLE}"
    if parts.scheme and parts.scheme.lower() not in SCHEMES:  # data:, javascript:, ftp:, file:
        return f"has the scheme '{parts.scheme}:', which the page does not load images from; use an https:// URL"
    if not parts.scheme or not parts.netloc:
        return f"is not an absolute URL (it needs http:// or https:// and a host); write it whole, as {EXAMPLE}"
    if not parts.hostname:
        return f"has no host after '{parts.scheme}://'; write it whole, as {EXAMPLE}"
    if parts.username is not None or parts.password is not None:
        return "holds a user name or password before its host, which browsers refuse for images; remove them"
    return None
