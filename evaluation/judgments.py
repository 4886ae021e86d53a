"""Queries (`qid<TAB>text`) and TREC qrels (`qid 0 product_id grade`), read with line numbers on errors."""

from __future__ import annotations

from pathlib import Path

Qrels = dict[str, dict[str, int]]


class JudgmentsError(ValueError):
    """Judgment files that cannot be read or do not fit together; the message names the file and line."""


def _lines(path: Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise JudgmentsError(f"{path} is not UTF-8 text ({error}); save it as UTF-8") from None


def read_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        qid, tab, text = line.partition("\t")
        if not tab or not qid.strip() or not text.strip():
            raise JudgmentsError(f"{path}: line {number}: expected 'qid<TAB>query text', got {line[:60]!r}")
        if qid in queries:
            raise JudgmentsError(f"{path}: line {number}: query id {qid!r} appears twice")
        queries[qid.strip()] = text.strip()
    if not queries:
        raise JudgmentsError(f"{path}: no queries")
    return queries


def read_qrels(path: Path) -> Qrels:
    qrels: Qrels = {}
    for number, line in enumerate(_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4 or not fields[3].lstrip("-").isdigit():
            raise JudgmentsError(
                f"{path}: line {number}: expected TREC qrels 'qid 0 product_id grade', got {line[:60]!r}"
            )
        qrels.setdefault(fields[0], {})[fields[2]] = int(fields[3])
    if not qrels:
        raise JudgmentsError(f"{path}: no judgments")
    return qrels


def judged_queries(queries: dict[str, str], qrels: Qrels) -> dict[str, str]:
    """The queries that have judgments; an error when none has (mismatched query ids)."""
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    if not judged:
        raise JudgmentsError("none of the queries has judgments in the qrels; check that their query ids match")
    return judged


def split_queries(qids: list[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    """(first, second) by a seeded shuffle of query ids: a split by query, never by judgment."""
    import random

    shuffled = sorted(qids)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * share)
    return sorted(shuffled[:cut]), sorted(shuffled[cut:])


PARTS = ("all", "train", "held-out")


def load_judgments(
    queries_path: Path, qrels_path: Path, part: str = "all", share: float = 0.7, seed: int = 13
) -> tuple[dict[str, str], Qrels]:
    """(queries, qrels), the queries kept to one part of the seeded split by query that every command shares."""
    if part not in PARTS:
        raise JudgmentsError(f"unknown part {part!r}; use one of {', '.join(PARTS)}")
    queries, qrels = read_queries(queries_path), read_qrels(qrels_path)
    if part != "all":
        train, held_out = split_queries([qid for qid in queries if qid in qrels], share, seed)
        keep = set(train if part == "train" else held_out)
        queries = {qid: text for qid, text in queries.items() if qid in keep}
    return queries, qrels
