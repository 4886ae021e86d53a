"""The models' one error: a model that is not installed, not found or not of a kind prodsearch can run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ModelError(ValueError):
    """The message names the model and says what to install, train or pass instead."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """A model folder that is missing or holds no weights."""


@contextmanager
def loading(what: str, directory: Path) -> Iterator[None]:
    """What a model library raises over a folder it cannot read, as a ModelError that names the folder."""
    try:
        yield
    except ModelError:
        raise
    except (OSError, ValueError, KeyError) as error:  # a broken config.json is a ValueError
        raise ModelError(f"cannot load the {what} in {directory}: {error}") from error
