"""Fine-tuning the cross-encoder reranker from all-MiniLM-L6-v2 on a shop's graded judgments.

See docs/design.md#reranker-training.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from evaluation.judgments import Qrels
from evaluation.metrics import Judge, validation_judge
from evaluation.tuning import RerankList, choose_rerank
from models.backbones import RERANKER_BACKBONES, backbone_dir
from models.cross_encoders import RerankUsage, write_usage
from models.progress import bar
from search import SearchPipeline
from training.errors import TrainingError
from training.loop import MAX_GRAD_NORM, Check, Checkpoints, known, run, write_report
from training.mining import (
    Candidates,
    base_model,
    check_negatives_from_rank,
    hybrid_candidates,
    sample_up_to,
    split_for_training,
    unjudged_hits,
)

LOSSES = ("lambda", "bce")

Group = tuple[str, list[tuple[str, float]]]  # (query, [(product text, label)])


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 1
    max_pairs: int | None = None
    seed: int = 13
    validation_share: float = 0.1
    max_validation_queries: int = 300
    batch_size: int = 32
    learning_rate: float = 7e-5
    warmup_share: float = 0.1
    max_length: int = 128
    negatives: int = 3  # per query
    negatives_from_rank: int = 10  # 0-based: unjudged hybrid hits above this rank are never negatives
    rerank_depth: int = 30
    checks_per_epoch: int = 3
    loss: str = "lambda"
    init: str | None = None  # a cross-encoder folder to go on from, instead of a base model with a fresh head
    base: str | None = None  # a backbone name or folder; None: the index language's (models.backbones)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise TrainingError(f"unknown loss {self.loss!r}; use one of {', '.join(LOSSES)}")
        check_negatives_from_rank(self.negatives_from_rank)


def make_groups(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    settings: TrainingSettings,
    rng: random.Random,
    progress: bool,
) -> list[Group]:
    """One group per query, in a seeded random order, mined only until they hold `settings.max_pairs` pairs."""
    top_grade = max(grade for judged in qrels.values() for grade in judged.values()) or 1
    products = pipeline.backend.products(sorted({product_id for qid in queries for product_id in qrels[qid]}))
    groups, room = [], settings.max_pairs
    order = rng.sample(sorted(queries), len(queries))
    for qid in bar(order, desc="mining negatives", unit="query", disable=not progress):
        if room is not None and room <= 0:
            break
        judged = qrels[qid]
        group = [
            (products[product_id].embedding_text(), max(grade, 0) / top_grade)
            for product_id, grade in judged.items()
            if product_id in products
        ]
        searched, unjudged = unjudged_hits(pipeline, queries[qid], judged, settings.negatives_from_rank)
        group += [(product.embedding_text(), 0.0) for product in sample_up_to(unjudged, settings.negatives, rng)]
        if room is not None:
            group = group[:room]
            room -= len(group)
        groups.append((searched, group))
    return groups


def batches(groups: list[Group], settings: TrainingSettings, rng: random.Random) -> list[list[Group]]:
    """Training batches of about `batch_size` pairs: whole groups for the listwise loss, and for
    "bce" the pairs shuffled across queries, one pair a group."""
    if settings.loss == "bce":
        pairs = [(query, [item]) for query, group in groups for item in group]
        rng.shuffle(pairs)
        return [pairs[start : start + settings.batch_size] for start in range(0, len(pairs), settings.batch_size)]
    result: list[list[Group]] = [[]]
    size = 0
    for group in rng.sample(groups, len(groups)):
        if size >= settings.batch_size:
            result.append([])
            size = 0
        result[-1].append(group)
        size += len(group[1])
    return [batch for batch in result if batch]


@dataclass(frozen=True)
class RerankerReport:
    """What `train_reranker` did, written as out/training.json."""

    base_model: str
    start_from: str
    pairs: int
    fit_queries: int
    validation_queries: int
    validation_metric: str
    validation_hybrid: float | None
    best_validation: float | None
    usage: RerankUsage  # the kept checkpoint's, also in its USAGE_FILE
    history: tuple[Check, ...]
    seconds: float
    device: str
    index_version: str
    settings: TrainingSettings

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"usage": self.usage.to_json()}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> RerankerReport:
        return cls(
            **known(cls, record)
            | {
                "usage": RerankUsage.from_json(record["usage"]),
                "history": tuple(Check.from_json(check) for check in record["history"]),
                "settings": TrainingSettings(**known(TrainingSettings, record["settings"])),
            }
        )


def train_reranker(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    out: Path,
    settings: TrainingSettings = TrainingSettings(),
    progress: bool = False,
    click_rates: dict[str, dict[str, float]] | None = None,
) -> RerankerReport:
    """Trains, keeps the best checkpoint in `out`, and returns what happened (also in out/training.json).
    Judgments made from clicks bring `click_rates` (events.clicks.ClickJudgments.rates): validation then
    measures what the clicks say of each order (evaluation.metrics.by_clicks) rather than nDCG."""
    import torch
    from sentence_transformers import CrossEncoder

    started = time.perf_counter()
    fit_ids, validation_ids = split_for_training(queries, qrels, settings.validation_share, settings.seed)
    validation_ids = validation_ids[: settings.max_validation_queries]
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    groups = make_groups(pipeline, {q: queries[q] for q in fit_ids}, qrels, settings, rng, progress)
    validation = hybrid_candidates(pipeline, {q: queries[q] for q in validation_ids}, settings.rerank_depth)
    judge, metric = validation_judge(qrels, click_rates)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = base_model(pipeline, settings.base, RERANKER_BACKBONES)
    start_from = settings.init or str(backbone_dir(base))
    model = CrossEncoder(start_from, num_labels=1, max_length=settings.max_length, device=device)
    _fresh_pooler(model, settings.seed)
    epochs = [batches(groups, settings, rng) for _ in range(settings.epochs)]
    total = sum(len(epoch) for epoch in epochs)
    every = math.ceil(len(epochs[0]) / settings.checks_per_epoch)  # the last check ends the epoch
    loss_function = _loss(model, settings.loss)

    def loss_of(batch: list[Group]) -> Any:
        labels = [torch.tensor([label for _, label in group], device=device) for _, group in batch]
        return loss_function([[query for query, _ in batch], [[t for t, _ in group] for _, group in batch]], labels)

    def validate(step: int) -> tuple[float | None, RerankUsage]:
        usage = replace(choose_usage(validation, judge, model, settings.rerank_depth, metric), step=step)
        if step == 0 and settings.init is None:  # a fresh head never counts as beating hybrid
            usage = replace(usage, beats_hybrid=False)
        return usage.reranked, usage

    # the model as it starts is the floor any checkpoint must beat
    checkpoints = Checkpoints(validate, lambda usage: save_model(model, usage, out))
    checkpoints.check(0)
    check_at = {step for step in range(1, total + 1) if step % every == 0 or step == total}
    run(
        model,
        epochs,
        loss_of,
        settings.learning_rate,
        warmup_share=settings.warmup_share,
        clip=MAX_GRAD_NORM,
        checkpoints=checkpoints,
        check_at=check_at,
        progress=progress,
    )
    usage = checkpoints.chosen
    report = RerankerReport(
        base_model=base,
        start_from=start_from,
        pairs=sum(len(group) for _, group in groups),
        fit_queries=len(fit_ids),
        validation_queries=len(validation_ids),
        validation_metric=metric,
        validation_hybrid=usage.hybrid,
        best_validation=usage.reranked,
        usage=usage,
        history=tuple(checkpoints.history),
        seconds=round(time.perf_counter() - started, 1),
        device=device,
        index_version=pipeline.backend.label,
        settings=settings,
    )
    write_report(out, report.to_json())
    return report


def _fresh_pooler(model: Any, seed: int) -> None:
    """A pooler of zeros (multilingual-e5-small ships none: its folder holds zeros there) scores every pair
    alike and passes no gradient to the encoder; a classification head needs it initialised as BERT's is."""
    import torch

    bert = model.model.base_model
    pooler = getattr(bert, "pooler", None)
    if pooler is not None and not bool(pooler.dense.weight.detach().abs().sum()):
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            weight = torch.randn(pooler.dense.weight.shape, generator=generator) * model.model.config.initializer_range
            pooler.dense.weight.copy_(weight)
            pooler.dense.bias.zero_()


def _loss(model: Any, name: str) -> Any:
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss, LambdaLoss

    if name == "bce":
        return _Pointwise(BinaryCrossEntropyLoss(model))
    # One forward pass a batch. LambdaLoss documents mini_batch_size <= 0 as "the whole batch", but
    # reads 0 as the number of queries, which ran crowdflower's 40-product groups one pair at a time.
    return LambdaLoss(model, mini_batch_size=1 << 16)


class _Pointwise:
    """BinaryCrossEntropyLoss called with the listwise inputs of one-pair groups."""

    def __init__(self, loss: Any) -> None:
        self.loss = loss

    def __call__(self, inputs: list[list[Any]], labels: list[Any]) -> Any:
        import torch

        queries, documents = inputs
        return self.loss([queries, [docs[0] for docs in documents]], torch.cat(labels))


def choose_usage(
    validation: dict[str, Candidates], judge: Judge, model: Any, depth: int, metric: str = "ndcg@10"
) -> RerankUsage:
    """How a sentence-transformers CrossEncoder is best used on the validation queries' hybrid top `depth`
    (evaluation.tuning.choose_rerank)."""
    lists: dict[str, RerankList] = {}
    for qid, (query, items, fused) in validation.items():
        scores = model.predict([(query, text) for _, text in items], batch_size=64, show_progress_bar=False)
        lists[qid] = (fused, {product_id: float(score) for (product_id, _), score in zip(items, scores, strict=True)})
    return choose_rerank(lists, judge, depth, metric)


def save_model(model: Any, usage: RerankUsage | None, out: Path) -> None:
    """The model folder with how it is to be used (models.cross_encoders.USAGE_FILE; None: no such file)."""
    model.save(str(out))
    write_usage(out, usage)
