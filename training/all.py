"""`prodsearch train all`: the encoder fine-tuned and reembedded, fusion tuned, the feature ranker fitted, each kept
only where a paired test on held-back judged queries says it helped; resumable, with a report. See
docs/design.md#train-all."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import MetricSet
from evaluation.judgments import Qrels, split_queries
from evaluation.metrics import evaluate_run, format_p, interval_95, mean, paired_p_value
from evaluation.report import DEPTH, run_mode
from evaluation.tuning import candidate_settings, fused_run, retrieved, tune_fusion
from indexer import DirectoryWriter
from indexer.manifest import Manifest
from indexer.reader import open_version
from indexer.versions import IndexRoot
from search import EmbeddedBackend, SearchPipeline, SearchRequest, SearchSettings
from search.indexes import IndexLocation
from search.ranker import MODEL, USAGE, FeatureRanker
from search.tuned import Tuning
from training.encoder import EncoderTrainingSettings, train_encoder
from training.errors import TrainingError
from training.ranker import MIN_QUERIES, Candidates, RankerSettings, candidates, fit_and_check, gather, refitted

STEPS = ("encoder", "fusion", "ranker")  # in this order: fusion and the ranker are fitted to the vectors served
ENCODERS = "encoders"  # beside CURRENT: the fine-tuned encoders the index's versions name
# a pair with its hard negative, and its share of mining, checks and export, costs what 45 products embed: its
# training alone 42 on Home Depot's titles (int8 MiniLM, 2026-12-08), 23 on CrowdFlower's 128-token descriptions
TRAINING_COST = 45
STATE, REPORT = "train-all-progress.json", "train-all"  # beside CURRENT: the steps done, and the report (.md, .json)
STAGED = "train-all-staged"  # beside CURRENT while a re-embedded version waits for its check
CHECK_SHARE = 0.25  # of the judged queries, never fitted on: every step is judged on them
SIGNIFICANCE = 0.1  # a step is kept when its gain is positive with a paired p below this
WORTH = 0.01  # the smallest nDCG@10 gain worth a step: one not kept whose interval reaches it was not ruled out
NOT_RUN = {  # what this command leaves to the shop, said in every report
    "reranker": "prodsearch train reranker, then train distil: they serve the rerank mode; in the default they would "
    "cost more than a search's whole latency target",
}
NOT_OVER_ELASTIC = {  # and what it cannot do over an Elasticsearch alias
    "encoder": "it serves its vectors as a new version of an index directory; over Elasticsearch, train the encoder "
    "(prodsearch train encoder) and build the alias again with --encoder",
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

    def undecided(self, checked: int) -> str:
        """Why a step not kept may still help, and how many judged queries would tell; "" if kept or ruled out."""
        low, high = self.gain_95
        told = self.gain > 0 and self.p_value is not None and self.p_value < SIGNIFICANCE
        needed = math.ceil(checked * ((high - low) / 2 / WORTH) ** 2 / CHECK_SHARE)
        if self.kept or told or high < WORTH or needed <= checked / CHECK_SHARE:
            return ""
        return (
            f"too few judged queries to tell: a gain up to {high:+.3f} is not ruled out; "
            f"about {needed} judged queries would tell a gain of {WORTH}"
        )


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
    steps: tuple[str, ...] | None = None,
    encoder: EncoderTrainingSettings | None = None,
) -> list[StepResult]:
    """Runs the `steps` not done yet (None: every step the backend can run), in STEPS' order, each judged on the
    same held-back queries, and keeps those that helped; `encoder`: how the encoder is fine-tuned (None: as
    `encoder_settings` chooses from the grades)."""
    cannot = NOT_OVER_ELASTIC if location.elastic is not None else {}
    steps = tuple(name for name in STEPS if name not in cannot) if steps is None else steps
    unknown = sorted(set(steps) - set(STEPS))
    if unknown or not steps:
        raise TrainingError(f"steps {', '.join(unknown) or '(none)'}: choose among {', '.join(STEPS)}")
    refused = [name for name in STEPS if name in steps and name in cannot]
    if refused:
        raise TrainingError(f"the {refused[0]} step: {cannot[refused[0]]}")
    steps = tuple(name for name in STEPS if name in steps)
    root = work_folder(location)
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
    left = [name for name in steps if name not in progress.done]
    encoder = encoder or encoder_settings(qrels, seed)
    context = Context(location, fit, check, qrels, seed, encoder, ranker_follows="ranker" in steps)
    if left:
        estimate = _estimate(context, left)
        finish = datetime.fromtimestamp(time.time() + estimate, UTC).strftime("%H:%M UTC")
        say(
            f"{', '.join(left)} on {len(fit)} + {len(check)} judged queries: "
            f"about {estimate / 60:.0f} min, ETA {finish}"
        )
    started = time.monotonic()
    results = [_result(record) for name, record in progress.done.items() if name in steps]
    for number, name in enumerate(steps, start=1):
        if name in progress.done:
            continue
        spent = time.monotonic() - started
        over = budget_s is not None and spent >= budget_s
        if over and not _owed(name, results):
            say(f"step {number}/{len(steps)} {name}: not run, the budget of {budget_s / 60:.0f} min is spent")
            continue
        past = ", past the budget: the vectors the encoder step switched to are served without a ranker" if over else ""
        say(f"step {number}/{len(steps)} {name} ({spent / 60:.1f} min so far{past})")
        result = STEP[name](context)
        results.append(result)
        progress.done[name] = asdict(result)
        if result.kept:  # what later steps fitted before (a run with other --steps) was fitted to what this replaced
            stale = set(STEPS[STEPS.index(name) + 1 :]) & set(progress.done)
            results = [done for done in results if done.name not in stale]
            for later in stale:
                del progress.done[later]
        _save(root / STATE, asdict(progress))
        verdict = "kept" if result.kept else "not kept"
        notes = [note for note in (result.note, result.undecided(len(check))) if note]
        why = "; ".join(("paired p " + format_p(result.p_value), *notes))
        say(f"  {name}: nDCG@10 {result.before:.4f} -> {result.after:.4f} on {len(check)} held-back queries, "
            f"{verdict} ({why}), {result.seconds:.0f} s")  # fmt: skip
    write_report(root / REPORT, results, len(fit), len(check), NOT_RUN | cannot)
    return results


def work_folder(location: IndexLocation) -> Path:
    """Where the progress and the report are kept: beside CURRENT, or for an Elasticsearch alias a folder named
    after it in the working directory."""
    if location.elastic is None:
        return Path(location.name)
    folder = Path(f"{location.name}.train-all")
    folder.mkdir(exist_ok=True)
    return folder


def _owed(name: str, results: list[StepResult]) -> bool:
    """Whether step `name` runs even past the budget: the ranker after a kept encoder, whose switch removed the ranker
    fitted to the old vectors (the new vectors were judged with a ranker, and without one may serve worse)."""
    return name == "ranker" and any(result.name == "encoder" and result.kept for result in results)


@dataclass(frozen=True)
class Context:
    """What every step is given: the index, the queries it may fit on, those it is checked on, the judgments."""

    location: IndexLocation
    fit: dict[str, str]
    check: dict[str, str]
    qrels: Qrels
    seed: int
    encoder: EncoderTrainingSettings
    ranker_follows: bool = True  # the ranker step runs after the encoder's

    @property
    def ranker(self) -> RankerSettings:
        return RankerSettings(seed=self.seed)


def encoder_settings(qrels: Qrels, seed: int) -> EncoderTrainingSettings:
    """The encoder's recipe that did best on Home Depot: one hard negative a pair, pairs from products graded in the
    top third of the scale the judgments use (4 of 0..6 there; 2 of 0..3, 1 of 0..2)."""
    top = max((grade for judged in qrels.values() for grade in judged.values()), default=1)
    return EncoderTrainingSettings(seed=seed, negatives=1, min_grade=max(1, math.ceil(top * 2 / 3 - 0.5)))


def _encoder(context: Context) -> StepResult:
    """The bi-encoder fine-tuned on the fitted queries and the products embedded with it into a new version, served
    only if it did better on the held-back queries (each version with a ranker fitted to it where the ranker step
    follows). See docs/design.md#train-all."""
    started, root = time.monotonic(), IndexRoot(Path(context.location.name))
    settings = context.location.settings().load()
    served = root.current_name()
    _remove_leftovers(root)
    before = SearchPipeline(context.location.open(), settings=settings)
    out = root.path / ENCODERS / f"from-{served}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    train_encoder(before, context.fit, context.qrels, out, context.encoder, progress=True)
    staged = DirectoryWriter(root.path).reembed(str(out.resolve()), progress=True, serve=False).version
    (root.path / STAGED).write_text(staged, encoding="utf-8")  # a kill from here on: the next run deletes it
    switched = False
    try:
        after = SearchPipeline(EmbeddedBackend(open_version(root.versions / staged)), settings=settings)
        if context.ranker_follows:  # each as the ranker step would leave it: a ranker fitted to its own vectors
            before, after = (_using(each, settings, _fit_ranker(each, context)[0]) for each in (before, after))
        else:  # what shoppers get now, with its ranker, against the new vectors without
            before = SearchPipeline(before.backend, settings=settings, ranker=context.location.ranker())
        result = _compared("encoder", before, after, context.check, context.qrels, time.monotonic() - started)
        switched = result.kept and DirectoryWriter(root.path).switch(staged, replacing=served).published
    finally:
        if not switched:
            _discard(root, staged, out)
    if not switched:
        return replace(result, kept=False, note="the index was written meanwhile; run again") if result.kept else result
    (root.path / STAGED).unlink()
    with root.writing():  # the versions beyond those an index keeps, as a served write would
        root.prune(open_version(root.current()).settings.keep_versions)
    note = f"serving {staged}"
    if (root.path / MODEL).is_file():
        note += "; the ranker fitted to the old vectors is removed"
    for name in (MODEL, USAGE):
        (root.path / name).unlink(missing_ok=True)
    return replace(result, note=note)


def _discard(root: IndexRoot, staged: str, model: Path | None = None) -> None:
    """Deletes a version written but never served, the encoder it was embedded with, and the note naming it."""
    with root.writing():
        if staged in root.names() and staged != root.current_name():
            shutil.rmtree(root.versions / staged)
    if model is not None:
        shutil.rmtree(model, ignore_errors=True)
    (root.path / STAGED).unlink(missing_ok=True)


def _remove_leftovers(root: IndexRoot) -> None:
    """Deletes what a killed run left: the version it staged, if never served, and the fine-tuned encoders no
    version names."""
    if (root.path / STAGED).is_file():
        _discard(root, (root.path / STAGED).read_text(encoding="utf-8").strip())
    named = {Manifest.read(root.versions / name).encoder for name in root.names()}
    for folder in (root.path / ENCODERS).glob("*"):
        if str(folder.resolve()) not in named:
            shutil.rmtree(folder)


def _fusion(context: Context) -> StepResult:
    started, location = time.monotonic(), context.location
    store = location.settings()
    before = store.load()
    ranker = location.ranker()  # the served default as it is: with the ranker it has, if any
    pipeline = SearchPipeline(location.open(), settings=before, ranker=ranker)
    tuned = tune_fusion(pipeline, context.fit, context.qrels, progress=True)[0][0]  # the best on the fitted queries
    after = SearchPipeline(pipeline.backend, settings=tuned, ranker=ranker)
    result = _compared("fusion", pipeline, after, context.check, context.qrels, time.monotonic() - started)
    if result.kept:
        record = Tuning(
            metric="ndcg@10 on held-back queries",
            score=round(result.after, 4),
            default_score=round(result.before, 4),
            queries=len(context.fit),
            part="train all",
            index_version=pipeline.backend.label,
            tuned_at=datetime.now(UTC).isoformat(timespec="seconds"),
            p_value_against_defaults=result.p_value,
        )
        store.save(tuned, record)
    return result


def _ranker(context: Context) -> StepResult:
    started, location = time.monotonic(), context.location
    settings = location.settings().load()
    pipeline = SearchPipeline(location.open(), settings=settings)
    ranker, found = _fit_ranker(pipeline, context)
    served = SearchPipeline(pipeline.backend, settings=settings, ranker=location.ranker())  # with the old one, if any
    after = _using(pipeline, settings, ranker)
    result = _compared("ranker", served, after, context.check, context.qrels, time.monotonic() - started)
    kept = result.kept and ranker.usage.beats_hybrid
    note = "" if kept or not result.kept else "its own validation could not tell it from hybrid"
    if kept:  # else the ranker served before, if any, stays: the report says why this one did not
        found += gather(pipeline, context.check, context.qrels, context.ranker.depth)
        ranker = refitted(ranker, found, context.ranker, ranker.usage.trained["trees"], started)
        location.keep_ranker(ranker)
        note = f"installed fitted again on the held-back queries too ({len(found)} queries, as many trees)"
    return replace(result, kept=kept, note=note, seconds=time.monotonic() - started)  # the refit counted


def _fit_ranker(pipeline: SearchPipeline, context: Context) -> tuple[FeatureRanker, list[Candidates]]:
    """A ranker fitted on the fitted queries over `pipeline`, and the candidates it learned from."""
    found = gather(pipeline, context.fit, context.qrels, context.ranker.depth)
    return fit_and_check(found, context.qrels, context.ranker, time.monotonic()), found


def _using(pipeline: SearchPipeline, settings: SearchSettings, ranker: FeatureRanker) -> SearchPipeline:
    """`pipeline` with `ranker` used whatever its own validation said: the check on the held-back queries decides."""
    used = FeatureRanker(ranker.booster, replace(ranker.usage, beats_hybrid=True))
    return SearchPipeline(pipeline.backend, settings=settings, ranker=used)


STEP = {"encoder": _encoder, "fusion": _fusion, "ranker": _ranker}


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


def _estimate(context: Context, left: list[str]) -> float:
    """Seconds the steps left should take, from their own work timed now on a few held-back queries (a search,
    fusion's retrieval and one setting scored, a ranker's candidates) and a few products embedded (TRAINING_COST
    embeddings of a text clipped as training clips it per encoder pair, the catalogue embedded)."""
    sample = dict(list(context.check.items())[:20])
    settings = context.location.settings().load()
    pipeline = SearchPipeline(context.location.open(), settings=settings)
    run_mode(pipeline, dict(list(sample.items())[:3]), "hybrid")  # the first searches load models: not every one's
    depth, legs = context.ranker.depth, {}
    each = _typical(sample, lambda qid, text: pipeline.search(SearchRequest(text, "hybrid", size=DEPTH)))
    fetched = _typical(sample, lambda qid, text: legs.update({qid: retrieved(pipeline, text)}))
    gathered = _typical(sample, lambda qid, text: candidates(pipeline, text, qid, context.qrels.get(qid, {}), depth))
    fitted, checked = len(context.fit), len(context.check)
    copies = max(1, min(fitted, 1000) // len(legs))  # scoring a run costs more per query for a few than for many
    many = {f"{qid}#{n}": found for qid, found in legs.items() for n in range(copies)}
    evaluate_run(fused_run(legs, settings), context.qrels, MetricSet())  # its first call compiles what it runs
    started = time.perf_counter()
    evaluate_run(fused_run(many, settings), {qid: context.qrels[qid.rpartition("#")[0]] for qid in many}, MetricSet())
    scored = (time.perf_counter() - started) / len(many)  # one setting of the grid, per query
    step = {  # the searches before and after on the held-back queries, and what the step fits on
        "encoder": 2 * checked * each + (2 * fitted * gathered if context.ranker_follows else 0.0),
        "fusion": 2 * checked * each + fitted * (fetched + len(candidate_settings(settings)) * scored),
        "ranker": 2 * checked * each + (fitted + checked) * gathered,  # the held-back ones too, to fit again
    }
    seconds = sum(step[name] + 10 for name in left)
    if "encoder" in left:
        products = list(pipeline.backend.all_products())
        texts = [product.embedding_text() for product in products[:64]]
        clipped = [pipeline.encoder.clip(text, context.encoder.max_length) for text in texts]  # as training reads
        embedded = _per_text(pipeline.encoder, texts)
        trained = embedded if clipped == texts else _per_text(pipeline.encoder, clipped)  # short titles: the same
        pairs = sum(
            grade >= context.encoder.min_grade for qid in context.fit for grade in context.qrels.get(qid, {}).values()
        )
        seconds += trained * pairs * context.encoder.epochs * TRAINING_COST + embedded * len(products)
    return seconds


def _typical(sample: dict[str, str], work: Callable[[str, str], object]) -> float:
    """Seconds `work` takes for a query, the slowest tenth left out: a first use that loads something (the speller,
    a cache) is paid once in a run, not once a query."""
    took = []
    for qid, text in sample.items():
        started = time.perf_counter()
        work(qid, text)
        took.append(time.perf_counter() - started)
    kept = sorted(took)[: max(1, len(took) - len(took) // 10)]
    return sum(kept) / len(kept)


def _per_text(encoder, texts: list[str], tries: int = 3) -> float:
    """Seconds a text takes to embed in a batch of `texts`: the fastest of a few tries, since one batch's time swings
    by half with whatever else the machine does."""
    took = []
    for _ in range(tries):
        started = time.perf_counter()
        encoder.encode(texts)
        took.append(time.perf_counter() - started)
    return min(took) / max(1, len(texts))


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


def write_report(
    stem: Path, results: list[StepResult], fitted: int, checked: int, not_run: dict[str, str] = NOT_RUN
) -> tuple[Path, Path]:
    """STEM.json and STEM.md: each step's gain with its 95% interval, p-value, time and latency, and what is
    left to do by hand."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    undecided = {result.name: result.undecided(checked) for result in results}
    record = {
        "at": when,
        "fit_queries": fitted,
        "check_queries": checked,
        "steps": [asdict(result) | {"gain": result.gain, "undecided": undecided[result.name]} for result in results],
        "not_run": not_run,
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
            f"{result.gain:+.4f} ({low:+.4f} to {high:+.4f}) | {format_p(result.p_value)} | {result.seconds:.0f} s | "
            f"{result.latency_ms[0]:.1f} -> {result.latency_ms[1]:.1f} ms |"
        )
    noted = [f"- {result.name}: {result.note}" for result in results if result.note]
    lines += ["", "Notes:", *noted] if noted else []
    told = [f"- {name}: {why}" for name, why in undecided.items() if why]
    lines += ["", "Not kept, and not ruled out:", *told] if told else []
    lines += ["", "Not run by this command:", *(f"- {name}: {how}" for name, how in not_run.items())]
    json_path, markdown = stem.with_suffix(".json"), stem.with_suffix(".md")
    _save(json_path, record)
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return json_path, markdown
