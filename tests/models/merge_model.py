"""A pure-Python reference model of the merge rules (lakehouse.spec.target.MergeOptions), no Spark.

The table is a dict key -> row; tombstones are a dict key -> [(order, run date)].  Rows
are dicts with the columns of tests.jobs.CDC_SCHEMA: id, name, day, seq, tb, op; a row
deletes its key when op == 'D'.  ``apply`` returns the counts a commit reports, or
raises :class:`Refused` where the real run must fail before writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

KEY = "id"


class Refused(Exception):
    """The run must fail before writing (null sequence, or a tie the rules refuse)."""


@dataclass(frozen=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    tombstones: int = 0


def order(row: dict) -> tuple:
    """(seq, tb) with NULL as the oldest value."""
    return tuple((row[c] is not None, row[c] if row[c] is not None else 0) for c in ("seq", "tb"))


def is_delete(row: dict) -> bool:
    return row["op"] == "D"


@dataclass
class MergeModel:
    """The state of one merged table; :meth:`apply` is one run."""

    tombstone_days: int = 30
    rows: dict[int, dict] = field(default_factory=dict)
    graves: dict[int, list[tuple[tuple, dt.date]]] = field(default_factory=dict)

    def grave(self, key: int, run_date: dt.date) -> tuple | None:
        """The newest live tombstone order of ``key`` for a run on ``run_date``."""
        live = [o for o, written in self.graves.get(key, []) if (run_date - written).days <= self.tombstone_days]
        return max(live, default=None)

    def apply(self, increment: list[dict], run_date: dt.date) -> Counts:
        """Merge ``increment`` as a run on ``run_date``; the state changes only when it returns."""
        keyed = [r for r in increment if r[KEY] is not None]
        if any(r["seq"] is None for r in keyed):
            raise Refused("null sequence")
        newest = {key: _newest([r for r in keyed if r[KEY] == key]) for key in {r[KEY] for r in keyed}}
        actions = {key: self._action(row, run_date) for key, row in newest.items()}
        if "conflict" in actions.values():
            raise Refused("tie with the stored row")
        counts = {"inserted": 0, "updated": 0, "deleted": 0, "tombstones": 0}
        for key, action in actions.items():
            row = newest[key]
            if action in ("insert", "update"):
                self.rows[key] = dict(row)
                counts["inserted" if action == "insert" else "updated"] += 1
            if action == "delete":
                del self.rows[key]
                counts["deleted"] += 1
            if action in ("delete", "tombstone"):
                self.graves.setdefault(key, []).append((order(row), run_date))
                counts["tombstones"] += 1
        return Counts(**counts)

    def _action(self, row: dict, run_date: dt.date) -> str:
        stored = self.rows.get(row[KEY])
        if stored is not None:
            if order(row) < order(stored):
                return "stale"
            if order(row) > order(stored) or is_delete(row):
                return "delete" if is_delete(row) else "update"
            same = all(row[c] == stored[c] for c in row if c != KEY)
            return "noop" if same else "conflict"
        grave = self.grave(row[KEY], run_date)
        if grave is not None and order(row) <= grave:
            return "stale"
        return "tombstone" if is_delete(row) else "insert"

    def table(self) -> list[dict]:
        return [dict(r) for r in self.rows.values()]


def _newest(rows: list[dict]) -> dict:
    """The row of one key that counts: the newest; a delete beats an update; else identical rows only."""
    top = max(order(r) for r in rows)
    tied = [r for r in rows if order(r) == top]
    deletes = [r for r in tied if is_delete(r)]
    if deletes:
        return deletes[0]
    if any(r != tied[0] for r in tied):
        raise Refused("tie in the increment")
    return tied[0]
