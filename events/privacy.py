"""Shoppers are people: a session id is kept only as a keyed hash, and nothing about the device or address.

See docs/design.md#privacy.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from events.errors import EventsError
from events.store import is_postgres

KEY_VARIABLE = "PRODSEARCH_EVENTS_KEY"
MIN_KEY = 16  # characters of a key given in the environment
MAX_SESSION = 200  # characters of a session id; longer ones are refused, not cut


def session_key(location: str, environ: Mapping[str, str] | None = None, create: bool = True) -> bytes:
    """The key session ids are hashed with; `create`: make DB.key if there is none (the service does, once)."""
    environ = os.environ if environ is None else environ
    given = environ.get(KEY_VARIABLE)
    if given:
        if len(given) < MIN_KEY:
            raise EventsError(f"{KEY_VARIABLE} must be at least {MIN_KEY} characters; use a long random string")
        return given.encode()
    if is_postgres(location):
        raise EventsError(f"set {KEY_VARIABLE} to a long random secret: session ids are stored hashed with it")
    path = Path(location).expanduser().resolve().with_name(Path(location).name + ".key")
    if not path.exists():
        if not create:
            raise EventsError(f"no key at {path}: set {KEY_VARIABLE} to the key the service hashes session ids with")
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")  # whole or absent, never empty
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 2 * MIN_KEY:
        raise EventsError(f"{path} holds no usable key ({len(key)} characters); restore it, or set {KEY_VARIABLE}")
    return key.encode()


def hashed_session(key: bytes, session: str | None) -> str | None:
    """The session id as stored: HMAC-SHA256 under the key, 32 hex digits; None stays None."""
    if not session:
        return None
    if len(session) > MAX_SESSION:
        raise EventsError(f"session: at most {MAX_SESSION} characters, got {len(session)}")
    return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()[:32]
