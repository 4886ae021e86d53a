"""Helpers for tests: paths, the console script, small catalogues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
SAMPLE_ZH = REPO / "data" / "sample-zh"
JUDGMENTS = ["--queries", str(SAMPLE / "queries.tsv"), "--qrels", str(SAMPLE / "qrels.tsv")]


def prodsearch(*arguments: str, check: bool = False) -> subprocess.CompletedProcess:
    """The console script as a user runs it."""
    result = subprocess.run([sys.executable, "-m", "prodsearch", *arguments], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"prodsearch {' '.join(arguments)} failed:\n{result.stderr}")
    return result


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


class LiveServer:
    """A real waitress server on an ephemeral loopback port, in a thread."""

    def __init__(self, app) -> None:
        import threading

        import waitress

        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.closing = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # the loop notices its sockets closed under it: that is how it stops
            if not self.closing:
                raise

    def close(self) -> None:
        self.closing = True
        self.server.close()
        self.thread.join(timeout=5)
