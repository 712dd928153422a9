"""A pure-Python reference model of ``expect`` rules (lakehouse.spec.expect.Expectation), no Spark.

A rule is ``(name, test, action)``; ``test(row)`` returns True, False or None (SQL's NULL).  A row
passes a rule only when the test is True.  :func:`apply` returns what the run keeps, what it
quarantines (with the names of every rule the row fails) and the counts, or raises :class:`Refused`
for the first ``fail`` rule that any row fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

Test = Callable[[dict], "bool | None"]


class Refused(Exception):
    """A ``fail`` rule failed: ``(index, name, count)`` in ``args``; nothing may be written."""


@dataclass(frozen=True)
class Result:
    kept: list[dict]
    quarantined: list[tuple[dict, list[str]]]
    counts: dict[str, dict]
    dropped: int


def apply(rows: list[dict], rules: list[tuple[str, Test, str]]) -> Result:
    failing = [[name for name, test, _ in rules if test(row) is not True] for row in rows]
    counts = {name: {"action": action, "failed": sum(name in f for f in failing)} for name, _, action in rules}
    for i, (name, _, action) in enumerate(rules):
        if action == "fail" and counts[name]["failed"]:
            raise Refused(i, name, counts[name]["failed"])
    actions = {name: action for name, _, action in rules}
    kept, quarantined, dropped = [], [], 0
    for row, names in zip(rows, failing):
        if any(actions[n] == "quarantine" for n in names):
            quarantined.append((row, names))
        elif any(actions[n] == "drop" for n in names):
            dropped += 1
        else:
            kept.append(row)
    return Result(kept=kept, quarantined=quarantined, counts=counts, dropped=dropped)


# ----------------------------------------------------------- conditions: SQL text and its 3-valued test

def greater(column: str, k: int) -> tuple[str, Test]:
    return f"{column} > {k}", lambda r: None if r[column] is None else r[column] > k


def equals(column: str, value: str) -> tuple[str, Test]:
    return f"{column} = '{value}'", lambda r: None if r[column] is None else r[column] == value


def not_null(column: str) -> tuple[str, Test]:
    return f"{column} IS NOT NULL", lambda r: r[column] is not None


def negated(condition: tuple[str, Test]) -> tuple[str, Test]:
    text, test = condition

    def inverse(r: dict) -> bool | None:
        value = test(r)
        return None if value is None else not value

    return f"NOT ({text})", inverse
