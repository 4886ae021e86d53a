"""Relevance evaluation: judgments, metrics and side-by-side reports of search modes."""

from evaluation.judgments import read_qrels, read_queries
from evaluation.metrics import MetricSet, evaluate_run
from evaluation.report import evaluate_modes

__all__ = ["MetricSet", "evaluate_modes", "evaluate_run", "read_qrels", "read_queries"]
