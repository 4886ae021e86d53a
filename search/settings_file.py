"""Tuned search settings, kept with an index: ROOT/search-settings.json, with the previous one beside it.

`serve`, `search` and `eval` start from these when present, so a tuning applies to every version of
the index; `prodsearch tune --reset` goes back to the defaults in code.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from search.pipeline import SearchSettings

FILE = "search-settings.json"
PREVIOUS = "search-settings.previous.json"


def load_search_settings(root: Path) -> SearchSettings:
    path = Path(root) / FILE
    if not path.is_file():
        return SearchSettings()
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(SearchSettings)}
        return SearchSettings(**{key: value for key, value in record["settings"].items() if key in known})
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path} is not valid tuned settings ({error}); fix it or run 'prodsearch tune {root} --reset'"
        ) from None


def save_search_settings(root: Path, settings: SearchSettings, provenance: dict[str, Any]) -> Path:
    """Writes the settings (the current file becomes the previous one) and returns the path."""
    path = Path(root) / FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"settings": asdict(settings), **provenance}, indent=2) + "\n", encoding="utf-8")
    if path.exists():
        os.replace(path, Path(root) / PREVIOUS)
    os.replace(temporary, path)
    return path


def reset_search_settings(root: Path) -> bool:
    """Back to the defaults in code; the removed settings stay as the previous file. True if any were set."""
    path = Path(root) / FILE
    if not path.exists():
        return False
    os.replace(path, Path(root) / PREVIOUS)
    return True
