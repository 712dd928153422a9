"""The key columns of ``diff`` and ``history --key``, and ``--key COL=VALUE`` values (no Spark here).

Shared by the Spark path (:mod:`lakehouse.audit.changes`, :mod:`lakehouse.cli.audit`) and the delta-rs path
(:mod:`lakehouse.audit.rs_changes`), so both check and word the same mistakes.

Rules:

* The key columns are ``keys`` when given, else the columns of the key filter, else the merge keys recorded
  in the lineage of the table's newest lakehouse merge run; none is an error.  Every key column and every
  filtered column must be a column of the table, and a filtered column must be a key column.
* ``--key COL=VALUE`` converts VALUE to the column's type: whole numbers, decimals, floats, ``true``/``false``,
  ISO dates; a timestamp is read by :mod:`lakehouse.audit.timetravel` (naive: the session time zone).

Example::

    key_values(["id=3"], {"id": ("long", "bigint")}, "lake/things", parse_time)   # {"id": 3}
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, Callable, Mapping, Sequence

from lakehouse.errors import LakehouseError, TableError
from lakehouse.table.log import TableLog


def recorded_keys(log: TableLog) -> list[str]:
    """The merge keys in the lineage of the newest commit of a lakehouse merge job."""
    return next((list(c.lineage.keys) for c in log.newest_first() if c.lineage and c.lineage.keys), [])


def key_columns(table: str, log: TableLog, columns: Sequence[str], keys: Sequence[str] | None,
                key_filter: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(key columns, the other columns) of a table with ``columns`` (see the module rules)."""
    if not keys:
        keys = list(key_filter) if key_filter else recorded_keys(log)
    if not keys:
        raise LakehouseError(f"which columns identify a row of {table}? pass keys (CLI: --keys col,...); "
                             "none are recorded by a lakehouse merge run")
    unknown = [k for k in [*keys, *(key_filter or {})] if k not in columns]
    if unknown:
        raise TableError(f"unknown column {unknown[0]!r} in {table} (columns: {', '.join(columns)})")
    outside = [k for k in (key_filter or {}) if k not in keys]
    if outside:
        raise LakehouseError(f"{outside[0]!r} is not one of the key columns ({', '.join(keys)})")
    return list(keys), [c for c in columns if c not in keys]


def key_values(pairs: list[str], types: Mapping[str, tuple[str, str]], table: str,
               parse_time: Callable[[str], dt.datetime]) -> dict:
    """``["order_id=1003"]`` → ``{"order_id": 1003}``; ``types``: column → (kind, Spark's type name), the
    kind one of ``long``, ``decimal``, ``double``, ``boolean``, ``date``, ``timestamp``, ``string``."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise LakehouseError(f"--key expects COLUMN=VALUE, got {pair!r}")
        if name not in types:
            raise TableError(f"unknown column {name!r} in {table} (columns: {', '.join(types)})")
        kind, type_name = types[name]
        try:
            if kind == "long":
                values[name] = int(text)
            elif kind == "decimal":
                values[name] = decimal.Decimal(text)
            elif kind == "double":
                values[name] = float(text)
            elif kind == "boolean":
                values[name] = {"true": True, "false": False}[text.lower()]
            elif kind == "date":
                values[name] = dt.date.fromisoformat(text)
            elif kind == "timestamp":
                values[name] = parse_time(text)
            else:
                values[name] = text
        except (ValueError, KeyError, decimal.InvalidOperation):
            raise LakehouseError(f"--key {pair!r}: {text!r} is not a {type_name}") from None
    return values
