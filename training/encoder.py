"""Fine-tuning the bi-encoder on (query, relevant product) pairs with in-batch and hard negatives.

See docs/design.md#encoder-fine-tuning.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evaluation.judgments import Qrels
from evaluation.metrics import Judge, Run, mean, validation_judge
from indexer import Product
from models.backbones import ENCODER_BACKBONES, backbone_dir
from models.progress import bar
from search import SearchPipeline
from training.errors import TrainingError
from training.loop import Check, Checkpoints, known, run, write_report
from training.mining import (
    Candidates,
    base_model,
    check_negatives_from_rank,
    hybrid_candidates,
    sample_up_to,
    split_for_training,
    unjudged_hits,
)


@dataclass(frozen=True)
class EncoderTrainingSettings:
    epochs: int = 1
    min_grade: int = 1  # pairs are made from products judged at least this
    seed: int = 13
    validation_share: float = 0.1
    max_validation_queries: int = 300
    batch_size: int = 32
    learning_rate: float = 2e-5
    scale: float = 20.0  # cosine similarities are multiplied by this before the softmax
    max_length: int = 128
    checks_per_epoch: int = 3
    pseudo_queries: int = 0  # > 0: train on this many catalogue products with made-up queries instead
    negatives: int = 0  # hard negatives a pair, from its query's unjudged hybrid hits
    negatives_from_rank: int = 10  # 0-based: unjudged hybrid hits above this rank are never negatives
    base: str | None = None  # a backbone name or folder; None: the index language's (models.backbones)

    def __post_init__(self) -> None:
        if self.negatives and self.pseudo_queries:
            raise TrainingError(
                "hard negatives are mined from judged queries' hits; pseudo-queries have none: drop --negatives"
            )
        check_negatives_from_rank(self.negatives_from_rank)


def pseudo_query(product: Product, rng: random.Random) -> str:
    """A short query a shopper might type for `product`: two to four words of its title, half the
    time its last ones (where titles name the kind of product), half the time with the category,
    the brand or an attribute value beside them."""
    words = re.findall(r"\w[\w.-]*", product.title.lower()) or [product.title.lower()]
    length = min(len(words), rng.choice((2, 3, 3, 4)))
    start = len(words) - length if rng.random() < 0.5 else rng.randrange(len(words) - length + 1)
    query = words[start : start + length]
    extras = [*product.category[-1:], *([product.brand] if product.brand else [])]
    extras += [value for values in product.attributes.values() for value in values]
    if extras and rng.random() < 0.5:
        extra = rng.choice(extras).lower()
        query = [extra, *query] if rng.random() < 0.5 else [*query, extra]
    return " ".join(query)


def pseudo_pairs(pipeline: SearchPipeline, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(pseudo-query, product text) for `count` products of the index, drawn at random."""
    catalogue = sorted(pipeline.backend.all_products(), key=lambda product: product.id)  # the same draw anywhere
    products = rng.sample(catalogue, min(count, len(catalogue)))
    return [(pseudo_query(product, rng), product.embedding_text()) for product in products]


@dataclass(frozen=True)
class EncoderReport:
    """What `train_encoder` did, written as out/training.json."""

    base_model: str
    pairs: int
    pairs_without_company: int  # over all epochs: the last of a query's pairs once the others are used
    pairs_from: str  # "judgments" or "pseudo-queries"
    queries_with_negatives: int
    fit_queries: int
    validation_queries: int
    validation_proxy: str
    validation_metric: str
    best_validation: float | None  # None: no validation queries
    history: tuple[Check, ...]
    seconds: float
    device: str
    settings: EncoderTrainingSettings

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> EncoderReport:
        return cls(
            **known(cls, record)
            | {
                "history": tuple(Check.from_json(check) for check in record["history"]),
                "settings": EncoderTrainingSettings(**known(EncoderTrainingSettings, record["settings"])),
            }
        )


def train_encoder(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    out: Path,
    settings: EncoderTrainingSettings = EncoderTrainingSettings(),
    progress: bool = False,
    click_rates: dict[str, dict[str, float]] | None = None,
) -> EncoderReport:
    """Trains, keeps the checkpoint that orders the validation queries' hybrid candidates best in `out`, and
    returns what happened (also in out/training.json); with `click_rates`, validated as train_reranker is."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    started = time.perf_counter()
    rng = random.Random(settings.seed)
    fit_ids, validation_ids = [], []
    if qrels:
        fit_ids, validation_ids = split_for_training(queries, qrels, settings.validation_share, settings.seed)
    if settings.pseudo_queries:
        pairs = pseudo_pairs(pipeline, settings.pseudo_queries, rng)
        validation_ids += fit_ids  # judgments only validate here
        fit_ids = []
    else:
        pairs = judged_pairs(pipeline, queries, qrels, fit_ids, settings.min_grade)
    negatives = negative_pools(pipeline, queries, qrels, fit_ids, settings, progress) if settings.negatives else {}
    torch.manual_seed(settings.seed)
    validation = validation_ids[: settings.max_validation_queries]
    candidates = hybrid_candidates(pipeline, {qid: queries[qid] for qid in validation}, 50)
    judge, metric = validation_judge(qrels, click_rates)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = base_model(pipeline, settings.base, ENCODER_BACKBONES)
    model = SentenceTransformer(str(backbone_dir(base)), device=device)
    model.max_seq_length = settings.max_length
    # e5 reads "query: " and "passage: "; the prompts are saved with the model and read back when it serves
    query_prefix, passage_prefix = model.prompts.get("query", ""), model.prompts.get("passage", "")
    # in-batch softmax over cosine * scale; every product of the batch, hard negatives too, is a candidate
    loss_function = MultipleNegativesRankingLoss(model, scale=settings.scale)
    # a batch of one has no in-batch negatives: the last of one query's many pairs, once the others are used
    epochs = [distinct_batches(pairs, settings.batch_size, rng) for _ in range(settings.epochs)]
    alone = sum(len(batch) for batches in epochs for batch in batches if len(batch) < 2)
    epochs = [[batch for batch in batches if len(batch) >= 2] for batches in epochs]
    every = max(1, len(epochs[0]) // settings.checks_per_epoch)

    def embed(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        features = {key: value.to(device) if hasattr(value, "to") else value for key, value in features.items()}
        return model(features)["sentence_embedding"]

    def loss_of(batch: list[tuple[str, str]]) -> torch.Tensor:
        positives = {p for _, p in batch}
        drawn = [
            text
            for q, _ in batch
            for text in sample_up_to(negatives.get(q, []), settings.negatives, rng)
            if text not in positives
        ]
        # products before queries, as dropout drew its masks before sentence-transformers' loss embedded them
        products = embed([passage_prefix + p for _, p in batch] + [passage_prefix + t for t in drawn])
        return loss_function.compute_loss_from_embeddings([embed([query_prefix + q for q, _ in batch]), products], None)

    def validate(step: int) -> tuple[float | None, None]:
        return _rerank_score(model, candidates, judge), None

    checkpoints = Checkpoints(validate, lambda _: model.save(str(out)))
    checkpoints.check(0)
    # no check after the last batch unless it falls on `every`: checkpoints as they were chosen before the shared loop
    check_at = set(range(every, sum(map(len, epochs)) + 1, every)) if candidates else set()
    run(model, epochs, loss_of, settings.learning_rate, checkpoints=checkpoints, check_at=check_at, progress=progress)
    if not candidates:
        model.save(str(out))  # nothing to choose a checkpoint by: the last one
    report = EncoderReport(
        base_model=base,
        pairs=len(pairs),
        pairs_without_company=alone,
        pairs_from="pseudo-queries" if settings.pseudo_queries else "judgments",
        queries_with_negatives=sum(1 for pool in negatives.values() if pool),
        fit_queries=len(fit_ids),
        validation_queries=len(candidates),
        validation_proxy=f"hybrid top 50 reordered by cosine, {metric}",
        validation_metric=metric,
        best_validation=checkpoints.best[0] if checkpoints.best else None,
        history=tuple(checkpoints.history),
        seconds=round(time.perf_counter() - started, 1),
        device=device,
        settings=settings,
    )
    write_report(out, report.to_json())
    return report


def distinct_batches(pairs: list[tuple[str, str]], size: int, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Every (query, product) pair once, in shuffled batches of up to `size` where no query and no product
    text appears twice: a pair that would repeat one waits for a later batch (sentence-transformers'
    no-duplicates sampler, over pairs of texts)."""
    waiting = list(range(len(pairs)))
    rng.shuffle(waiting)
    batches = []
    while waiting:
        batch: list[tuple[str, str]] = []
        seen: set[str] = set()
        deferred = []
        for position, row in enumerate(waiting):
            query, product = pairs[row]
            if query in seen or product in seen:
                deferred.append(row)
                continue
            batch.append(pairs[row])
            seen.update((query, product))
            if len(batch) == size:
                waiting = deferred + waiting[position + 1 :]
                break
        else:
            waiting = deferred
        batches.append(batch)
    return batches


def judged_pairs(
    pipeline: SearchPipeline, queries: dict[str, str], qrels: Qrels, fit_ids: list[str], min_grade: int
) -> list[tuple[str, str]]:
    products = pipeline.backend.products(sorted({product_id for qid in fit_ids for product_id in qrels[qid]}))
    pairs = [
        (pipeline.spelled(queries[qid]), products[product_id].embedding_text())
        for qid in fit_ids
        for product_id, grade in qrels[qid].items()
        if grade >= min_grade and product_id in products
    ]
    if not pairs:
        raise TrainingError(f"no (query, product) pairs with grade >= {min_grade}; lower --min-grade")
    return pairs


def negative_pools(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    fit_ids: list[str],
    settings: EncoderTrainingSettings,
    progress: bool,
) -> dict[str, list[str]]:
    """query as searched -> product texts its pairs draw hard negatives from."""
    pools = {}
    for qid in bar(fit_ids, desc="mining negatives", unit="query", disable=not progress):
        searched, unjudged = unjudged_hits(pipeline, queries[qid], qrels[qid], settings.negatives_from_rank)
        pools[searched] = [product.embedding_text() for product in unjudged]
    return pools


def _rerank_score(model: Any, candidates: dict[str, Candidates], judge: Judge) -> float | None:
    """The candidates reordered by cosine, as `judge` values them; None without validation queries."""
    if not candidates:
        return None
    run: Run = {}
    for qid, (query, items, _) in candidates.items():
        if not items:
            run[qid] = []
            continue
        query_prefix, passage_prefix = model.prompts.get("query", ""), model.prompts.get("passage", "")
        texts = [query_prefix + query] + [passage_prefix + text for _, text in items]
        vectors = model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        scores = vectors[1:] @ vectors[0]
        order = sorted(range(len(items)), key=lambda i: -float(scores[i]))
        run[qid] = [(items[i][0], float(scores[i])) for i in order]
    return round(mean(judge(run)), 4)
