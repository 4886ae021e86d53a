"""Distilling a trained cross-encoder into a student that fits behind a search box.

See docs/design.md#distillation.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evaluation.judgments import Qrels, split_queries
from evaluation.metrics import by_judgments
from models.cross_encoders import RerankUsage, read_usage
from search import SearchPipeline
from training.errors import TrainingError
from training.loop import MAX_GRAD_NORM, known, run, write_report
from training.mining import Candidates, hybrid_candidates, sample_up_to
from training.reranker import choose_usage, save_model


@dataclass(frozen=True)
class DistilSettings:
    layers: int = 4  # of a MiniLM teacher's 6, 3 kept 54 % of its gain on Home Depot, 4 all; e5 has 12, unmeasured
    max_length: int = 64  # tokens of query and product; Home Depot's titles rarely need more
    depth: int = 30  # hybrid hits per query the teacher scores and the student learns
    epochs: int = 1
    max_queries: int | None = 2000
    queries_per_step: int = 2
    learning_rate: float = 5e-5
    warmup_share: float = 0.1
    seed: int = 13
    validation_share: float = 0.1
    max_validation_queries: int = 300


def kept_layers(teacher_layers: int, layers: int) -> list[int]:
    """The teacher's layers the student starts from, spread evenly from the first (6 -> 3: 0, 2, 4)."""
    if not 1 <= layers <= teacher_layers:
        raise TrainingError(f"the student needs 1..{teacher_layers} layers (the teacher has {teacher_layers})")
    return [index * teacher_layers // layers for index in range(layers)]


def centred_error(student: Any, teacher: Any, sizes: list[int]) -> Any:
    """Mean squared difference of the student's and the teacher's scores, each centred on its query's mean."""
    import torch

    errors = [
        ((s - s.mean()) - (t - t.mean())).pow(2)
        for s, t in zip(torch.split(student, sizes), torch.split(teacher, sizes), strict=True)
    ]
    return torch.cat(errors).mean()


@dataclass(frozen=True)
class DistilReport:
    """What `distil_reranker` did, written as out/training.json."""

    teacher: str
    layers: tuple[int, ...]  # the teacher's layers the student kept
    queries: int
    pairs: int
    validation_queries: int
    usage: RerankUsage | None  # the student's, also in its USAGE_FILE; None: the search settings decide
    teacher_usage: RerankUsage | None  # the teacher's on the same validation queries; None without judgments
    kept_share_of_gain: float | None
    seconds: float
    device: str
    index_version: str
    settings: DistilSettings

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"usage": _json(self.usage), "teacher_usage": _json(self.teacher_usage)}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> DistilReport:
        usages = {name: _usage(record[name]) for name in ("usage", "teacher_usage")}
        settings = DistilSettings(**known(DistilSettings, record["settings"]))
        return cls(**known(cls, record) | usages | {"layers": tuple(record["layers"]), "settings": settings})


def _json(usage: RerankUsage | None) -> dict[str, Any] | None:
    return None if usage is None else usage.to_json()


def _usage(record: dict[str, Any] | None) -> RerankUsage | None:
    return None if record is None else RerankUsage.from_json(record)


def distil_reranker(
    pipeline: SearchPipeline,
    teacher_dir: Path,
    queries: dict[str, str],
    qrels: Qrels | None,
    out: Path,
    settings: DistilSettings = DistilSettings(),
    progress: bool = False,
) -> DistilReport:
    """Trains the student in `out` and returns what happened (also in out/training.json)."""
    import torch
    from sentence_transformers import CrossEncoder

    started = time.perf_counter()
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    if qrels:
        judged = sorted(qid for qid in queries if qid in qrels)
        fit_ids, validation_ids = split_queries(judged, 1 - settings.validation_share, settings.seed)
        fit_ids += sorted(qid for qid in queries if qid not in qrels)  # unjudged queries (--part all) teach too
        validation_ids = validation_ids[: settings.max_validation_queries]
    else:
        fit_ids, validation_ids = sorted(queries), []
    if not fit_ids:
        raise TrainingError("no queries to distil on; give the queries shoppers search with --queries")
    if not (teacher_dir / "config.json").is_file():
        raise TrainingError(f"no cross-encoder at {teacher_dir}; train one with 'prodsearch train reranker'")
    fit_ids = sample_up_to(fit_ids, settings.max_queries or len(fit_ids), rng)
    teacher = CrossEncoder(str(teacher_dir), device="cuda" if torch.cuda.is_available() else "cpu")
    fit = hybrid_candidates(pipeline, {qid: queries[qid] for qid in fit_ids}, settings.depth)
    fit = {qid: candidates for qid, candidates in fit.items() if len(candidates.items) > 1}
    if not fit:
        raise TrainingError("no query found two products or more: there is no order to learn")
    targets = _teacher_logits(teacher, fit, progress)

    student = CrossEncoder(str(teacher_dir), max_length=settings.max_length, device=teacher.device)
    bert = student.model.base_model
    keep = kept_layers(len(bert.encoder.layer), settings.layers)
    bert.encoder.layer = torch.nn.ModuleList([bert.encoder.layer[index] for index in keep])
    student.model.config.num_hidden_layers = len(keep)

    order = sorted(fit)
    steps = [
        rng.sample(order, len(order))[start : start + settings.queries_per_step]
        for _ in range(settings.epochs)
        for start in range(0, len(order), settings.queries_per_step)
    ]

    def loss_of(qids: list[str]) -> Any:
        pairs = [(fit[qid].query, text) for qid in qids for _, text in fit[qid].items]
        features = student.preprocess(pairs)
        features = {key: value.to(student.device) if hasattr(value, "to") else value for key, value in features.items()}
        scores = student(features)["scores"].view(-1)
        wanted = torch.cat([targets[qid] for qid in qids]).to(student.device)
        return centred_error(scores, wanted, [len(fit[qid].items) for qid in qids])

    run(
        student,
        [steps],
        loss_of,
        settings.learning_rate,
        warmup_share=settings.warmup_share,
        clip=MAX_GRAD_NORM,
        desc="distilling",
        progress=progress,
    )

    validation = hybrid_candidates(pipeline, {qid: queries[qid] for qid in validation_ids}, settings.depth)
    if validation:
        usage = choose_usage(validation, by_judgments(qrels), student, settings.depth)
        teacher_usage = choose_usage(validation, by_judgments(qrels), teacher, settings.depth)
        gain = teacher_usage.reranked - teacher_usage.hybrid
        kept = (usage.reranked - usage.hybrid) / gain if gain > 0 else None
    else:  # the teacher's choice, copied, or none: the search settings decide
        usage, teacher_usage, kept = read_usage(teacher_dir), None, None
    save_model(student, usage, out)  # with no usage, an earlier run's USAGE_FILE goes: it is not this student's
    report = DistilReport(
        teacher=str(teacher_dir),
        layers=tuple(keep),
        queries=len(fit),
        pairs=sum(len(candidates.items) for candidates in fit.values()),
        validation_queries=len(validation),
        usage=usage,
        teacher_usage=teacher_usage,
        kept_share_of_gain=None if kept is None else round(kept, 3),
        seconds=round(time.perf_counter() - started, 1),
        device=str(student.device),
        index_version=pipeline.backend.label,
        settings=settings,
    )
    write_report(out, report.to_json())
    return report


def _teacher_logits(teacher: Any, fit: dict[str, Candidates], progress: bool) -> dict[str, Any]:
    """qid -> the teacher's raw scores (before its sigmoid) of the query's candidates."""
    import torch

    pairs = [(candidates.query, text) for candidates in fit.values() for _, text in candidates.items]
    logits = teacher.predict(
        pairs, batch_size=64, activation_fn=torch.nn.Identity(), convert_to_tensor=True, show_progress_bar=progress
    )
    sizes = [len(candidates.items) for candidates in fit.values()]
    return dict(zip(fit, torch.split(logits.detach().float().cpu(), sizes), strict=True))
