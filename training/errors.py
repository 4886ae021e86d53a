"""The trainers' one error: judgments or options that cannot train a model; the message says what to change."""

from __future__ import annotations


class TrainingError(ValueError):
    pass
