"""What the admin API's blueprints share: the bearer token check and refusals answered as JSON."""

from __future__ import annotations

import hmac
import json
from typing import Any

from flask import Response, current_app, jsonify, request

TOKEN_VARIABLE = "PRODSEARCH_ADMIN_TOKEN"


class Refused(Exception):
    """A write answered with `status` and a JSON body, before anything of it was stored."""

    def __init__(self, status: int, error: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


def refused(error: Refused) -> tuple[Response, int, dict[str, str]]:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
    return jsonify(error=error.error, detail=error.detail, **error.extra), error.status, headers


def authorize() -> None:
    """Bearer PRODSEARCH_ADMIN_TOKEN, compared in constant time; writes are off without one configured."""
    expected = current_app.extensions["prodsearch.config"].admin_token
    if not expected:
        raise Refused(
            403, "writes are off", f"set {TOKEN_VARIABLE} (16 or more characters) and restart to use the admin API"
        )
    given = request.headers.get("Authorization", "")
    if not given:
        raise Refused(401, "unauthorized", f"send Authorization: Bearer <the token in {TOKEN_VARIABLE}>")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Refused(403, "forbidden", f"the bearer token is not the service's {TOKEN_VARIABLE}")


def json_body(data: bytes, where: str = "the body") -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(400, "invalid JSON", f"{where} is not JSON ({error})") from None
    except RecursionError:
        raise Refused(400, "invalid JSON", f"{where} is nested too deeply") from None
