"""Fine-tuning the cross-encoder reranker from all-MiniLM-L6-v2 on a shop's graded judgments.

Each training query brings a group: its judged products, labelled grade / top grade, and hard
negatives, unjudged products from the hybrid retriever's top 50. By default they come from rank 11
down, because shallow judgment pools leave relevant products unjudged at the top; with deep pools
the unjudged top hits are the hardest negatives there are, and `negatives_from_rank=0` takes them. The default
loss is listwise (LambdaLoss with the NDCG-Loss2++ weighting, from sentence-transformers): it
orders each query's group as nDCG would; "bce" scores every pair on its own instead. A share of
the queries is held out; a few times per epoch the model reranks their hybrid top 30, mixed with
the fused score at every depth and weight (evaluation.tuning.choose_rerank), judged by nDCG@10, or
for judgments made from clicks by the clicks each order would get (evaluation.metrics.by_clicks),
and the best checkpoint is kept as a standard sentence-transformers CrossEncoder folder with that choice beside it
(models.cross_encoders.USAGE_FILE): serving reranks as deep and with the weight it was validated
at, and not at all when no checkpoint beat hybrid's order.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluation.judgments import Qrels
from evaluation.metrics import Judge, validation_judge
from evaluation.tuning import RerankList, choose_rerank
from models.backbones import backbone_dir
from models.cross_encoders import USAGE_FILE
from search import SearchPipeline
from training.errors import TrainingError
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
    for qid in tqdm(order, desc="mining negatives", unit="query", disable=not progress):
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


def train_reranker(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    out: Path,
    settings: TrainingSettings = TrainingSettings(),
    progress: bool = False,
    click_rates: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Trains, keeps the best checkpoint in `out`, and returns what happened (also in out/training.json).
    Judgments made from clicks bring `click_rates` (events.clicks.ClickJudgments.rates): validation then
    measures what the clicks say of each order (evaluation.metrics.by_clicks) rather than nDCG."""
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import get_linear_schedule_with_warmup

    started = time.perf_counter()
    fit_ids, validation_ids = split_for_training(queries, qrels, settings.validation_share, settings.seed)
    validation_ids = validation_ids[: settings.max_validation_queries]
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    groups = make_groups(pipeline, {q: queries[q] for q in fit_ids}, qrels, settings, rng, progress)
    validation = hybrid_candidates(pipeline, {q: queries[q] for q in validation_ids}, settings.rerank_depth)
    judge, metric = validation_judge(qrels, click_rates)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = base_model(pipeline, settings.base)
    start_from = settings.init or str(backbone_dir(base))
    model = CrossEncoder(start_from, num_labels=1, max_length=settings.max_length, device=device)
    _fresh_pooler(model, settings.seed)
    epochs = [batches(groups, settings, rng) for _ in range(settings.epochs)]
    total_steps = sum(len(epoch) for epoch in epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(total_steps * settings.warmup_share), total_steps)
    loss_function = _loss(model, settings.loss)
    check_every = math.ceil(len(epochs[0]) / settings.checks_per_epoch)  # the last check ends the epoch

    # the model as it starts is the floor any checkpoint must beat; a fresh head never counts as beating hybrid
    choice = choose_usage(validation, judge, model, settings.rerank_depth, metric) | {"step": 0}
    if settings.init is None:
        choice["beats_hybrid"] = False
    history = [{"step": 0, "validation": choice["reranked"]}]
    save_model(model, choice, out)
    step = 0
    with tqdm(total=total_steps, desc="training", unit="batch", disable=not progress) as bar:
        for epoch in epochs:
            for batch in epoch:
                model.train()
                labels = [torch.tensor([label for _, label in group], device=device) for _, group in batch]
                loss = loss_function(
                    [[query for query, _ in batch], [[t for t, _ in group] for _, group in batch]], labels
                )
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", best=f"{choice['reranked']:.4f}")
                if step % check_every == 0 or step == total_steps:
                    checked = choose_usage(validation, judge, model, settings.rerank_depth, metric) | {"step": step}
                    history.append({"step": step, "validation": checked["reranked"], "loss": round(loss.item(), 4)})
                    if checked["reranked"] > choice["reranked"]:
                        choice = checked
                        save_model(model, choice, out)
    report = {
        "base_model": base,
        "start_from": start_from,
        "pairs": sum(len(group) for _, group in groups),
        "fit_queries": len(fit_ids),
        "validation_queries": len(validation_ids),
        "validation_metric": metric,
        "validation_hybrid": choice["hybrid"],
        "best_validation": choice["reranked"],
        "usage": choice,
        "history": history,
        "seconds": round(time.perf_counter() - started, 1),
        "device": device,
        "index_version": pipeline.backend.label,
        "settings": asdict(settings),
    }
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
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
) -> dict[str, Any]:
    """How a sentence-transformers CrossEncoder is best used on the validation queries' hybrid top `depth`
    (evaluation.tuning.choose_rerank)."""
    lists: dict[str, RerankList] = {}
    for qid, (query, items, fused) in validation.items():
        scores = model.predict([(query, text) for _, text in items], batch_size=64, show_progress_bar=False)
        lists[qid] = (fused, {product_id: float(score) for (product_id, _), score in zip(items, scores, strict=True)})
    return choose_rerank(lists, judge, depth, metric)


def save_model(model: Any, choice: dict[str, Any], out: Path) -> None:
    """The model folder with how it is to be used (models.cross_encoders.USAGE_FILE)."""
    model.save(str(out))
    (out / USAGE_FILE).write_text(json.dumps(choice, indent=2) + "\n", encoding="utf-8")
