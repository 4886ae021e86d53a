"""The shipped BERT checkpoints a training can start from, by name, and each model's default per catalogue language."""

from __future__ import annotations

from pathlib import Path

from models.errors import ModelError
from models.multilingual import multilingual_e5_dir
from models.weights import minilm_dir

BACKBONES = ("all-MiniLM-L6-v2", "multilingual-e5-small")  # shipped BERT checkpoints a model can start from
ENCODER_BACKBONES = {"en": "all-MiniLM-L6-v2", "zh": "multilingual-e5-small"}  # what each language's index embeds with
# the cross-encoder starts from e5 in English too: it won there (docs/relevance.md, "Which encoder for English")
RERANKER_BACKBONES = {"en": "multilingual-e5-small", "zh": "multilingual-e5-small"}


def backbone_dir(name: str) -> Path:
    """The folder of a shipped backbone by name, or `name` itself when it is a model folder."""
    if name == BACKBONES[0]:
        return minilm_dir()
    if name == BACKBONES[1]:
        return multilingual_e5_dir()
    if Path(name).is_dir():
        return Path(name)
    raise ModelError(f"unknown base model {name!r}; use one of {', '.join(BACKBONES)} or a model folder")
