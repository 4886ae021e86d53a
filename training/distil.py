"""Distilling a trained cross-encoder into a student that fits behind a search box.

The student is the teacher's own checkpoint with fewer layers, spread over the teacher's (4 of 6 keeps
layers 0, 1, 3 and 4; DistilBERT's student was initialised from every other layer of its teacher: Sanh
et al. 2019), reading fewer tokens. It learns the teacher's logits over the hybrid top `depth` products of
each query, centred on the query's mean: the student is taught the differences a ranking depends on, not
the teacher's offset per query (the margin-MSE of Hofstätter et al. 2020, "Improving Efficient Neural
Ranking Models with Cross-Architecture Knowledge Distillation", taken over all pairs of a query at once).
Training needs no judgments, only queries a shop's shoppers search. With judgments, the held-out
validation queries choose the depth and weight the student reranks with, as `train reranker` does, and
the teacher is measured on the same queries to say how much of its gain the student kept (they are the
teacher's own validation queries when the split is the same, which flatters the teacher: the share
kept errs low); without them, the teacher's own choice is copied.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluation.judgments import Qrels, split_queries
from evaluation.metrics import by_judgments
from models.cross_encoders import USAGE_FILE, read_usage
from search import SearchPipeline
from training.errors import TrainingError
from training.mining import Candidates, hybrid_candidates, sample_up_to
from training.reranker import choose_usage, save_model


@dataclass(frozen=True)
class DistilSettings:
    layers: int = 4  # of 6: 3 kept 54 % of the gain on Home Depot's held-out queries, 4 all (docs/relevance.md)
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


def distil_reranker(
    pipeline: SearchPipeline,
    teacher_dir: Path,
    queries: dict[str, str],
    qrels: Qrels | None,
    out: Path,
    settings: DistilSettings = DistilSettings(),
    progress: bool = False,
) -> dict[str, Any]:
    """Trains the student in `out` and returns what happened (also in out/training.json)."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import get_linear_schedule_with_warmup

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
    optimizer = torch.optim.AdamW(student.parameters(), lr=settings.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(len(steps) * settings.warmup_share), len(steps))
    for qids in tqdm(steps, desc="distilling", unit="step", disable=not progress):
        student.train()
        pairs = [(fit[qid].query, text) for qid in qids for _, text in fit[qid].items]
        features = student.preprocess(pairs)
        features = {key: value.to(student.device) if hasattr(value, "to") else value for key, value in features.items()}
        scores = student(features)["scores"].view(-1)
        wanted = torch.cat([targets[qid] for qid in qids]).to(student.device)
        loss = centred_error(scores, wanted, [len(fit[qid].items) for qid in qids])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    student.eval()

    validation = hybrid_candidates(pipeline, {qid: queries[qid] for qid in validation_ids}, settings.depth)
    if validation:
        usage = choose_usage(validation, by_judgments(qrels), student, settings.depth)
        teacher_usage = choose_usage(validation, by_judgments(qrels), teacher, settings.depth)
        gain = teacher_usage["reranked"] - teacher_usage["hybrid"]
        kept = (usage["reranked"] - usage["hybrid"]) / gain if gain > 0 else None
    else:  # the teacher's choice, copied, or none: the search settings decide
        usage, teacher_usage, kept = read_usage_record(teacher_dir), None, None
    if usage is None:
        student.save(str(out))
        (out / USAGE_FILE).unlink(missing_ok=True)  # an earlier run's choice is not this student's
    else:
        save_model(student, usage, out)
    report = {
        "teacher": str(teacher_dir),
        "layers": keep,
        "queries": len(fit),
        "pairs": sum(len(candidates.items) for candidates in fit.values()),
        "validation_queries": len(validation),
        "usage": usage,
        "teacher_usage": teacher_usage,
        "kept_share_of_gain": None if kept is None else round(kept, 3),
        "seconds": round(time.perf_counter() - started, 1),
        "device": str(student.device),
        "index_version": pipeline.backend.label,
        "settings": asdict(settings),
    }
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def read_usage_record(directory: Path) -> dict[str, Any] | None:
    """The USAGE_FILE record of a model folder as written, checked by models.cross_encoders.read_usage."""
    if read_usage(directory) is None:
        return None
    return json.loads((directory / USAGE_FILE).read_text(encoding="utf-8"))


def _teacher_logits(teacher: Any, fit: dict[str, Candidates], progress: bool) -> dict[str, Any]:
    """qid -> the teacher's raw scores (before its sigmoid) of the query's candidates."""
    import torch

    pairs = [(candidates.query, text) for candidates in fit.values() for _, text in candidates.items]
    logits = teacher.predict(
        pairs, batch_size=64, activation_fn=torch.nn.Identity(), convert_to_tensor=True, show_progress_bar=progress
    )
    sizes = [len(candidates.items) for candidates in fit.values()]
    return dict(zip(fit, torch.split(logits.detach().float().cpu(), sizes), strict=True))
