"""A pure-Python reference model of the history-table rules (lakehouse.spec.scd2.Scd2Options), no Spark.

Rows are dicts with the columns of tests.write.streams.COLUMNS (id, name, day, seq, tb, op);
the key is ``id``, the order ``seq``, ``name`` is the one tracked column and a row deletes
its key when op == 'D'.  The model keeps the events of every loaded run date (a forced
re-run replaces its date's events) and replays each key's events in order, the way an
in-order delivery would build the history; ``apply`` returns the counts of the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tests.models.merge_model import Refused

KEY, SEQ, TRACKED = "id", "seq", ("name",)
HISTORY = ("valid_from", "valid_to", "is_current")


@dataclass(frozen=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


def resolve(events: list[dict]) -> dict[tuple, dict]:
    """One event per (key, seq): identical ones once, a delete before updates, else a tie (Refused)."""
    by_order: dict[tuple, list[dict]] = {}
    for e in events:
        by_order.setdefault((e[KEY], e[SEQ]), []).append(e)
    resolved = {}
    for at, group in by_order.items():
        deletes = [e for e in group if e["op"] == "D"]
        distinct = {tuple(sorted(e.items(), key=lambda kv: kv[0])) for e in group}
        if not deletes and len(distinct) > 1:
            raise Refused(f"tie at {at}")
        resolved[at] = deletes[0] if deletes else group[0]
    return resolved


def versions(events: list[dict]) -> list[dict]:
    """The rows of one key's history, delivered in order."""
    rows: list[dict] = []
    current = None
    for e in sorted(events, key=lambda e: e[SEQ]):
        if e["op"] == "D":
            if current is not None:
                current["valid_to"], current["is_current"], current = e[SEQ], False, None
            continue
        if current is not None and all(current[c] == e[c] for c in TRACKED):
            if any(current[c] != e[c] for c in e if c not in (KEY, SEQ)):  # an in-place update
                current.update({c: e[c] for c in e if c != KEY})
            continue
        if current is not None:
            current["valid_to"], current["is_current"] = e[SEQ], False
        current = {**e, "valid_from": e[SEQ], "valid_to": None, "is_current": True}
        rows.append(current)
    return rows


@dataclass
class Scd2Model:
    """The state of one history table; :meth:`apply` is one run (with ``null_keys: drop``)."""

    loads: dict[dt.date, list[dict]] = field(default_factory=dict)

    def table(self, loads: dict | None = None) -> list[dict]:
        events = resolve([e for load in (self.loads if loads is None else loads).values() for e in load])
        by_key: dict = {}
        for (key, _), e in events.items():
            by_key.setdefault(key, []).append(e)
        return [row for key_events in by_key.values() for row in versions(key_events)]

    def apply(self, increment: list[dict], run_date: dt.date) -> Counts:
        """Load ``increment`` as run date ``run_date`` (replacing an earlier load of it)."""
        rows = [dict(r) for r in increment if r[KEY] is not None]
        if any(r[SEQ] is None for r in rows):
            raise Refused("null sequence")
        resolve(rows)  # a tie within the increment
        loads = {**self.loads, run_date: rows}
        before, after = ({_id(r): r for r in self.table(state)} for state in (self.loads, loads))
        self.loads = loads
        return Counts(inserted=len(after.keys() - before.keys()),
                      updated=sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
                      deleted=len(before.keys() - after.keys()))


def _id(row: dict) -> tuple:
    return row[KEY], row["valid_from"]
