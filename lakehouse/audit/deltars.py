"""``history`` and ``show`` of a local path table without a JVM: the log parsed in Python, the data read by delta-rs.

The answers and their text are the Spark path's (:mod:`lakehouse.audit.read`, :mod:`lakehouse.cli.render`):
the log becomes the same :class:`~lakehouse.table.log.TableLog` (:mod:`lakehouse.table.pylog`), the same
history rows (:mod:`lakehouse.audit.rows`) and the same version rules (:mod:`lakehouse.audit.versions`);
values are spelt as Spark casts them by :mod:`lakehouse.audit.arrow_text`.  Which engine answers a command
is decided by :func:`lakehouse.audit.engine.choose`; ``diff`` and ``history --key`` are in
:mod:`lakehouse.audit.rs_changes`.

* Times are shown in the profile's ``spark.sql.session.timeZone`` (else the machine's zone, as the JVM does).
* ``show`` keeps the rows a ``--where`` filter (already translated) keeps, orders them by the first column
  (NULLs first, as Spark's ``orderBy``) and prints the first ``limit``: the smallest ``limit`` rows are
  selected without sorting the whole table.

Example::

    text = history_text("lake/things", "table", limit=None, zone="UTC")
    description, text = show_text("lake/things", "csv", limit=20, zone="UTC", version=1)
"""

from __future__ import annotations

import re

from lakehouse.audit import arrow_text as T
from lakehouse.audit import timetravel
from lakehouse.audit import versions as V
from lakehouse.audit.rows import COLUMNS, history_row
from lakehouse.cli.text import table
from lakehouse.errors import TableError, UsageError
from lakehouse.table.lineage import SourceVersions
from lakehouse.table.log import TableLog
from lakehouse.table.pylog import read_local


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


def open_local(path: str, *, readability: bool = True) -> TableLog:
    """The log of the table at ``path``; a TableError when there is none (the Spark path's words)."""
    log = read_local(path, readability=readability)
    if not log.commits:
        raise TableError(f"no Delta table at {path}")
    return log


def read_rows(path: str, version: int, where=None):
    """The rows of ``version`` as a pyarrow Table in the table's column order (``where``: a pyarrow filter)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaProtocolError

    try:
        delta = DeltaTable(path, version=version)
        data = delta.to_pyarrow_table()
    except DeltaProtocolError as exc:
        raise UsageError(f"--engine delta-rs cannot read version {version} of {path} ({exc}); "
                         "use --engine spark or auto") from None
    data = data.select([f.name for f in delta.schema().fields])
    return data if where is None else data.filter(where)


def when(path: str, log: TableLog, zone: str | None, version: int | None = None, timestamp: str | None = None,
         run_date: str | None = None) -> int:
    """The version a request names, by the Spark path's rules (:func:`lakehouse.audit.versions.pick`)."""
    if timestamp is not None:
        return V.version_before(path, log, timetravel.parse_timestamp(timestamp, zone or T.local_zone()))
    return V.pick(None, path, log, version=version, run_date=run_date)


# ------------------------------------------------------------------------------------ history

def history_text(path: str, fmt: str, limit: int | None, zone: str | None) -> str:
    """``lakehouse history`` of the table at ``path`` as Spark prints it."""
    log = open_local(path)
    listed = log.commits[-limit:] if limit else log.commits
    rows = [list(history_row(c, log.readable(c.version))) for c in reversed(listed)]
    if fmt == "table":
        return table(*_history_cells(rows, zone))
    return T.emit([n for n, _ in HISTORY_COLUMNS], [k for _, k in HISTORY_COLUMNS], rows, fmt, zone)


def _history_cells(rows: list[list], zone: str | None) -> tuple[list[str], list[list[str | None]], list[bool]]:
    """The aligned-table cells of :func:`lakehouse.cli.audit_text.history_table`."""
    out = []
    for (version, micros, operation, inserted, updated, deleted, added, removed, restored, reason, job, run_date,
         run_id, files, sources, filtered, readable, schema) in rows:
        source = None if files is None else ", ".join(_last_two(f) for f in files)
        if sources is not None:
            source = SourceVersions(**sources).describe()
        text = [str(version), T.timestamp(micros, zone, "table"),
                operation + ("" if restored is None else f" to v{restored}"),
                *[None if n is None else str(n) for n in (inserted, updated, deleted, filtered, added, removed)],
                job, run_date, run_id, T.boolean(readable), source, reason or "", _schema_text(schema)]
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
              timestamp: str | None = None, run_date: str | None = None, where=None) -> tuple[str, str]:
    """(the stderr line naming the version, the rows) of ``lakehouse show`` as Spark prints them."""
    log = open_local(path)
    v = when(path, log, zone, version, timestamp, run_date)
    V.require_readable(path, log, v)
    data = first_rows(read_rows(path, v, where), limit)
    names = data.column_names
    kinds = [T.kind_of(f.type) for f in data.schema]
    rows = [[r[n] for n in names] for r in data.to_pylist()]
    if names:
        rows.sort(key=lambda r: (r[0] is not None, r[0]))  # Spark: NULLs first ascending
    return V.describe(path, log, v), T.emit(names, kinds, rows, fmt, zone)


def first_rows(data, limit: int):
    """The ``limit`` rows of ``data`` that come first by its first column, NULLs first (ties: any order).

    The smallest values are picked chunk by chunk (``bottom_k``), then among those: no sort of the table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not data.column_names or data.num_rows <= limit:
        return data
    first = data.column_names[0]
    nulls = data.filter(pc.is_null(data[first])) if data[first].null_count else data.slice(0, 0)
    if nulls.num_rows >= limit:
        return nulls.slice(0, limit)
    rest = data.filter(pc.is_valid(data[first])) if nulls.num_rows else data
    k = limit - nulls.num_rows
    candidates, offset = [], 0
    try:
        for chunk in rest[first].chunks:
            if len(chunk):
                picked = pc.bottom_k_unstable(chunk, min(k, len(chunk)))
                candidates += [(value, offset + i) for value, i in zip(chunk.take(picked).to_pylist(), picked.to_pylist())]
            offset += len(chunk)
    except pa.ArrowNotImplementedError:  # a type bottom_k does not order
        return pa.concat_tables([nulls, rest.take(pc.sort_indices(rest, sort_keys=[(first, "ascending")])[:k])])
    candidates.sort(key=lambda c: c[0])
    return pa.concat_tables([nulls, *[rest.slice(i, 1) for _, i in candidates[:k]]])
