"""The one training loop the trainers share: AdamW, an optional linear warmup and decay, gradient clipping,
validation checks that keep the best checkpoint, and a progress bar."""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from models.progress import bar

REPORT_FILE = "training.json"
MAX_GRAD_NORM = 1.0  # the reranker's and the student's gradients are clipped to this norm; the encoder's are not
B = TypeVar("B")  # a batch
C = TypeVar("C")  # what a validation check chose


@dataclass(frozen=True)
class Check:
    """One validation check: the step it came after, its score (None without validation queries), the loss."""

    step: int
    validation: float | None
    loss: float | None = None  # None: before the first step

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Check:
        return cls(int(record["step"]), record.get("validation"), record.get("loss"))


class Checkpoints(Generic[C]):
    """Validation checks, the best checkpoint so far saved whenever a check beats it (the first always is).
    `validate(step)` returns (score, what was chosen); `save(chosen)` writes the model and its choice."""

    def __init__(self, validate: Callable[[int], tuple[Any, C]], save: Callable[[C], None]) -> None:
        self.validate = validate
        self.save = save
        self.history: list[Check] = []
        self.best: tuple[Any, C] | None = None

    def check(self, step: int, loss: float | None = None) -> None:
        score, chosen = self.validate(step)
        self.history.append(Check(step, score, loss))
        if self.best is None or score > self.best[0]:
            self.best = (score, chosen)
            self.save(chosen)

    @property
    def chosen(self) -> C:
        """What the best check chose."""
        if self.best is None:
            raise RuntimeError("no validation check was made")
        return self.best[1]


def run(
    model: Any,
    epochs: Sequence[Sequence[B]],
    loss_of: Callable[[B], Any],
    learning_rate: float,
    warmup_share: float | None = None,
    clip: float | None = None,
    checkpoints: Checkpoints[Any] | None = None,
    check_at: Container[int] = (),
    desc: str = "training",
    progress: bool = False,
) -> None:
    """Trains `model` (a torch module) on every batch of every epoch: `loss_of(batch)`, then an AdamW step, after
    a linear warmup over `warmup_share` of the steps and a linear decay (None: a constant rate), the gradient norm
    clipped to `clip`; after each step in `check_at`, a validation check."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    total = sum(len(batches) for batches in epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    schedule = None
    if warmup_share is not None:
        schedule = get_linear_schedule_with_warmup(optimizer, int(total * warmup_share), total)
    step = 0
    with bar(total=total, desc=desc, unit="batch", disable=not progress) as shown:
        for batches in epochs:
            for batch in batches:
                model.train()
                loss = loss_of(batch)
                loss.backward()
                if clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                if schedule is not None:
                    schedule.step()
                optimizer.zero_grad()
                step += 1
                shown.update(1)
                if checkpoints is not None:
                    score = checkpoints.best[0] if checkpoints.best else None
                    best = "-" if score is None else f"{score:.4f}"  # None: no validation queries
                    shown.set_postfix(loss=f"{loss.item():.3f}", best=best)
                    if step in check_at:
                        checkpoints.check(step, round(loss.item(), 4))
    model.eval()


def write_report(out: Path, record: dict[str, Any]) -> None:
    """`record` as out/REPORT_FILE."""
    (out / REPORT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def known(cls: type, record: dict[str, Any]) -> dict[str, Any]:
    """The entries of `record` that are fields of the dataclass `cls`: what an older or newer writer added is
    left out, so records on disk from other versions still load."""
    names = {field.name for field in fields(cls)}
    return {key: value for key, value in record.items() if key in names}
