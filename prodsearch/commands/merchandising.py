"""`prodsearch synonyms|rules|ranking`: the shop's synonyms, rules and business ranking, kept with the index;
a running service sees a change within a second."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from prodsearch.options import index_argument
from search.indexes import IndexLocation


def _read(source: str) -> str:
    """The text of FILE, or of standard input for '-'."""
    return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")


def _json(source: str) -> Any:
    from search.errors import ResourceError

    text = _read(source)
    try:
        return json.loads(text)
    except ValueError as error:
        raise ResourceError("body", f"{source} is not JSON ({error})") from None


def _changed(version: int, what: str) -> None:
    click.echo(f"{what}; the shop's settings are now at version {version}")


@click.group()
def synonyms() -> None:
    """Synonyms: phrases that find each other (or, from a root, one way)."""


@synonyms.command("import")
@index_argument
@click.argument("source", metavar="FILE")
@click.option("--replace", is_flag=True, help="Remove every synonym entry the file does not hold.")
def import_synonyms(location: IndexLocation, source: str, replace: bool) -> None:
    """Read Solr's synonyms.txt format from FILE ('-': standard input): 'a, b, c' or 'a, b => c'."""
    from search.synonyms import read_solr

    entries = read_solr(_read(source))
    changed = location.merchandising().change(
        lambda current: current.with_synonyms(entries, removed=current.synonyms if replace else ())
    )
    _changed(changed.version, f"{len(entries):,} entries imported, {len(changed.synonyms):,} in all")


@synonyms.command("put")
@index_argument
@click.argument("synonym_id", metavar="ID")
@click.argument("phrases", nargs=-1, required=True)
@click.option("--root", help="One way: searching ROOT also finds the PHRASES, not the reverse.")
def put_synonym(location: IndexLocation, synonym_id: str, phrases: tuple[str, ...], root: str | None) -> None:
    """Store (or replace) one entry: PHRASES find each other, or ROOT finds them."""
    from search.synonyms import Synonym

    entry = Synonym.from_json(synonym_id, {"synonyms": list(phrases), "root": root})
    _changed(location.merchandising().change(lambda current: current.with_synonyms([entry])).version, "stored")


def _listing(group: click.Group, plural: str) -> None:
    """`GROUP list INDEX` and `GROUP delete INDEX ID` for one kind of the shop's settings (synonyms, rules)."""
    kind = plural.removesuffix("s")

    @group.command("list")
    @index_argument
    def listed(location: IndexLocation) -> None:
        """Every entry, one JSON object a line."""
        for entry in getattr(location.merchandising().current(), plural).values():
            click.echo(json.dumps(entry.to_json(), ensure_ascii=False))

    @group.command("delete")
    @index_argument
    @click.argument("resource_id", metavar="ID")
    def delete(location: IndexLocation, resource_id: str) -> None:
        """Remove one entry."""
        changed = location.merchandising().change(lambda current: current.without(kind, resource_id))
        _changed(changed.version, f"{resource_id} removed")


_listing(synonyms, "synonyms")


@click.group()
def rules() -> None:
    """Rules: for a query, pin, hide, boost, bury or filter products, or redirect."""


@rules.command("put")
@index_argument
@click.argument("rule_id", metavar="ID")
@click.argument("source", metavar="FILE")
def put_rule(location: IndexLocation, rule_id: str, source: str) -> None:
    """Store (or replace) the rule in FILE ('-': standard input), a JSON object as PUT /api/rules/ID takes."""
    from search.rules import Rule

    rule = Rule.from_json(rule_id, _json(source))
    _changed(location.merchandising().change(lambda current: current.with_rules([rule])).version, "stored")


@rules.command("enable")
@index_argument
@click.argument("rule_id", metavar="ID")
@click.option("--off", is_flag=True, help="Disable it instead (it is kept, and applies to nothing).")
def enable_rule(location: IndexLocation, rule_id: str, off: bool) -> None:
    """Turn one rule on (or, with --off, off)."""
    from search.errors import UnknownResource
    from search.merchandising import Merchandising
    from search.rules import Rule

    def switched(current: Merchandising) -> Merchandising:
        if rule_id not in current.rules:
            raise UnknownResource("rule", rule_id)
        rule = current.rules[rule_id]
        return current.with_rules([Rule(rule.id, rule.body.model_copy(update={"enabled": not off}))])

    _changed(location.merchandising().change(switched).version, f"{rule_id} {'disabled' if off else 'enabled'}")


_listing(rules, "rules")


@click.group()
def ranking() -> None:
    """Business ranking: numeric fields' weights, stock, variants and sorting's relevance cut."""


@ranking.command("show")
@index_argument
def show_ranking(location: IndexLocation) -> None:
    """The ranking settings, as JSON."""
    click.echo(json.dumps(location.merchandising().current().ranking.model_dump(mode="json"), indent=2))


@ranking.command("set")
@index_argument
@click.argument("source", metavar="FILE")
def set_ranking(location: IndexLocation, source: str) -> None:
    """Replace the ranking settings with FILE's ('-': standard input), a JSON object as PUT /api/ranking takes."""
    from search.merchandising import ranking_of

    chosen = ranking_of(_json(source))
    _changed(location.merchandising().change(lambda current: current.with_ranking(chosen)).version, "stored")
