"""Which version an audit request means, whether it can be read, and reading it.

Shared by the audit modules (:mod:`lakehouse.audit.read` states the rules).  Each command
reads the table's log once (:func:`open_table`) and answers every question from it.

* A request names at most one of a ``version``, a ``timestamp`` (the last version *committed* at
  or before it) or a ``run_date`` (the version the load of that run date made; see
  :func:`run_date_version`); none means the latest version.
* :func:`describe` says in one line which version a request resolved to.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Union

from lakehouse.audit import timetravel
from lakehouse.errors import LakehouseError, TableError
from lakehouse.runtime.compat import READ_OLD_VERSIONS
from lakehouse.table import log as table_log
from lakehouse.table.lineage import commit_conf
from lakehouse.table.log import Commit, TableLog
from lakehouse.table.ref import TableRef

if TYPE_CHECKING:  # no Spark import: the delta-rs audit path (lakehouse.audit.deltars) shares these rules
    from pyspark.sql import DataFrame, SparkSession

TableLike = Union[str, TableRef]
When = Union[str, dt.datetime, dt.date]


def as_ref(table: TableLike) -> TableRef:
    return table if isinstance(table, TableRef) else TableRef.parse(str(table))


def open_table(spark: SparkSession, table: TableLike, *, readability: bool = True) -> tuple[TableRef, TableLog]:
    """The table and its log, read once; a TableError when there is no Delta table."""
    ref = as_ref(table)
    if not ref.exists(spark):
        raise TableError(f"no Delta table at {ref}")
    log = table_log.read(spark, ref, readability=readability, exists=True)
    if not log.commits:
        raise TableError(f"no Delta table at {ref} (its log lists no commit)")
    return ref, log


def pick(spark: SparkSession, ref: TableRef, log: TableLog, version: int | None = None,
         timestamp: When | None = None, run_date: When | None = None) -> int:
    """The version a request names (the latest when it names none)."""
    given = [name for name, value in (("a version", version), ("a timestamp", timestamp), ("a run date", run_date))
             if value is not None]
    if len(given) > 1:
        raise LakehouseError(f"give only one of a version, a timestamp or a run date, not {' and '.join(given)}")
    if version is not None:
        check_version(ref, log, version)
        return int(version)
    if timestamp is not None:
        return version_at(spark, ref, log, timestamp)
    if run_date is not None:
        return run_date_version(ref, log, run_date)
    return log.latest


def check_version(ref: TableRef, log: TableLog, version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise LakehouseError(f"a version is a whole number, got {version!r}")
    if version > log.latest or version < 0:
        raise TableError(f"version {version} of {ref} does not exist (versions {log.first} to {log.latest})")
    if version < log.first:
        raise TableError(f"version {version} of {ref} can no longer be read: log clean-up removed it "
                         f"(earliest version in the log: {log.first})")


def version_at(spark: SparkSession, ref: TableRef, log: TableLog, timestamp: When) -> int:
    """The last version committed at or before ``timestamp`` (read in the session time zone)."""
    return version_before(ref, log, timetravel.resolve(spark, timestamp))


def version_before(ref: TableRef, log: TableLog, instant: dt.datetime) -> int:
    """The last version committed at or before the aware datetime ``instant``."""
    micros = timetravel.epoch_micros(instant)
    before = [c.version for c in log.commits if c.micros <= micros]
    if not before:
        first = log.commits[0]
        what = "the first commit" if first.version == 0 else "the earliest version still in the log"
        raise TableError(f"{timetravel.iso(instant)} is before {what} of {ref} "
                         f"(version {first.version} at {committed(first)})")
    return max(before)


def span(ref: TableLike, log: TableLog, start: int | None, end: int | None,
         run_date: When | None) -> tuple[int | None, int]:
    """``(start, end)`` of a ``diff``: the run date's version and the one before it; without ``start``,
    ``end`` (default: the latest) and the one before it.  ``start`` None: before the table's first version."""
    if run_date is not None:
        if start is not None or end is not None:
            raise LakehouseError("give a run date or versions to compare, not both")
        end = run_date_version(ref, log, run_date)
    end = log.latest if end is None else end
    check_version(ref, log, end)
    if start is None:
        return (end - 1 if end > 0 else None), end
    check_version(ref, log, start)
    if start > end:
        raise TableError(f"the start version {start} is after the end version {end}")
    return start, end


def run_date_text(run_date: When) -> str:
    """A run date as ``YYYY-MM-DD``; a LakehouseError for anything else."""
    if isinstance(run_date, dt.datetime):
        raise LakehouseError(f"a run date is a date, not a time: {run_date!r}")
    if isinstance(run_date, dt.date):
        return run_date.isoformat()
    try:
        return dt.date.fromisoformat(str(run_date).strip()).isoformat()
    except ValueError:
        raise LakehouseError(f"run date {run_date!r} is not a date (YYYY-MM-DD)") from None


def run_date_version(ref: TableRef, log: TableLog, run_date: When) -> int:
    """The version the load of ``run_date`` made: the newest commit of a job run (not a restore) whose
    lineage names that run date and that no RESTORE undid.  A run date never loaded, or whose loads
    were all undone, is a TableError."""
    day = run_date_text(run_date)
    loads = log.run_date_loads(day)
    in_effect = [c for c in loads if log.in_effect(c.version)]
    if in_effect:
        return in_effect[0].version
    if loads:
        undo = next(c for c in log.commits if c.version > loads[0].version and c.restored_to is not None
                    and c.restored_to < loads[0].version)
        raise TableError(f"the load of run date {day} in {ref} (version {loads[0].version}) was undone by "
                         f"the RESTORE of version {undo.version}; no load of that date is in effect")
    dates = log.loaded_run_dates()
    known = (f"loaded run dates: {dates[0]} to {dates[-1]}" if len(dates) > 1 else
             f"loaded run date: {dates[0]}" if dates else "no commit of it records a run date")
    raise TableError(f"no load of run date {day} in {ref} ({known})")


def committed(c: Commit) -> str:
    return timetravel.iso(timetravel.from_epoch_micros(c.micros))


def describe(ref: TableRef, log: TableLog, version: int) -> str:
    """One line: ``data/lake/orders at version 1 (committed …Z by orders, run date 2024-03-02)``."""
    c = log.commit(version)
    run = f" by {c.lineage.job}, run date {c.lineage.run_date}" if c and c.lineage else ""
    latest = ", the latest" if version == log.latest else ""
    return f"{ref} at version {version}{latest} (committed {committed(c)}{run})" if c else f"{ref} at version {version}"


def require_readable(ref: TableRef, log: TableLog, version: int) -> None:
    problem = log.problem(version)
    if problem:
        raise TableError(f"version {version} of {ref} can no longer be read: {problem}")


def read_version(spark: SparkSession, ref: TableRef, version: int) -> DataFrame:
    """``ref`` at ``version``, which :func:`require_readable` passed (so however old, as on every Delta line)."""
    with commit_conf(spark, READ_OLD_VERSIONS):  # the snapshot is pinned when the read is resolved, here
        return ref.read(spark.read.format("delta").option("versionAsOf", version))
