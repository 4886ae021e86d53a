"""Cross-encoders behind one narrow interface: `score(pairs)`, one relevance score per (query, text) pair.

See docs/design.md#cross-encoders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models.errors import ModelError, ModelNotFoundError, loading
from models.weights import library_defaults

MAX_TOKENS = 512
USAGE_FILE = "reranking.json"


Pair = tuple[str, str]  # (query, product text)


@dataclass(frozen=True)
class RerankUsage:
    """How a cross-encoder is best used, as chosen on validation queries (evaluation.tuning.choose_rerank): rerank
    the fused top `depth` hits, its share `weight` beside the fused score; `beats_hybrid` False: not worth it."""

    depth: int
    weight: float
    beats_hybrid: bool
    metric: str = "ndcg@10"  # what `hybrid` and `reranked` measure
    queries: int = 0  # validation queries it was chosen on
    hybrid: float | None = None  # hybrid's order on them
    reranked: float | None = None  # this usage on them
    p_value: float | None = None  # paired, reranked against hybrid; None where undefined
    step: int | None = None  # the training step of the checkpoint; None: not from a training loop

    def __post_init__(self) -> None:
        if self.depth < 1 or not 0.0 <= self.weight <= 1.0:
            raise ValueError(
                f"rerank_depth must be >= 1 and rerank_weight within 0..1, got {self.depth}, {self.weight}"
            )

    def to_json(self) -> dict[str, Any]:
        """The USAGE_FILE record: every field, depth and weight named as the search settings name them."""
        record = asdict(self)
        return {"rerank_depth": record.pop("depth"), "rerank_weight": record.pop("weight"), **record}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> RerankUsage:
        """The usage in a record `to_json` wrote; older records hold only depth, weight and beats_hybrid, or no step."""
        p_value, step = record.get("p_value"), record.get("step")
        return cls(
            int(record["rerank_depth"]),
            float(record["rerank_weight"]),
            bool(record["beats_hybrid"]),
            str(record.get("metric", "ndcg@10")),
            int(record.get("queries", 0)),
            _number(record.get("hybrid")),
            _number(record.get("reranked")),
            None if p_value is None else float(p_value),
            None if step is None else int(step),
        )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class CrossEncoder(Protocol):
    name: str
    usage: RerankUsage | None  # None: a model with no USAGE_FILE, used as the search settings say

    def score(self, pairs: Sequence[Pair]) -> np.ndarray: ...


def read_usage(directory: Path) -> RerankUsage | None:
    """The RerankUsage in `directory`'s USAGE_FILE; None when there is none."""
    path = Path(directory) / USAGE_FILE
    if not path.is_file():
        return None
    try:
        return RerankUsage.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        fix = "delete it to use the model as the search settings say"
        raise ModelError(f"{path} is damaged ({error}); {fix}") from None


def write_usage(directory: Path, usage: RerankUsage | None) -> None:
    """Writes `usage` to `directory`'s USAGE_FILE; None removes the file (the search settings decide)."""
    path = Path(directory) / USAGE_FILE
    if usage is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(json.dumps(usage.to_json(), indent=2) + "\n", encoding="utf-8")


def load_cross_encoder(directory: Path) -> CrossEncoder:
    """The cross-encoder in `directory`, on onnxruntime where it is a one-label BERT."""
    library_defaults()
    directory = Path(directory)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise ModelNotFoundError(
            f"no cross-encoder at {directory} (config.json is missing); train one with 'prodsearch train reranker'"
        )
    with loading("cross-encoder", directory):
        config = json.loads(config_path.read_text(encoding="utf-8"))
        labels = len(config.get("id2label") or {}) or config.get("num_labels", 2)
        if config.get("model_type") == "bert" and labels == 1 and (directory / "tokenizer.json").is_file():
            return OnnxCrossEncoder(directory)
        return TorchCrossEncoder(directory)


class TorchCrossEncoder:
    """A sentence-transformers CrossEncoder folder on torch."""

    def __init__(self, directory: Path, batch_size: int = 32) -> None:
        from sentence_transformers import CrossEncoder as SentenceTransformersCrossEncoder

        self.name = str(directory)
        self.usage = read_usage(directory)
        self.batch_size = batch_size
        self.model = SentenceTransformersCrossEncoder(str(directory), device="cpu")

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(
            self.model.predict(list(pairs), batch_size=self.batch_size, show_progress_bar=False), dtype=np.float32
        )


class OnnxCrossEncoder:
    """A one-label BERT cross-encoder as int8 ONNX; its scores are the torch model's, up to quantization."""

    def __init__(self, directory: Path, batch_size: int = 16) -> None:
        from tokenizers import Tokenizer

        from models.onnx_export import exported_model
        from models.runner import OnnxRunner
        from models.weights import directory_sha256

        directory = Path(directory)
        self.name = str(directory)
        self.usage = read_usage(directory)
        self.batch_size = batch_size
        self.runner = OnnxRunner(exported_model(directory, directory_sha256(directory), scores=True))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=_max_tokens(directory), strategy="longest_first")
        self.tokenizer.no_padding()
        self.sigmoid = _activation(directory) == "Sigmoid"

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(pairs))
        logits = self.runner.run(encodings, self.batch_size, lambda output, _: output[:, 0])
        return (1 / (1 + np.exp(-logits)) if self.sigmoid else logits).astype(np.float32)


def _max_tokens(directory: Path) -> int:
    """The length the model was trained to read, as its tokenizer config says."""
    try:
        config = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return MAX_TOKENS
    return min(int(config.get("model_max_length") or MAX_TOKENS), MAX_TOKENS)


def _activation(directory: Path) -> str:
    """The activation sentence-transformers puts on the logits (Sigmoid for one label unless saved otherwise)."""
    try:
        config = json.loads((directory / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "Sigmoid"
    return str(config.get("activation_fn") or "Sigmoid").rsplit(".", 1)[-1]
