"""The waitress server of `prodsearch serve`: its limits, and its own refusals in JSON like the app's answers."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from web.config import SPARE_CONNECTIONS, ServerLimits
from web.lane import REQUEST_THREADS

if TYPE_CHECKING:
    from flask import Flask


def make_server(app: Flask, host: str, port: int, threads: int, limits: ServerLimits) -> Any:
    """A waitress server for the app within `limits`, with `threads` request threads that heavy searches
    cannot take (web.lane); `.run()` serves until interrupted."""
    threads += REQUEST_THREADS
    if app.extensions["prodsearch.config"].admin_token:  # batches of products; the app holds other routes to 1 MiB
        limits = replace(limits, body_bytes=limits.write_body_bytes)
    server = create_server(app, host=host, port=port, threads=threads, ident="prodsearch", **limits.waitress())
    # one listening socket gives that socket's server, several (a name with IPv4 and IPv6) a holder of their map
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(server.map.values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _LimitedChannel
            listener.retry_after = limits.retry_after
    return server


class _JsonErrorTask(ErrorTask):
    """waitress's own refusals (431 for headers, 413 for a body, 400 for a request it cannot parse) in JSON
    like every other answer of the service, not plain text."""

    def execute(self) -> None:
        error = self.request.error
        body = json.dumps({"error": error.reason.lower(), "detail": error.body}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("Connection", "close")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _LimitedChannel(HTTPChannel):
    """A connection; one past the limit is answered 503 with Retry-After and closed at once, not left to wait."""

    error_task_class = _JsonErrorTask

    def __init__(self, server: BaseWSGIServer, sock: Any, addr: Any, adj: Any, map: dict | None = None) -> None:
        super().__init__(server, sock, addr, adj, map)
        # the map holds every connection, the listening sockets and waitress's trigger, as waitress counts them
        if map is not None and len(map) > adj.connection_limit - SPARE_CONNECTIONS:
            self.write_soon(_busy(server.retry_after))
            self.close_when_flushed = True


def _busy(retry_after: int) -> bytes:
    body = json.dumps(
        {"error": "service unavailable", "detail": f"too many open connections; retry in {retry_after} s"}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Retry-After: {retry_after}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body
