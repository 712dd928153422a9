"""Plain Python values as the audit commands' text, spelt as Spark spells them (no Spark here).

The delta-rs audit path (:mod:`lakehouse.audit.deltars`, :mod:`lakehouse.audit.rs_changes`) prints what
:mod:`lakehouse.cli.render` prints from a DataFrame: aligned columns of ``CAST(value AS STRING)`` (nested
values as ``to_json`` without NULL fields), JSON lines (``to_json`` of all columns, NULLs kept), or CSV.

A column's *kind* is a Spark type family: ``long``, ``decimal``, ``string``, ``boolean``, ``date``,
``timestamp`` (values: micros since the epoch or aware datetimes), ``struct``/``array`` (plain JSON values),
or a struct of typed fields, given as a list of ``(name, kind)``.  :func:`kind_of` maps an arrow type to its kind (None: a type whose text only
Spark spells: float, double, binary, nested, timestamp without zone).

Example::

    >>> emit(["id", "day"], ["long", "date"], [[1, dt.date(2024, 1, 2)]], "json", "UTC")
    '{"id":1,"day":"2024-01-02"}'
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from decimal import Decimal

from lakehouse.audit import timetravel
from lakehouse.cli.text import table

NUMERIC = ("long", "decimal")


def kind_of(arrow_type) -> str | None:
    """The kind of an arrow type (see the module rules)."""
    text = str(arrow_type)
    if text.startswith(("int", "uint")) and "interval" not in text:
        return "long"
    if text in ("string", "large_string", "string_view"):
        return "string"
    if text == "bool":
        return "boolean"
    if text == "date32[day]":
        return "date"
    if text.startswith("decimal"):
        return "decimal"
    if text.startswith("timestamp") and "tz=" in text:  # a TIMESTAMP_NTZ: Spark only
        return "timestamp"
    return None


def spark_type(arrow_type) -> str:
    """The type as Spark's ``simpleString`` names it (``bigint``, ``decimal(10,2)``, ``date`` ...)."""
    text = str(arrow_type)
    names = {"int8": "tinyint", "int16": "smallint", "int32": "int", "int64": "bigint", "bool": "boolean",
             "date32[day]": "date", "large_string": "string", "string_view": "string"}
    if text.startswith("decimal"):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if text.startswith("timestamp"):
        return "timestamp"
    return names.get(text, text)


def aligned(names: list[str], kinds: list, rows: list[list], zone: str | None) -> str:
    """Aligned columns, numbers right-aligned (``lakehouse.cli.render``'s ``table``)."""
    return table(names, [[cell(x, k, zone) for x, k in zip(r, kinds)] for r in rows], [k in NUMERIC for k in kinds])


def emit(names: list[str], kinds: list, rows: list[list], fmt: str, zone: str | None) -> str:
    """``table``, ``json`` (one object per line, NULLs kept) or ``csv`` (values cast to text)."""
    if fmt == "table":
        return aligned(names, kinds, rows, zone)
    if fmt == "json":
        return "\n".join("{" + ",".join(f"{json.dumps(n, ensure_ascii=False)}:{to_json(x, k, zone, keep_nulls=True)}"
                                         for n, x, k in zip(names, r, kinds)) + "}" for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([["" if x is None else cell(x, k, zone) for x, k in zip(r, kinds)] for r in rows])
    return out.getvalue().rstrip("\n")


def cell(value, kind, zone: str | None) -> str | None:
    """``CAST(value AS STRING)`` as Spark spells it (nested values: ``to_json`` without NULL fields)."""
    if value is None:
        return None
    if kind == "timestamp":
        return timestamp(value, zone, "cast")
    if kind in ("struct", "array") or isinstance(kind, list):
        return to_json(value, kind, zone, keep_nulls=False)
    if kind == "boolean":
        return boolean(value)
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return format(value, "f")
    return str(value)


def to_json(value, kind, zone: str | None, *, keep_nulls: bool) -> str:
    """``to_json`` of one value of ``kind`` (struct fields that are NULL dropped unless ``keep_nulls``)."""
    if value is None:
        return "null"
    if isinstance(kind, list):  # a struct: its fields in order
        return "{" + ",".join(f"{json.dumps(n, ensure_ascii=False)}:{to_json(value[n], k, zone, keep_nulls=keep_nulls)}"
                              for n, k in kind if keep_nulls or value[n] is not None) + "}"
    if kind == "timestamp":
        return json.dumps(timestamp(value, zone, "json"))
    if kind == "date":
        return json.dumps(value.isoformat())
    if kind == "decimal" or isinstance(value, Decimal):
        return format(value, "f")
    if kind == "boolean":
        return boolean(value)
    return json.dumps(strip_nulls(value) if not keep_nulls else value, ensure_ascii=False, separators=(",", ":"))


def strip_nulls(value):
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def boolean(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def local_zone() -> str:
    """The machine's zone name, as the JVM finds it: ``$TZ``, else the ``/etc/localtime`` link, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name and os.path.islink("/etc/localtime"):
        name = os.readlink("/etc/localtime").split("zoneinfo/", 1)[-1]
    return name or "UTC"


def timestamp(value: int | dt.datetime, zone: str | None, style: str) -> str:
    """Micros since the epoch (or an aware datetime) in ``zone``: ``table`` is ``date_format(...,
    'yyyy-MM-dd HH:mm:ss.SSSXXX')``, ``json`` is ``to_json``'s, ``cast`` is ``CAST(ts AS STRING)``."""
    if isinstance(value, int):
        value = timetravel.from_epoch_micros(value)
    local = value.astimezone(timetravel.zone(zone or local_zone()))
    offset = local.utcoffset() or dt.timedelta(0)
    if offset == dt.timedelta(0):
        xxx = "Z"
    else:
        minutes = int(offset.total_seconds()) // 60
        xxx = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    base = local.strftime("%Y-%m-%d %H:%M:%S")
    if style == "table":
        return f"{base}.{local.microsecond // 1000:03d}{xxx}"
    if style == "json":
        return f"{base.replace(' ', 'T')}.{local.microsecond // 1000:03d}{xxx}"
    fraction = f"{local.microsecond:06d}".rstrip("0")
    return base + (f".{fraction}" if fraction else "")
