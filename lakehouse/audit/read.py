"""Audit a Delta table: time travel, history with run lineage, row-level changes, restore, vacuum.

Every function takes the SparkSession and a table: a path, a metastore name
(``schema.table``) or a :class:`~lakehouse.table.ref.TableRef`, and reads the table's log
once (:mod:`lakehouse.table.log`).  User mistakes raise :class:`~lakehouse.errors.TableError`
(or :class:`~lakehouse.errors.LakehouseError`).  This module holds time travel and gathers the
rest: :mod:`~lakehouse.audit.history` (``history``, ``record_history``),
:mod:`~lakehouse.audit.changes` (``changes``) and :mod:`~lakehouse.audit.maintenance`
(``restore``, ``vacuum``).

Rules:

* **Versions, times and run dates.** ``as_of(version=N)`` reads version N.
  ``as_of(timestamp=T)`` reads the last version *committed* at or before T (commit times
  from the table's log; with in-commit timestamps, which jobs enable, those do not change
  when a table is copied).  T is parsed by :mod:`lakehouse.audit.timetravel`: a time without
  an offset is read in the Spark session time zone.  Commit time is when a job ran, not the
  date it loaded: ``as_of(run_date=D)`` reads the version the load of run date D made (the
  newest commit of a job run whose lineage names D and that no RESTORE undid).  Nothing
  given reads the latest version.  A time before the first commit, a version that does not
  exist, a run date never loaded (or undone), and a version whose log or data files are gone
  (log clean-up, ``VACUUM``) are errors, raised when the DataFrame is made.
* **Readable versions.** ``history()`` has a ``readable`` column: the version's
  snapshot can be rebuilt from the log and every data file it needs still exists.
  It is computed for all versions at once, from one pass over the log and one listing
  of the table's folder (:mod:`lakehouse.table.readability`).
* **Changes.** ``changes(start, end)`` is the *net* change of each key from version
  ``start`` to version ``end``: one row per key whose row was inserted, updated
  (some non-key column differs) or deleted.  Schema: the key columns, ``change``
  (``insert``/``update``/``delete``), ``changed_columns`` (the non-key columns that
  differ; all of them for an insert or delete), ``before`` and ``after`` (structs of
  the non-key columns; ``NULL`` when the row did not exist).  Read from the change
  data feed when it covers the whole range, else by comparing the two snapshots by
  key; both give the same rows.  Keys must identify a row; they come from ``keys``,
  else the merge keys recorded in the lineage of the table's newest lakehouse merge run.
  Without ``start``, the change ``end`` made (from the version before it; version 0 is all
  inserts); ``changes(run_date=D)`` is the change the load of run date D made.
* **Restore** needs ``confirm=True`` and commits a ``RESTORE`` whose
  ``userMetadata`` carries lakehouse lineage (job ``restore``, a run id, the restored
  version and the reason).  ``restore(run_date=D)`` restores the version before the load
  of D (undoing it and every later version).
* **Vacuum** refuses a retention shorter than the audit window unless ``force=True``.
  It vacuums the table's merge tombstones (``_lakehouse_tombstones``) and a history
  table's events (``_lakehouse_changes``) with the same
  retention; Delta's own VACUUM of the table leaves that folder alone.

Example::

    from lakehouse.audit import read as audit
    spark = ...  # a SparkSession with Delta
    audit.history(spark, "data/lake/orders").show()
    audit.as_of(spark, "data/lake/orders", run_date="2024-03-02").show()
    audit.as_of(spark, "data/lake/orders", timestamp="2026-11-24 12:00").show()   # commit time
    audit.changes(spark, "data/lake/orders", 0, 2, keys=["order_id"]).show(truncate=False)
    audit.changes(spark, "data/lake/orders", run_date="2024-03-03").show(truncate=False)
    audit.record_history(spark, "data/lake/orders", {"order_id": 1003}).show(truncate=False)
    audit.restore(spark, "data/lake/orders", version=1, confirm=True, reason="bad load")
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession

from lakehouse.audit import versions as V
from lakehouse.audit.changes import Changes, Method, changes, compare
from lakehouse.audit.history import history, record_history
from lakehouse.audit.maintenance import RETENTION_CHECK, Restored, Vacuumed, restore, vacuum
from lakehouse.audit.versions import TableLike, When

__all__ = ["Changes", "Method", "RETENTION_CHECK", "Restored", "Snapshot", "TableLike", "Vacuumed", "as_of", "at",
           "changes", "compare",
           "history", "record_history", "restore", "vacuum", "version_at", "version_of_run_date"]


@dataclass(frozen=True)
class Snapshot:
    """The table at one version: ``df`` its rows, ``description`` one line naming the version, when it was
    committed and the run that made it (what ``lakehouse show`` prints on stderr)."""

    version: int
    description: str
    df: DataFrame


def at(spark: SparkSession, table: TableLike, version: int | None = None, timestamp: When | None = None,
       run_date: When | None = None) -> Snapshot:
    """The table as of at most one of ``version``, ``timestamp`` or ``run_date`` (none: the latest)."""
    ref, log = V.open_table(spark, table)
    v = V.pick(spark, ref, log, version, timestamp, run_date)
    V.require_readable(ref, log, v)
    return Snapshot(v, V.describe(ref, log, v), V.read_version(spark, ref, v))


def as_of(spark: SparkSession, table: TableLike, version: int | None = None, timestamp: When | None = None,
          run_date: When | None = None) -> DataFrame:
    """The rows of :func:`at`; see the module rules."""
    return at(spark, table, version, timestamp, run_date).df


def version_at(spark: SparkSession, table: TableLike, timestamp: When) -> int:
    """The last version committed at or before ``timestamp``."""
    ref, log = V.open_table(spark, table, readability=False)
    return V.version_at(spark, ref, log, timestamp)


def version_of_run_date(spark: SparkSession, table: TableLike, run_date: When) -> int:
    """The version the load of ``run_date`` made (the newest one in effect)."""
    ref, log = V.open_table(spark, table, readability=False)
    return V.run_date_version(ref, log, run_date)
