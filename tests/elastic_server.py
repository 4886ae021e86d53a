"""An Elasticsearch-API server for tests: the cluster at ES_URL when set, else a noida-db process."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def noida(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A noida-db serving only its Elasticsearch API on a free port, stopped on exit."""
    binary = Path(str(files("noida_db").joinpath("noida-db")))  # the server itself, not the wrapper script
    binary.chmod(0o755)
    port = free_port()
    command = [binary, "start", "--only", "elasticsearch", "--elasticsearch-port", str(port)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url, timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"noida-db did not start on port {port} (exit code {process.poll()})")
            time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def elasticsearch_url(data_dir: Path) -> Iterator[str]:
    """ES_URL if set (a real cluster: the tests then run against it), else a noida-db of our own."""
    if os.environ.get("ES_URL"):
        yield os.environ["ES_URL"]
        return
    with noida(data_dir) as (url, _):
        yield url


def unique_alias(prefix: str = "test") -> str:
    """Aliases of their own keep tests apart on a shared cluster."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
