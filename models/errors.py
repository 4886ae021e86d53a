"""The models' one error: a model that is not installed, not found or not of a kind prodsearch can run."""

from __future__ import annotations


class ModelError(ValueError):
    """The message names the model and says what to install, train or pass instead."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """A model folder that is missing or holds no weights."""
