"""`prodsearch train all`: every step this release can take on a shop's judgments (fusion tuning, then the feature
ranker), each checked on judged queries it was not fitted on with a paired test, kept and installed into the index
only where it helped, resumable, with a report. See docs/design.md#train-all."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import MetricSet
from evaluation.judgments import Qrels, split_queries
from evaluation.metrics import evaluate_run, interval_95, mean, paired_p_value
from evaluation.report import run_mode
from evaluation.tuning import candidate_settings, tune_fusion
from search import SearchPipeline
from search.indexes import IndexLocation
from search.ranker import FeatureRanker
from search.tuned import Tuning
from training.errors import TrainingError
from training.ranker import MIN_QUERIES, RankerSettings, train_ranker

STEPS = ("fusion", "ranker")
STATE, REPORT = "train-all-progress.json", "train-all"  # beside CURRENT: the steps done, and the report (.md, .json)
CHECK_SHARE = 0.25  # of the judged queries, never fitted on: every step is judged on them
SIGNIFICANCE = 0.1  # a step is kept when its gain is positive with a paired p below this
NOT_RUN = {  # what this command does not do yet, said in every report
    "encoder": "prodsearch train encoder ... --reembed (an hour of CPU on 55,000 products)",
    "reranker": "prodsearch train reranker (serves the rerank mode, not the default)",
}


@dataclass(frozen=True)
class StepResult:
    name: str
    kept: bool
    before: float  # nDCG@10 on the check queries, served as before the step
    after: float  # and with it
    gain_95: tuple[float, float]
    p_value: float | None
    seconds: float
    latency_ms: tuple[float, float]  # p50 of a served search before and after
    note: str = ""

    @property
    def gain(self) -> float:
        return self.after - self.before


@dataclass
class Progress:
    """The steps done so far, kept after each so that a killed run goes on where it stopped."""

    judgments: str  # a digest of the queries and judgments: other judgments start afresh
    done: dict[str, dict[str, Any]] = field(default_factory=dict)


def train_all(
    location: IndexLocation,
    queries: dict[str, str],
    qrels: Qrels,
    seed: int = 13,
    budget_s: float | None = None,
    say: Callable[[str], None] = print,
) -> list[StepResult]:
    """Runs the steps not done yet, each judged on the same held-back queries, keeps those that helped."""
    if location.elastic is not None:
        raise TrainingError("train all keeps what it learns in an index directory; over Elasticsearch, not yet")
    root = Path(location.name)
    judged = sorted(qid for qid in queries if qid in qrels)
    if len(judged) < 2 * MIN_QUERIES:
        raise TrainingError(
            f"{len(judged)} judged queries: too few to tell a gain from chance (at least {2 * MIN_QUERIES}, a "
            f"quarter of them held back to check each step); add judgments, or learn from clicks with --events"
        )
    fit_ids, check_ids = split_queries(judged, 1 - CHECK_SHARE, seed)
    fit = {qid: queries[qid] for qid in fit_ids}
    check = {qid: queries[qid] for qid in check_ids}
    progress = _resumed(root, queries, qrels, seed, say)
    left = [name for name in STEPS if name not in progress.done]
    if left:
        estimate = _estimate(location, check, qrels, len(fit), left)
        finish = datetime.fromtimestamp(time.time() + estimate, UTC).strftime("%H:%M UTC")
        say(
            f"{', '.join(left)} on {len(fit)} + {len(check)} judged queries: "
            f"about {estimate / 60:.0f} min, ETA {finish}"
        )
    started = time.monotonic()
    results = [_result(record) for record in progress.done.values()]
    for number, name in enumerate(STEPS, start=1):
        if name in progress.done:
            continue
        spent = time.monotonic() - started
        if budget_s is not None and spent >= budget_s:
            say(f"step {number}/{len(STEPS)} {name}: not run, the budget of {budget_s / 60:.0f} min is spent")
            break
        say(f"step {number}/{len(STEPS)} {name} ({spent / 60:.1f} min so far)")
        result = STEP[name](location, fit, check, qrels, seed, say)
        results.append(result)
        progress.done[name] = asdict(result)
        _save(root / STATE, asdict(progress))
        verdict = "kept" if result.kept else "not kept"
        say(f"  {name}: nDCG@10 {result.before:.4f} -> {result.after:.4f} on {len(check)} held-back queries, "
            f"{verdict} ({result.note or 'paired p ' + _p(result.p_value)}), {result.seconds:.0f} s")  # fmt: skip
    write_report(root / REPORT, results, len(fit), len(check))
    return results


def _fusion(location: IndexLocation, fit, check, qrels: Qrels, seed: int, say) -> StepResult:
    started = time.monotonic()
    store = location.settings()
    before = store.load()
    ranker = location.ranker()  # the served default as it is: with the ranker it has, if any
    pipeline = SearchPipeline(location.open(), settings=before, ranker=ranker)
    tuned = tune_fusion(pipeline, fit, qrels, progress=True)[0][0]  # the best on the fitted queries
    after = SearchPipeline(pipeline.backend, settings=tuned, ranker=ranker)
    result = _compared("fusion", pipeline, after, check, qrels, time.monotonic() - started)
    if result.kept:
        record = Tuning(
            metric="ndcg@10 on held-back queries",
            score=round(result.after, 4),
            default_score=round(result.before, 4),
            queries=len(fit),
            part="train all",
            index_version=pipeline.backend.label,
            tuned_at=datetime.now(UTC).isoformat(timespec="seconds"),
            p_value_against_defaults=result.p_value,
        )
        store.save(tuned, record)
    return result


def _ranker(location: IndexLocation, fit, check, qrels: Qrels, seed: int, say) -> StepResult:
    started = time.monotonic()
    settings = location.settings().load()
    pipeline = SearchPipeline(location.open(), settings=settings)
    ranker = train_ranker(pipeline, fit, qrels, RankerSettings(seed=seed))
    used = FeatureRanker(ranker.booster, replace(ranker.usage, beats_hybrid=True))
    served = SearchPipeline(pipeline.backend, settings=settings, ranker=location.ranker())  # with the old one, if any
    after = SearchPipeline(pipeline.backend, settings=settings, ranker=used)
    result = _compared("ranker", served, after, check, qrels, time.monotonic() - started)
    kept = result.kept and ranker.usage.beats_hybrid
    note = "" if kept or not result.kept else "its own validation could not tell it from hybrid"
    if kept:  # else the ranker served before, if any, stays: the report says why this one did not
        ranker.save(Path(location.name))
    return replace(result, kept=kept, note=note)


STEP = {"fusion": _fusion, "ranker": _ranker}


def _compared(name: str, before: SearchPipeline, after: SearchPipeline, check, qrels, seconds: float) -> StepResult:
    """The served default before and after the step on the held-back queries: nDCG@10, a paired t-test, p50."""
    run_before, took_before = run_mode(before, check, "hybrid")
    run_after, took_after = run_mode(after, check, "hybrid")
    first = evaluate_run(run_before, qrels, MetricSet())["ndcg@10"]
    second = evaluate_run(run_after, qrels, MetricSet())["ndcg@10"]
    gains = [second[qid] - first[qid] for qid in first]
    p_value = paired_p_value(first, second)
    kept = mean(second) > mean(first) and p_value is not None and p_value < SIGNIFICANCE
    latency = (float(np.percentile(took_before, 50)), float(np.percentile(took_after, 50)))
    return StepResult(name, kept, mean(first), mean(second), interval_95(gains), p_value, seconds, latency)


def _estimate(location: IndexLocation, check: dict[str, str], qrels: Qrels, fitted: int, left: list[str]) -> float:
    """Seconds the steps left should take, from a few searches timed now: each step searches every fitted query
    about twice (retrieval, features) and the held-back ones twice; fusion also scores its grid of settings."""
    sample = dict(list(check.items())[:10])
    settings = location.settings().load()
    pipeline = SearchPipeline(location.open(), settings=settings)
    started = time.perf_counter()
    run, _ = run_mode(pipeline, sample, "hybrid")
    searched = time.perf_counter()
    evaluate_run(run, qrels, MetricSet())
    each, scored = (searched - started) / len(sample), (time.perf_counter() - searched) / len(sample)
    grid = len(candidate_settings(settings)) * fitted * scored if "fusion" in left else 0.0
    return len(left) * (each * (2 * fitted + 2 * len(check)) + 10) + grid


def _digest(queries: dict[str, str], qrels: Qrels, seed: int) -> str:
    text = json.dumps([sorted(queries.items()), sorted((q, sorted(j.items())) for q, j in qrels.items()), seed])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _resumed(root: Path, queries: dict[str, str], qrels: Qrels, seed: int, say) -> Progress:
    digest = _digest(queries, qrels, seed)
    path = root / STATE
    if path.is_file():
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("judgments") == digest and record.get("done"):
            say(f"going on from {path}: {', '.join(record['done'])} done already")
            return Progress(digest, record["done"])
    return Progress(digest)


def _result(record: dict[str, Any]) -> StepResult:
    return StepResult(**record | {"gain_95": tuple(record["gain_95"]), "latency_ms": tuple(record["latency_ms"])})


def _save(path: Path, record: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2g}"


def write_report(stem: Path, results: list[StepResult], fitted: int, checked: int) -> tuple[Path, Path]:
    """STEM.json and STEM.md: each step's gain with its 95% interval, p-value, time and latency, and what is
    left to do by hand."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    record = {
        "at": when,
        "fit_queries": fitted,
        "check_queries": checked,
        "steps": [asdict(result) | {"gain": result.gain} for result in results],
        "not_run": NOT_RUN,
    }
    lines = [
        f"# train all ({when})",
        "",
        f"Each step fitted on {fitted} judged queries and checked on {checked} others (nDCG@10 of the served default).",
        "",
        "| step | kept | before | after | gain (95% interval) | paired p | time | p50 before -> after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        low, high = result.gain_95
        lines.append(
            f"| {result.name} | {'yes' if result.kept else 'no'} | {result.before:.4f} | {result.after:.4f} | "
            f"{result.gain:+.4f} ({low:+.4f} to {high:+.4f}) | {_p(result.p_value)} | {result.seconds:.0f} s | "
            f"{result.latency_ms[0]:.1f} -> {result.latency_ms[1]:.1f} ms |"
        )
    lines += ["", "Not run by this command yet:", *(f"- {name}: {how}" for name, how in NOT_RUN.items())]
    json_path, markdown = stem.with_suffix(".json"), stem.with_suffix(".md")
    _save(json_path, record)
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, markdown
