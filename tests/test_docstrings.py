"""Docstrings say in one to three lines what a module, class or function is for; reasoning goes to docs/."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "indexer", "search", "web", "events", "evaluation", "training", "prodsearch", "benchmarks")
MAX_LINES = 3


def long_docstrings(source: str) -> list[tuple[str, int]]:
    """(name, lines) of every docstring of `source` longer than MAX_LINES."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node)
            if text and len(text.splitlines()) > MAX_LINES:
                found.append((getattr(node, "name", "<module>"), len(text.splitlines())))
    return found


def test_a_long_docstring_is_found():
    assert long_docstrings('"""One.\n\nTwo.\nThree.\n"""\n\ndef f():\n    """Short."""\n') == [("<module>", 4)]
    assert long_docstrings('def f():\n    """One.\n    Two.\n    Three."""\n') == []


def test_every_docstring_is_at_most_three_lines():
    long = [
        f"{path.relative_to(ROOT)}:{name} ({lines} lines)"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, lines in long_docstrings(path.read_text(encoding="utf-8"))
    ]
    assert not long, "move the reasoning to docs/design.md: " + ", ".join(long)
