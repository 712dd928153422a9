"""Pure-Python models of the other write modes: append, overwrite, replace_partitions.

A table is a list of row dicts, or None before the first run.  Each model returns a
:class:`Written` (the table after the run and the rows it reports inserted and
deleted), or one that ``fails`` where the real run must raise ``DataError`` and write
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Written:
    """The table after one run and its counts; ``fails`` (a reason) when the run must raise."""

    table: list[dict] | None
    inserted: int = 0
    deleted: int = 0
    fails: str | None = None


def append(table: list[dict] | None, rows: list[dict], partition_by: list[str]) -> Written:
    """The run's rows are added as they are."""
    return Written([*(table or []), *rows], inserted=len(rows))


def overwrite(table: list[dict] | None, rows: list[dict], partition_by: list[str]) -> Written:
    """The table becomes the run's rows; a run without rows fails and changes nothing."""
    if not rows:
        return Written(table, fails="overwrite with no rows")
    return Written(list(rows), inserted=len(rows), deleted=len(table or []))


def replace_partitions(table: list[dict] | None, rows: list[dict], partition_by: list[str]) -> Written:
    """The partitions present in the run's rows are replaced by them; the others stay."""
    def part(row: dict) -> tuple:
        return tuple(row[c] for c in partition_by)

    present = {part(r) for r in rows}
    kept = [r for r in table or [] if part(r) not in present]
    return Written([*kept, *rows], inserted=len(rows), deleted=len(table or []) - len(kept))


MODELS = {"append": append, "overwrite": overwrite, "replace_partitions": replace_partitions}
