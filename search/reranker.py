"""The cross-encoder stage: `score(query, texts)`, one relevance score per text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Reranker(Protocol):
    name: str

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray: ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder folder (as `prodsearch train reranker` writes)."""

    def __init__(self, directory: Path, batch_size: int = 32) -> None:
        from sentence_transformers import CrossEncoder

        directory = Path(directory)
        if not (directory / "config.json").is_file():
            raise FileNotFoundError(
                f"no cross-encoder at {directory} (config.json is missing); train one with 'prodsearch train reranker'"
            )
        self.name = str(directory)
        self.batch_size = batch_size
        self.model = CrossEncoder(str(directory), device="cpu")

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        pairs = [(query, text) for text in texts]
        return np.asarray(
            self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False), dtype=np.float32
        )
