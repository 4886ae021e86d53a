"""Helpers for tests: paths, the console script, small catalogues."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
SHARED_DATA = REPO.parent / "shared" / "data"


def prodsearch(*arguments: str, check: bool = False) -> subprocess.CompletedProcess:
    """The console script as a user runs it."""
    result = subprocess.run([sys.executable, "-m", "prodsearch", *arguments], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"prodsearch {' '.join(arguments)} failed:\n{result.stderr}")
    return result


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path
