"""Prometheus metrics of one app: requests by endpoint and status, search latency by mode, events by outcome."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "prodsearch_http_requests", "HTTP requests answered", ["endpoint", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "prodsearch_search_latency_seconds",
            "Search latency in the service, by mode",
            ["mode"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch_events(self, events: Any) -> None:
        """Counts of the events log's rows by outcome (events.log.Counts), read at each scrape: a dropped or
        failed row is an alert, not only a log line."""
        self.registry.register(_EventCounts(events))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _EventCounts:
    def __init__(self, events: Any) -> None:
        self.events = events

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "prodsearch_events_rows",
            "Rows of searches and events by outcome: queued, written, dropped, failed",
            labels=["outcome"],
        )
        for outcome, count in asdict(self.events.counts).items():
            family.add_metric([outcome], count)
        yield family
