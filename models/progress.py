"""Progress of long jobs: tqdm's bar on a terminal, a plain line every few seconds in a log file."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm

LOG_INTERVAL = 10.0  # seconds between progress lines written where no terminal reads them


class _Lines(tqdm):
    """tqdm that writes each refresh as a line of its own: a log keeps one line per LOG_INTERVAL, not a
    carriage-return stream."""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        line = self.__str__() if msg is None else msg
        if line and line != getattr(self, "_last_line", None):  # close() shows the last state again
            self._last_line = line
            self.fp.write(line + "\n")
            self.fp.flush()
        return True

    def close(self) -> None:
        fp, self.fp = self.fp, _NoNewline(self.fp)  # tqdm ends a bar with a newline; each line has its own
        try:
            super().close()
        finally:
            self.fp = fp


class _NoNewline:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        if text.strip():
            self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def bar(iterable: Iterable[Any] | None = None, *, disable: bool = False, **options: Any) -> tqdm:
    """A progress bar over `iterable` (or updated by hand), as tqdm takes `desc`, `total` and `unit`; where
    stderr is not a terminal, a line every LOG_INTERVAL seconds and one at the end."""
    stream = options.pop("file", sys.stderr)
    if disable or stream.isatty():
        return tqdm(iterable, disable=disable, file=stream, **options)
    return _Lines(iterable, file=stream, mininterval=LOG_INTERVAL, maxinterval=LOG_INTERVAL, ascii=True, **options)
