"""What the admin API's blueprints share: the bearer token check and refusals answered as JSON."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from flask import Response, current_app, jsonify, request

TOKEN_VARIABLE = "PRODSEARCH_ADMIN_TOKEN"
BASIC = 'Basic realm="prodsearch admin", charset="UTF-8"'  # a browser asks for the token as a password


class Refused(Exception):
    """A write answered with `status` and a JSON body, before anything of it was stored."""

    def __init__(self, status: int, error: str, detail: str, challenge: str = "Bearer", **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra
        self.challenge = challenge  # WWW-Authenticate, on a 401


def refused(error: Refused) -> tuple[Response, int, dict[str, str]]:
    headers = {"WWW-Authenticate": error.challenge} if error.status == 401 else {}
    return jsonify(error=error.error, detail=error.detail, **error.extra), error.status, headers


def authorize(challenge: str = "Bearer", basic: bool = True) -> None:
    """PRODSEARCH_ADMIN_TOKEN as a bearer token, or (`basic`) as the password of Basic authentication, which the
    merchandiser's page's browser sends with every call; compared in constant time; off without one configured.
    `challenge`: what a request without credentials is asked for."""
    expected = current_app.extensions["prodsearch.config"].admin_token
    if not expected:
        raise Refused(
            403, "writes are off", f"set {TOKEN_VARIABLE} (16 or more characters) and restart to use the admin API"
        )
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and basic:
        # a wrong password asks again: a browser that got 403 would keep sending it until it is restarted
        if not same(basic_password(credentials), expected):
            raise Refused(401, "unauthorized", f"the password is not the token in {TOKEN_VARIABLE}", BASIC)
        # a browser sends a Basic login with any request to this site, another site's page's too: a change must
        # come from this site's own pages (browsers name the page's origin on every request that is not a GET)
        origin = request.headers.get("Origin")
        if request.method not in ("GET", "HEAD") and origin is not None and origin != request.host_url.rstrip("/"):
            raise Refused(403, "forbidden", f"a change sent from another site ({origin[:80]}); use the admin page")
        return
    if scheme.lower() != "bearer" or not credentials.strip():
        detail = f"send Authorization: Bearer <the token in {TOKEN_VARIABLE}>, or the token as a Basic password"
        raise Refused(401, "unauthorized", detail, challenge)
    if not same(credentials.strip(), expected):
        raise Refused(403, "forbidden", f"the bearer token is not the service's {TOKEN_VARIABLE}")


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def basic_password(credentials: str) -> str | None:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")  # any user name will do
    return password if colon else None


def json_body(data: bytes, where: str = "the body") -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(400, "invalid JSON", f"{where} is not JSON ({error})") from None
    except RecursionError:
        raise Refused(400, "invalid JSON", f"{where} is nested too deeply") from None
