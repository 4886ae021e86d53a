"""The README is the front page: its command list names every verb and its layout every package."""

import re
from pathlib import Path

import click
import pytest

from prodsearch.cli import main

pytestmark = pytest.mark.fast
ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def verbs(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found += verbs(command, path) if isinstance(command, click.Group) else [path]
    return found


def test_the_command_list_names_every_verb():
    commands = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = " ".join(commands.split())
    missing = []
    for path in verbs(main):
        *groups, verb = path
        # "prodsearch train reranker|encoder" names two verbs of one group at once
        pattern = r"prodsearch " + "".join(re.escape(g) + " " for g in groups) + r"(\w+\|)*" + re.escape(verb) + r"\b"
        if not re.search(pattern, listed):
            missing.append(" ".join(path))
    assert not missing, f"README's Commands section does not show: {', '.join(missing)}"


def test_the_layout_names_every_package():
    layout = README.split("## Layout", 1)[1]
    packages = sorted(path.parent.name for path in ROOT.glob("*/__init__.py"))
    assert packages, "no package found beside the README"
    missing = [name for name in packages if not re.search(rf"^{name}/", layout, re.MULTILINE)]
    assert not missing, f"README's Layout section does not name: {', '.join(missing)}"
