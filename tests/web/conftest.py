from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer
from web import ServiceConfig, create_app


@pytest.fixture(scope="module")
def server(sample_index: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app(ServiceConfig(index=str(sample_index))))
    yield server
    server.close()
