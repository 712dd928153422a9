"""A pure-Python reference model of the merge ordering rules (no Spark).

It states :class:`lakehouse.spec.MergeOptions` once more, as plainly as possible, so
that generated streams can be run through the real runner and compared with it
(``tests/write/test_merge_properties.py``).  The model covers ordered merges
(``sequence_by`` set); a table is a :class:`State`:

* ``rows``: key -> stored row (a dict of every column);
* ``tombstones``: key -> the deletes that won, as (order, run date) pairs.

``State.apply(rows, run_date, options)`` is one run.  It returns a :class:`Result`: the
new state and the counts Delta's MERGE metrics report (a partition move is one
update; a delete of a key that is not stored counts nothing but leaves a tombstone),
or, where the real run must raise ``DataError``, a result that ``fails`` and keeps
the state unchanged.  States are never modified in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

Key = tuple
Order = tuple


def op_is_d(row: dict) -> bool:
    """``delete_when: "op = 'D'"`` (a NULL op does not delete)."""
    return row.get("op") == "D"


@dataclass(frozen=True)
class Options:
    """The merge options the model knows (defaults: the job of the property tests)."""

    keys: tuple[str, ...] = ("id",)
    sequence_by: str = "seq"
    tie_breaker: str | None = "tb"
    delete_when: Callable[[dict], bool] = op_is_d
    exclude_from_update: tuple[str, ...] = ()
    update_only_changed: bool = True
    null_keys: str = "drop"
    tombstone_days: int = 30

    def key(self, row: dict) -> Key:
        return tuple(row[k] for k in self.keys)

    def order(self, row: dict) -> Order:
        """(seq, tb), or (seq,) when tb is NULL or there is no tie breaker: NULL is the oldest."""
        if self.tie_breaker is None or row[self.tie_breaker] is None:
            return (row[self.sequence_by],)
        return (row[self.sequence_by], row[self.tie_breaker])

    def written(self, row: dict) -> list[str]:
        """The columns an update writes: all but the keys and ``exclude_from_update``."""
        return [c for c in row if c not in self.keys and c not in self.exclude_from_update]


@dataclass(frozen=True)
class Counts:
    """What a run reports: rows inserted, updated and deleted in the table, tombstones written."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    tombstones: int = 0

    def add(self, **deltas: int) -> "Counts":
        return replace(self, **{k: getattr(self, k) + v for k, v in deltas.items()})


@dataclass(frozen=True)
class Result:
    """One run: the state after it, its counts, and ``fails`` (a reason) when it must raise."""

    state: "State"
    counts: Counts = Counts()
    fails: str | None = None
    null_keys_dropped: int = 0
    duplicates_resolved: int = 0
    """Rows with a key that lost to another row of their key in the increment."""


@dataclass(frozen=True)
class State:
    """One merged table: its stored rows and its tombstones."""

    rows: Mapping[Key, dict] = field(default_factory=dict)
    tombstones: Mapping[Key, tuple[tuple[Order, dt.date], ...]] = field(default_factory=dict)

    def table(self) -> list[dict]:
        """The stored rows (what reading the table returns)."""
        return [dict(r) for r in self.rows.values()]

    def live_tombstone(self, key: Key, run_date: dt.date, days: int) -> Order | None:
        """The newest tombstone order of ``key`` still live for a run on ``run_date``."""
        live = [o for o, written in self.tombstones.get(key, ()) if (run_date - written).days <= days]
        return max(live, default=None)

    def apply(self, increment: list[dict], run_date: dt.date, options: Options = Options()) -> Result:
        """Merge ``increment`` as a run on ``run_date``; see the module docstring."""
        keyed = [r for r in increment if None not in options.key(r)]
        null_keys = len(increment) - len(keyed)
        if null_keys and options.null_keys == "fail":
            return Result(self, fails="null key")
        if any(r[options.sequence_by] is None for r in keyed):
            return Result(self, fails="null sequence")
        by_key: dict[Key, list[dict]] = {}
        for r in keyed:
            by_key.setdefault(options.key(r), []).append(r)
        winners = {}
        for key, rows in by_key.items():
            winner = newest(rows, options)
            if winner is None:
                return Result(self, fails="tie in the increment")
            winners[key] = winner
        rows, tombstones, counts = dict(self.rows), dict(self.tombstones), Counts()
        for key, row in winners.items():
            action = self.action(key, row, run_date, options)
            if action == "conflict":
                return Result(self, fails="tie with the stored row")
            if action == "insert":
                rows[key] = dict(row)
                counts = counts.add(inserted=1)
            elif action == "update":
                rows[key] = {**row, **{c: rows[key][c] for c in options.exclude_from_update}}
                counts = counts.add(updated=1)
            elif action == "delete":
                del rows[key]
                counts = counts.add(deleted=1)
            if action in ("delete", "tombstone"):
                tombstones[key] = (*tombstones.get(key, ()), (options.order(row), run_date))
                counts = counts.add(tombstones=1)
        return Result(State(rows, tombstones), counts, null_keys_dropped=null_keys,
                      duplicates_resolved=len(keyed) - len(by_key))

    def action(self, key: Key, row: dict, run_date: dt.date, options: Options) -> str:
        """What the newest increment row of ``key`` does to the table (rule 3 of MergeOptions).

        One of insert, update, delete (of the stored row, with a tombstone), tombstone (a
        delete of a key not stored), noop, stale or conflict (the run fails).
        """
        delete, o = options.delete_when(row), options.order(row)
        stored = self.rows.get(key)
        if stored is None:
            grave = self.live_tombstone(key, run_date, options.tombstone_days)
            if grave is not None and o <= grave:
                return "stale"
            return "tombstone" if delete else "insert"
        s = options.order(stored)
        if o < s:
            return "stale"
        if o > s or delete:
            return "delete" if delete else "update"
        if all(row[c] == stored[c] for c in options.written(row)):
            return "noop" if options.update_only_changed else "update"
        return "conflict"


def newest(rows: list[dict], options: Options) -> dict | None:
    """The row of one key that counts in an increment (rule 2), or None for a tie that fails.

    The rows of the greatest order: a delete among them wins; rows equal in every column
    collapse into one; any other difference is a tie.
    """
    top = max(options.order(r) for r in rows)
    tied = [r for r in rows if options.order(r) == top]
    deletes = [r for r in tied if options.delete_when(r)]
    if deletes:
        return deletes[0]
    if any(r != tied[0] for r in tied):
        return None
    return tied[0]
