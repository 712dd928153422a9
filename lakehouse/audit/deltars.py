"""``history`` and ``show`` of a local path table without a JVM: the log parsed in Python, the data read by delta-rs.

The answers and their text are the Spark path's (:mod:`lakehouse.audit.read`, :mod:`lakehouse.cli.render`):
the log becomes the same :class:`~lakehouse.table.log.TableLog` (:mod:`lakehouse.table.pylog`), the same
history rows (:mod:`lakehouse.audit.rows`) and the same version rules (:mod:`lakehouse.audit.versions`); this
module only formats values the way Spark casts them to text.

Rules (which engine: :func:`choose`):

* ``--engine spark`` always Spark.  ``--engine delta-rs`` needs the ``audit`` extra (``deltalake``, ``pyarrow``)
  and a table in a local folder; otherwise a usage error.  ``--engine auto`` (the default) takes delta-rs when
  it can, else Spark.
* Spark only: metastore names and URI paths, ``history --key``, ``show --where`` (a Spark SQL condition), and
  ``show`` of a table with a column whose text Spark and Python spell differently (float, double, binary,
  nested types; see :data:`SIMPLE`).  ``auto`` takes Spark for these; ``delta-rs`` says why it cannot.
* Times are shown in the profile's ``spark.sql.session.timeZone`` (else the machine's zone, as the JVM does).

Example::

    text = history_text("lake/things", "table", limit=None, zone="UTC")
    description, text = show_text("lake/things", "csv", limit=20, zone="UTC", version=1)
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import os
import re

from lakehouse.audit import timetravel
from lakehouse.audit import versions as V
from lakehouse.audit.rows import COLUMNS, history_row
from lakehouse.cli.text import table
from lakehouse.errors import TableError, UsageError
from lakehouse.spec.profile import is_uri
from lakehouse.table.lineage import SourceVersions
from lakehouse.table.pylog import read_local

ENGINES = ("auto", "spark", "delta-rs")
SIMPLE = ("int8", "int16", "int32", "int64", "string", "large_string", "bool", "date32", "decimal", "timestamp")
"""Arrow types whose text this module spells as Spark does (``decimal``/``timestamp``: any precision/unit)."""


def _top_level(columns: str) -> list[tuple[str, str]]:
    """``"a long, b struct<x: long, y: string>"`` → ``[("a", "long"), ("b", "struct")]``."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(columns + ","):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            name, kind = columns[start:i].strip().split(" ", 1)
            out.append((name, re.match(r"[a-z]+", kind).group(0)))
            start = i + 1
    return out


HISTORY_COLUMNS = [("version", "long"), ("timestamp", "timestamp"), *_top_level(COLUMNS)[2:]]
"""The names and kinds of ``history``'s columns, as Spark's ``history`` DataFrame has them."""


def available() -> bool:
    """delta-rs and pyarrow can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("deltalake", "pyarrow"))


def choose(engine: str, ref, *, spark_only: str | None = None) -> str:
    """``"spark"`` or ``"delta-rs"`` for ``--engine`` and the table ``ref`` (``spark_only``: why this request
    needs Spark, e.g. ``"--where"``; None when delta-rs can answer it)."""
    if engine == "spark":
        return "spark"
    reason = ("a metastore table" if ref.name else "a table at a URI" if is_uri(ref.path) else
              spark_only or (None if available() else "the audit extra (pip install 'lakehouse[audit]')"))
    if reason is None:
        return "delta-rs"
    if engine == "delta-rs":
        raise UsageError(f"--engine delta-rs cannot read {reason}; use --engine spark or auto")
    return "spark"


def open_local(path: str, *, readability: bool = True):
    log = read_local(path, readability=readability)
    if not log.commits:
        raise TableError(f"no Delta table at {path}")
    return log


# ------------------------------------------------------------------------------------ history

def history_text(path: str, fmt: str, limit: int | None, zone: str | None) -> str:
    """``lakehouse history`` of the table at ``path`` as Spark prints it."""
    log = open_local(path)
    listed = log.commits[-limit:] if limit else log.commits
    rows = [list(history_row(c, log.readable(c.version))) for c in reversed(listed)]
    if fmt == "table":
        return table(*_history_cells(rows, zone))
    return _emit([n for n, _ in HISTORY_COLUMNS], [k for _, k in HISTORY_COLUMNS], rows, fmt, zone)


def _history_cells(rows: list[list], zone: str | None) -> tuple[list[str], list[list[str | None]], list[bool]]:
    """The aligned-table cells of :func:`lakehouse.cli.audit_text.history_table`."""
    out = []
    for (version, micros, operation, inserted, updated, deleted, added, removed, restored, reason, job, run_date,
         run_id, files, sources, filtered, readable, schema) in rows:
        source = None if files is None else ", ".join(_last_two(f) for f in files)
        if sources is not None:
            source = SourceVersions(**sources).describe()
        text = [str(version), _timestamp(micros, zone, "table"),
                operation + ("" if restored is None else f" to v{restored}"),
                *[None if n is None else str(n) for n in (inserted, updated, deleted, filtered, added, removed)],
                job, run_date, run_id, _bool(readable), source, reason or "", _schema_text(schema)]
        out.append(text)
    columns = ["version", "timestamp", "operation", "inserted", "updated", "deleted", "filtered", "+files", "-files",
               "job", "run_date", "run_id", "readable", "source", "reason", "schema"]
    return columns, out, [c in ("version", "inserted", "updated", "deleted", "filtered", "+files", "-files")
                          for c in columns]


def _last_two(path: str) -> str:
    match = re.search(r"[^/]*/[^/]*$", path)
    return match.group(0) if match else ""


def _schema_text(changes: list[dict] | None) -> str:
    if not changes:
        return ""
    parts = []
    for c in changes:
        kind = c["type"] if c["type"] is not None else (
            None if c["from"] is None or c["to"] is None else f"{c['from']} to {c['to']}")
        words = [c["change"], c["column"], kind if c["change"] != "ignored" else None]
        parts.append(" ".join(w for w in words if w is not None))
    return ", ".join(parts)


# --------------------------------------------------------------------------------------- show

def show_text(path: str, fmt: str, limit: int, zone: str | None, version: int | None = None,
              timestamp: str | None = None, run_date: str | None = None) -> tuple[str, str]:
    """(the stderr line naming the version, the rows) of ``lakehouse show`` as Spark prints them."""
    import pyarrow as pa
    from deltalake import DeltaTable

    log = open_local(path)
    if timestamp is not None:
        v = V.version_before(path, log, timetravel.parse_timestamp(timestamp, zone or _local_zone()))
    else:
        v = V.pick(None, path, log, version=version, run_date=run_date)
    V.require_readable(path, log, v)
    delta = DeltaTable(path, version=v)
    data: pa.Table = delta.to_pyarrow_table().select([f.name for f in delta.schema().fields])  # the table's order
    rows = data.to_pylist()
    names = data.column_names
    if names:
        rows.sort(key=lambda r: (r[names[0]] is not None, r[names[0]]))  # Spark: NULLs first ascending
    rows = [[r[n] for n in names] for r in rows[:limit]]
    types = [_kind(f.type) for f in data.schema]
    text = (table(names, [[_cell(x, t, zone, "csv") for x, t in zip(r, types)] for r in rows],
                  [t in ("long", "decimal") for t in types])
            if fmt == "table" else _emit(names, types, rows, fmt, zone))
    return V.describe(path, log, v), text


def simple_columns(path: str) -> str | None:
    """None when every column of the table's latest version has a type in :data:`SIMPLE`, else why not."""
    import pyarrow as pa
    from deltalake import DeltaTable

    schema = pa.schema(DeltaTable(path).schema().to_arrow())
    odd = [f"{f.name} ({f.type})" for f in schema if _kind(f.type) is None]
    return f"columns whose text only Spark spells: {', '.join(odd)}" if odd else None


def _kind(arrow_type) -> str | None:
    text = str(arrow_type)
    if text.startswith(("int", "uint")) and "interval" not in text:
        return "long"
    if text in ("string", "large_string", "string_view"):
        return "string"
    if text in ("bool",):
        return "boolean"
    if text == "date32[day]":
        return "date"
    if text.startswith("decimal"):
        return "decimal"
    if text.startswith("timestamp") and "tz=" in text:  # a TIMESTAMP_NTZ: Spark only
        return "timestamp"
    return None


# ------------------------------------------------------------------------------ value to text

def _emit(names: list[str], types: list[str], rows: list[list], fmt: str, zone: str | None) -> str:
    """JSON lines (``to_json`` of a struct of all columns, NULLs kept) or CSV (values cast to text)."""
    if fmt == "json":
        return "\n".join("{" + ",".join(f"{json.dumps(n, ensure_ascii=False)}:{_json(x, t, zone, keep_nulls=True)}"
                                         for n, x, t in zip(names, r, types)) + "}" for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([["" if x is None else _cell(x, t, zone, "csv") for x, t in zip(r, types)] for r in rows])
    return out.getvalue().rstrip("\n")


def _cell(value, kind: str, zone: str | None, fmt: str) -> str | None:
    """``CAST(value AS STRING)`` as Spark spells it (nested values: ``to_json`` without NULL fields)."""
    if value is None:
        return None
    if kind == "timestamp":
        return _timestamp(value, zone, "cast")
    if kind in ("struct", "array"):
        return _json(value, kind, zone, keep_nulls=False)
    if kind == "boolean":
        return _bool(value)
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return format(value, "f")
    return str(value)


def _json(value, kind: str, zone: str | None, *, keep_nulls: bool) -> str:
    if value is None:
        return "null"
    if kind == "timestamp":
        return json.dumps(_timestamp(value, zone, "json"))
    if kind == "date":
        return json.dumps(value.isoformat())
    if kind == "decimal":
        return format(value, "f")
    if kind == "boolean":
        return _bool(value)
    return json.dumps(_strip_nulls(value) if not keep_nulls else value, ensure_ascii=False, separators=(",", ":"))


def _strip_nulls(value):
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _local_zone() -> str:
    """The machine's zone name, as the JVM finds it: ``$TZ``, else the ``/etc/localtime`` link, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name and os.path.islink("/etc/localtime"):
        name = os.readlink("/etc/localtime").split("zoneinfo/", 1)[-1]
    return name or "UTC"


def _timestamp(value: int | dt.datetime, zone: str | None, style: str) -> str:
    """Micros since the epoch (or an aware datetime) in ``zone``: ``table`` is ``date_format(...,
    'yyyy-MM-dd HH:mm:ss.SSSXXX')``, ``json`` is ``to_json``'s, ``cast`` is ``CAST(ts AS STRING)``."""
    if isinstance(value, int):
        value = timetravel.from_epoch_micros(value)
    local = value.astimezone(timetravel.zone(zone or _local_zone()))
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

