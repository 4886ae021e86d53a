"""The shop's learned feature ranker: LightGBM lambdarank over search.features, kept in the index directory, reordering
the hybrid mode's top candidates where it beat hybrid on validation queries. See docs/design.md#feature-ranker."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer.versions import fsync_directory
from search.errors import SearchError
from search.execution import Execution, State
from search.features import NAMES, features

MODEL, USAGE = "ranker.txt", "ranker.json"  # beside CURRENT: kept across the index's versions and rebuilds


@dataclass(frozen=True)
class RankerUsage:
    """How the ranker was trained and whether it is used: it reorders the top `depth` where `beats_hybrid`."""

    depth: int
    beats_hybrid: bool
    features: tuple[str, ...]
    validation: dict[str, Any]  # queries, hybrid and ranker nDCG@10, the gain, its 95% interval and p-value
    trained: dict[str, Any]  # queries, rows, trees, seconds, when

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"features": list(self.features)}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> RankerUsage:
        return cls(
            int(record["depth"]),
            bool(record["beats_hybrid"]),
            tuple(record["features"]),
            dict(record.get("validation", {})),
            dict(record.get("trained", {})),
        )


class FeatureRanker:
    def __init__(self, booster: Any, usage: RankerUsage) -> None:
        if tuple(usage.features) != NAMES:
            raise SearchError(
                f"the ranker was trained on features {', '.join(usage.features)}, not this release's; "
                "train it again: prodsearch train ranker INDEX ..."
            )
        self.booster, self.usage = booster, usage

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.booster.predict(rows, num_threads=1)  # one thread: a hundred rows, no pool to wake

    def to_record(self) -> dict[str, Any]:
        """The model as LightGBM's text and its usage: what a store keeps (a directory's two files, a document)."""
        return {"usage": self.usage.to_json(), "model": self.booster.model_to_string()}

    @classmethod
    def from_record(cls, record: dict[str, Any], where: str, remove: str) -> FeatureRanker:
        """The ranker `record` holds, read from `where`; an unreadable one says to train again or `remove` it."""
        import lightgbm

        try:
            usage = RankerUsage.from_json(record["usage"])
            booster = lightgbm.Booster(model_str=record["model"])
        except (TypeError, ValueError, KeyError, lightgbm.basic.LightGBMError) as error:
            raise _unreadable(where, error, remove) from None
        return cls(booster, usage)

    def save(self, directory: Path) -> Path:
        """The model and its usage, each written to a temporary file and renamed into place."""
        record = self.to_record()
        for name, text in ((MODEL, record["model"]), (USAGE, json.dumps(record["usage"], indent=2))):
            temporary = directory / f".{name}.tmp"
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, directory / name)
        fsync_directory(directory)
        return directory / MODEL

    @classmethod
    def load(cls, directory: Path) -> FeatureRanker | None:
        """The ranker kept in `directory`, None where there is none."""
        if not (directory / MODEL).is_file():
            return None
        remove = f"remove {MODEL} and {USAGE}"
        try:
            usage = json.loads((directory / USAGE).read_text(encoding="utf-8"))
            model = (directory / MODEL).read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            raise _unreadable(str(directory), error, remove) from None
        return cls.from_record({"usage": usage, "model": model}, str(directory), remove)


def _unreadable(where: str, error: Exception, remove: str) -> SearchError:
    return SearchError(f"the ranker in {where} cannot be read ({error}); train it again or {remove}")


def learned(state: State, execution: Execution) -> State:
    """In the hybrid mode, the top candidates reordered by the shop's feature ranker, where it beat hybrid; their
    scores stay within the range they had, so the stages after it move them as before."""
    ranker = execution.ranker
    if ranker is None or not ranker.usage.beats_hybrid or execution.request.mode != "hybrid" or not state.scored:
        return state
    head, tail = state.scored[: ranker.usage.depth], state.scored[ranker.usage.depth :]
    ids = [product_id for product_id, _ in head]
    with execution.clock.time("ranker"):
        rows = features(state, execution, ids, execution.products.get(ids))
        predicted = ranker.score(rows)
    low, high = head[-1][1], head[0][1]
    span, least, most = high - low, float(predicted.min()), float(predicted.max())
    scaled = [low + span * ((value - least) / (most - least) if most > least else 1.0) for value in predicted]
    order = sorted(zip(ids, scaled, strict=True), key=lambda pair: -pair[1])
    return replace(state, scored=order + tail)
