"""The suggester follows the served pipeline: built in the background, the one before answering meanwhile, and kept
when the next cannot be built."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from indexer import Product
from indexer.errors import IndexFormatError
from search.suggest import Suggester
from web.suggest import LiveSuggester

pytestmark = pytest.mark.fast

KETTLE = Product(id="1", title="Kettleworth Edge Electric Kettle", brand="Kettleworth")
LAMP = Product(id="2", title="Zyzzyva Trail Lamp", brand="Zyzzyva")


class Served:
    """Stands in for LiveSearch: a pipeline whose backend names a version and holds its products."""

    def __init__(self, label: str, products: list[Product]) -> None:
        self.serve(label, products)

    def serve(self, label: str, products: list[Product]) -> None:
        self.pipeline = SimpleNamespace(backend=SimpleNamespace(label=label, products=products))


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Open: suggesters build at once. Closed: a build waits for it to open. A backend labelled 'broken' fails."""
    opened = threading.Event()
    opened.set()

    def built(backend: SimpleNamespace, queries: list) -> Suggester:
        opened.wait(10)
        if backend.label == "broken":
            raise IndexFormatError("products.jsonl is damaged")
        return Suggester(backend.products, queries)

    monkeypatch.setattr(Suggester, "of", staticmethod(built))
    return opened


def texts(live: LiveSuggester, typed: str) -> list[str]:
    return [suggestion.text for suggestion in live.current().suggest(typed)]


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_a_new_version_is_built_aside_while_the_one_before_answers(gate: threading.Event) -> None:
    served = Served("v1", [KETTLE])
    live = LiveSuggester(lambda: served.pipeline)
    live.start()
    assert texts(live, "kett") == ["Kettleworth", "Kettleworth Edge Electric Kettle"]

    gate.clear()  # the next build takes until the gate opens
    served.serve("v2", [KETTLE, LAMP])
    started = time.monotonic()
    assert texts(live, "zyzz") == [] and texts(live, "kett")  # v1's, at once
    assert time.monotonic() - started < 1.0
    gate.set()
    assert eventually(lambda: texts(live, "zyzz") == ["Zyzzyva", "Zyzzyva Trail Lamp"])

    served.serve("broken", [])
    texts(live, "zyzz")  # starts the build that fails
    assert eventually(lambda: live._building is not None and not live._building.is_alive())
    assert texts(live, "zyzz") == ["Zyzzyva", "Zyzzyva Trail Lamp"]  # v2's, still


def test_the_first_build_failing_is_the_request_error(gate: threading.Event) -> None:
    live = LiveSuggester(lambda: Served("broken", []).pipeline)
    live.start()
    with pytest.raises(IndexFormatError, match="damaged"):
        live.current()


def test_popular_queries_are_read_again_when_the_suggester_is_old(gate: threading.Event) -> None:
    served = Served("v1", [KETTLE])
    popular = [("kettle descaler", 5, 2)]
    live = LiveSuggester(lambda: served.pipeline, lambda: lambda: list(popular), refresh_seconds=0.0)
    live.start()
    assert texts(live, "kettle d") == ["kettle descaler"]
    popular[:] = [("kettle deals", 9, 4)]
    assert eventually(lambda: texts(live, "kettle d") == ["kettle deals"])
