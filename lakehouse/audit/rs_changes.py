"""``diff`` and ``history --key`` of a local path table without a JVM: snapshots read by delta-rs, compared by key.

The rules are the Spark path's (:mod:`lakehouse.audit.read`, ``changes`` and ``record_history``): the same
versions (:func:`lakehouse.audit.versions.span`), key columns and key values (:mod:`lakehouse.audit.keys`),
and the same rows and text as ``lakehouse diff`` / ``lakehouse history --key`` print on Spark.  Spark reads
the change data feed when it covers the range; the net change per key it gives is the snapshots' difference,
which is what this module computes (both versions must be readable).

* A key's change: ``insert`` (no row before), ``delete`` (no row after), or ``update`` when some other
  column differs (NULLs equal); ``changed_columns`` are those columns (all of them for an insert or delete).
* ``diff`` rows are ordered by the key columns (NULLs first); ``history --key`` rows by version, then key.

Example::

    description, text = diff_text("lake/things", "csv", "UTC", run_date="2024-01-02")
    text = key_history_text("lake/things", "table", "UTC", ["id=2"])
"""

from __future__ import annotations

from typing import Any, Mapping

from lakehouse.audit import arrow_text as T
from lakehouse.audit import keys as K
from lakehouse.audit import timetravel
from lakehouse.audit import versions as V
from lakehouse.audit.deltars import open_local, read_rows
from lakehouse.errors import LakehouseError, TableError


def key_values(path: str, pairs: list[str], zone: str | None) -> dict:
    """``--key`` values converted to the types of the table's latest columns (:func:`lakehouse.audit.keys.key_values`)."""
    if not pairs:
        return {}
    from deltalake import DeltaTable

    from lakehouse.audit.engine import arrow_schema

    types = {f.name: (T.kind_of(f.type) or "string", T.spark_type(f.type)) for f in arrow_schema(DeltaTable(path))}
    return K.key_values(pairs, types, path, lambda text: timetravel.parse_timestamp(text, zone or T.local_zone()))


def diff_text(path: str, fmt: str, zone: str | None, start: int | None = None, end: int | None = None, *,
              keys: list[str] | None = None, key: list[str] | None = None,
              run_date: str | None = None) -> tuple[str, str]:
    """(the stderr line naming the versions, the rows) of ``lakehouse diff`` as Spark prints them."""
    key_filter = key_values(path, key or [], zone) or None
    log = open_local(path)
    start, end = V.span(path, log, start, end, run_date)
    new = read_rows(path, end)
    key_cols, values = K.key_columns(path, log, new.column_names, keys, key_filter)
    for v in (start, end):
        if v is not None:
            V.require_readable(path, log, v)
    old = {} if start is None else _states(read_rows(path, start), key_cols, values, key_filter)
    kinds = _kinds(new)
    found = _classify(old, _states(new, key_cols, values, key_filter), values)
    rows = [[*k, change, changed, before, after] for k, (change, changed, before, after) in sorted(
        found.items(), key=lambda item: _order(item[0]))]
    since = "the table's creation" if start is None else f"version {start}"
    description = f"changes since {since}: {V.describe(path, log, end)}"
    return description, _text(key_cols, [kinds[k] for k in key_cols], rows, values, kinds, fmt, zone, len(key_cols))


def key_history_text(path: str, fmt: str, zone: str | None, pairs: list[str]) -> str:
    """``lakehouse history --key`` as Spark prints it: every readable version in which the record changed."""
    key = key_values(path, pairs, zone)
    if not key:
        raise LakehouseError("record_history needs the key of the record, e.g. {'order_id': 1003}")
    log = open_local(path)
    versions = [c.version for c in log.commits if log.readable(c.version)]
    if not versions:
        raise TableError(f"no version of {path} can still be read")
    recorded = K.recorded_keys(log)  # a history table: the keys and valid_from identify a row
    row_keys = recorded if set(key) < set(recorded) else list(key)
    latest = read_rows(path, versions[-1])
    key_cols, values = K.key_columns(path, log, latest.column_names, row_keys, key)
    kinds = _kinds(latest)
    extra = [k for k in key_cols if k not in key]
    rows, previous = [], None
    for v in versions:
        states = _states(read_rows(path, v), key_cols, values, key)
        if previous is not None or v == 0:
            c = log.commit(v)
            lineage = (c.lineage.job, c.lineage.run_date, c.lineage.run_id) if c.lineage else (None,) * 3
            found = _classify(previous or {}, states, values)
            for k, (change, changed, before, after) in sorted(found.items(), key=lambda item: _order(item[0])):
                row_key = [x for name, x in zip(key_cols, k) if name in extra]
                rows.append([v, *row_key, c.micros, c.operation, change, changed, before, after, *lineage])
        previous = states
    names = ["version", *extra, "timestamp", "operation", "change", "changed_columns", "before", "after",
             "job", "run_date", "run_id"]
    struct = [(c, kinds[c]) for c in values]
    columns = ["long", *[kinds[k] for k in extra], "timestamp", "string", "string", "array", struct, struct,
               "string", "string", "string"]
    if fmt != "table":
        return T.emit(names, columns, rows, fmt, zone)
    n = 1 + len(extra)
    shown = [[*r[:n], T.timestamp(r[n], zone, "table"), r[n + 1], r[n + 2], _values(*r[n + 2:n + 6], values, kinds,
                                                                                       zone), *r[n + 6:]] for r in rows]
    return T.aligned([*names[:n + 3], "values", "job", "run_date", "run_id"],
                     [*columns[:n], "string", "string", "string", "string", "string", "string", "string"], shown, zone)


# ----------------------------------------------------------------------------------- internals

def _kinds(data) -> dict[str, str]:
    return {f.name: T.kind_of(f.type) for f in data.schema}


def _states(data, key_cols: list[str], values: list[str], key_filter: Mapping[str, Any] | None) -> dict:
    """key tuple → the row's other columns (a dict), of the rows matching ``key_filter``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for column, value in (key_filter or {}).items():
        field = pc.field(column)
        data = data.filter(field.is_null() if value is None else field == pa.scalar(value))
    return {tuple(r[k] for k in key_cols): {c: r[c] for c in values} for r in data.to_pylist()}


def _classify(old: dict, new: dict, values: list[str]) -> dict:
    """key → (change, changed columns, before, after) for each key that changed."""
    found = {}
    for k in old.keys() | new.keys():
        before, after = old.get(k), new.get(k)
        if before is None:
            found[k] = ("insert", list(values), None, after)
        elif after is None:
            found[k] = ("delete", list(values), before, None)
        else:
            differ = [c for c in values if before[c] != after[c]]
            if differ:
                found[k] = ("update", differ, before, after)
    return found


def _order(key: tuple) -> tuple:
    """Spark's ascending order with NULLs first."""
    return tuple((x is not None, x) for x in key)


def _values(change: str, changed: list[str], before: dict | None, after: dict | None, values: list[str],
            kinds: dict[str, str], zone: str | None) -> str:
    """``col: before → after`` for each changed column (the row's values for an insert or delete)."""
    def text(row: dict, name: str) -> str:
        found = T.cell(row[name], kinds[name], zone)
        return "NULL" if found is None else found

    parts = []
    for name in values:
        if name in changed:
            if change == "update":
                parts.append(f"{name}: {text(before, name)} → {text(after, name)}")
            else:
                parts.append(f"{name}={text(after if change == 'insert' else before, name)}")
    return ", ".join(parts)


def _text(key_cols: list[str], key_kinds: list[str], rows: list[list], values: list[str], kinds: dict[str, str],
          fmt: str, zone: str | None, n: int) -> str:
    """The rows of ``diff``: the key columns, ``change`` and, as aligned text, the changed values."""
    if fmt == "table":
        shown = [[*r[:n], r[n], _values(*r[n:n + 4], values, kinds, zone)] for r in rows]
        return T.aligned([*key_cols, "change", "values"], [*key_kinds, "string", "string"], shown, zone)
    struct = [(c, kinds[c]) for c in values]
    return T.emit([*key_cols, "change", "changed_columns", "before", "after"],
                  [*key_kinds, "string", "array", struct, struct], rows, fmt, zone)
