"""Property-based fuzzing of the real service from its own OpenAPI document (schemathesis): whatever the
parameters, valid or not, no answer is a 5xx, and every answer has a documented status, content type and body."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# cases per operation: the search parameters are where the input space is; the other routes take few
SEARCH_CASES = {GenerationMode.POSITIVE: 300, GenerationMode.NEGATIVE: 150}
OTHER_CASES = 20


def fuzz(server: LiveServer, operation: schemathesis.APIOperation, mode: GenerationMode, examples: int) -> int:
    """Sends `examples` generated requests to `operation`; returns how many were sent."""
    sent = 0

    # derandomized, and no example database in the work tree: the same cases on every run and machine
    @settings(
        max_examples=examples, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=30)

    check()
    return sent


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
def test_no_input_gets_a_server_error_or_an_undocumented_answer(server: LiveServer, mode: GenerationMode) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(server.url + "/api/openapi.json")
    sent = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode is GenerationMode.NEGATIVE and operation.path != "/api/search":
            continue  # only the search parameters have bounds to break; a product id is any string
        examples = SEARCH_CASES[mode] if operation.path == "/api/search" else OTHER_CASES
        sent[operation.path] = fuzz(server, operation, mode, examples)
    assert sent.get("/api/search", 0) >= SEARCH_CASES[mode] // 2, sent
    print(f"{mode.value}: {sent} in {time.monotonic() - started:.1f} s")
