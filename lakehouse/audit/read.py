"""Audit a Delta table: time travel, history with run lineage, row-level changes, restore, vacuum.

Every function takes the SparkSession and a table: a path, a metastore name
(``schema.table``) or a :class:`~lakehouse.table.ref.TableRef`.  User mistakes raise
:class:`~lakehouse.errors.TableError` (or :class:`~lakehouse.errors.LakehouseError`).

Rules:

* **Versions and times.** ``as_of(version=N)`` reads version N.  ``as_of(timestamp=T)``
  reads the last version committed at or before T (commit times from the table's
  history; with in-commit timestamps, which jobs enable, those do not change when
  a table is copied).  T is parsed by :mod:`lakehouse.audit.timetravel`: a time without an
  offset is read in the Spark session time zone.  A time before the first commit,
  a version that does not exist, and a version whose log or data files are gone
  (log clean-up, ``VACUUM``) are errors, raised when the DataFrame is made.
* **Readable versions.** ``history()`` has a ``readable`` column: the version's
  snapshot can be rebuilt from the log and every data file it needs still exists.
  It is computed per listed version (a log replay each, no data scan).
* **Changes.** ``changes(start, end)`` is the *net* change of each key from version
  ``start`` to version ``end``: one row per key whose row was inserted, updated
  (some non-key column differs) or deleted.  Schema: the key columns, ``change``
  (``insert``/``update``/``delete``), ``changed_columns`` (the non-key columns that
  differ; all of them for an insert or delete), ``before`` and ``after`` (structs of
  the non-key columns; ``NULL`` when the row did not exist).  Read from the change
  data feed when it covers the whole range, else by comparing the two snapshots by
  key; both give the same rows.  Keys must identify a row; they come from ``keys``,
  else the merge keys recorded in the lineage of the table's newest lakehouse merge run.
* **Restore** needs ``confirm=True`` and commits a ``RESTORE`` whose
  ``userMetadata`` carries lakehouse lineage (job ``restore``, a run id, the restored
  version and the reason).
* **Vacuum** refuses a retention shorter than the audit window unless ``force=True``.
  It vacuums the table's merge tombstones (``_lakehouse_tombstones``) and a history
  table's events (``_lakehouse_changes``) with the same retention; Delta's own VACUUM of the table leaves that folder alone.

Example::

    from lakehouse.audit import read as audit
    spark = ...  # a SparkSession with Delta
    audit.history(spark, "data/lake/orders").show()
    audit.as_of(spark, "data/lake/orders", timestamp="2024-03-02 12:00").show()
    audit.changes(spark, "data/lake/orders", 0, 2, keys=["order_id"]).show(truncate=False)
    audit.record_history(spark, "data/lake/orders", {"order_id": 1003}).show(truncate=False)
    audit.restore(spark, "data/lake/orders", version=1, confirm=True, reason="bad load")
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal, Mapping, Sequence, Union

from delta.tables import DeltaTable
from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, IllegalArgumentException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.audit import timetravel
from lakehouse._sql import quote_ident
from lakehouse.errors import LakehouseError, TableError, spark_message
from lakehouse.table.metrics import FILE_METRICS, ROW_METRICS, WRITE_OPERATIONS
from lakehouse.table.lineage import USER_METADATA, RunLineage, commit_conf
from lakehouse.table.ref import TableRef, has_commits, path_exists
from lakehouse.write import scd2, tombstones

__all__ = ["Restored", "Vacuumed", "as_of", "changes", "history", "record_history",
           "restore", "vacuum", "version_at"]

RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"

Method = Literal["auto", "cdf", "snapshot"]
TableLike = Union[str, TableRef]

_LINEAGE_SCHEMA = ("struct<lakehouse: struct<job: string, run_date: string, run_id: string, "
                   "source_files: array<string>, schema_changes: array<struct<column: string, change: string, "
                   "type: string, from: string, to: string>>>>")
_PRE_IMAGE = ("delete", "update_preimage")


@dataclass(frozen=True)
class _Commit:
    version: int
    micros: int
    operation: str
    parameters: dict[str, str | None] = field(default_factory=dict)

    @property
    def time(self) -> str:
        return timetravel.iso(timetravel.from_epoch_micros(self.micros))


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` did: ``table`` now at ``version`` holds the data of ``restored_version``."""

    table: str
    restored_version: int
    version: int
    run_id: str
    metrics: dict[str, Any]


@dataclass(frozen=True)
class Vacuumed:
    """What :func:`vacuum` did; ``deleted_files`` is ``None`` when Delta did not log it."""

    table: str
    retain_hours: float
    deleted_files: int | None


# ----------------------------------------------------------------------- time travel

def as_of(spark: SparkSession, table: TableLike, version: int | None = None,
          timestamp: str | dt.datetime | dt.date | None = None) -> DataFrame:
    """The table as of ``version`` or ``timestamp`` (exactly one); see the module rules."""
    ref = _ref(spark, table)
    commits = _commits(spark, ref)
    v = _pick_version(spark, ref, commits, version, timestamp)
    _require_readable(spark, ref, commits, v)
    return _read_version(spark, ref, v)


def version_at(spark: SparkSession, table: TableLike, timestamp: str | dt.datetime | dt.date) -> int:
    """The last version committed at or before ``timestamp``."""
    ref = _ref(spark, table)
    return _version_at(spark, ref, _commits(spark, ref), timestamp)


# --------------------------------------------------------------------------- history

def history(spark: SparkSession, table: TableLike, limit: int | None = None) -> DataFrame:
    """One row per commit, newest first.

    Columns: ``version``, ``timestamp``, ``operation``, ``rows_inserted``,
    ``rows_updated``, ``rows_deleted`` (``NULL`` when the operation reports no row
    counts), ``files_added``, ``files_removed``, ``restored_version`` (for a
    ``RESTORE``), the run lineage ``job``, ``run_date``, ``run_id``, ``source_files``
    (``NULL`` for commits lakehouse did not make), ``readable`` and ``schema_changes`` (the
    columns a run added, widened or ignored: ``column``, ``change``, ``type`` or ``from``/``to``;
    ``NULL`` when it changed none).
    """
    ref = _ref(spark, table)
    commits = _commits(spark, ref)
    listed = commits[-limit:] if limit else commits
    readable = _readable(spark, ref, commits, [c.version for c in listed])
    return _history_frame(ref.delta(spark).history(limit) if limit else ref.delta(spark).history(), readable)


def _history_frame(raw: DataFrame, readable: list[int]) -> DataFrame:
    metrics, op = F.col("operationMetrics"), F.col("operation")

    def metric(names: Sequence[str]) -> Column:
        return F.coalesce(*[F.try_element_at(metrics, F.lit(n)).cast("long") for n in names])

    written = F.when(op.isin(*WRITE_OPERATIONS), metric(("numOutputRows",)))
    inserted = F.coalesce(metric(ROW_METRICS["inserted"]), written)
    reports_rows = F.coalesce(inserted, *[metric(n) for n in ROW_METRICS.values()]).isNotNull()
    rows = {"rows_inserted": inserted,
            **{f"rows_{name}": metric(names) for name, names in ROW_METRICS.items() if name != "inserted"}}
    lineage = F.from_json("userMetadata", _LINEAGE_SCHEMA).getField("lakehouse")
    return raw.select(
        F.col("version"), F.col("timestamp"), op.alias("operation"),
        *[F.when(reports_rows, F.coalesce(expr, F.lit(0))).alias(name) for name, expr in rows.items()],
        *[metric(names).alias(name) for name, names in FILE_METRICS.items()],
        F.when(op == "RESTORE", F.try_element_at("operationParameters", F.lit("version")).cast("long"))
         .alias("restored_version"),
        *[lineage.getField(c).alias(c) for c in ("job", "run_date", "run_id", "source_files")],
        (F.col("version").isin(readable) if readable else F.lit(False)).alias("readable"),
        lineage.getField("schema_changes").alias("schema_changes"),
    ).orderBy(F.col("version").desc())


# ---------------------------------------------------------------------------- changes

def changes(spark: SparkSession, table: TableLike, start: int, end: int | None = None, *,
            keys: Sequence[str] | None = None, key_filter: Mapping[str, Any] | None = None,
            method: Method = "auto") -> DataFrame:
    """The net change of each key from version ``start`` to ``end`` (default: latest).

    ``key_filter`` (``{"order_id": 1003}``) keeps only matching keys; its columns
    also serve as ``keys`` when none are given.  ``method`` forces the change data
    feed (``"cdf"``) or the snapshot comparison (``"snapshot"``).
    """
    ref = _ref(spark, table)
    commits = _commits(spark, ref)
    end = commits[-1].version if end is None else end
    for v in (start, end):
        _check_version(ref, commits, v)
    if start > end:
        raise TableError(f"the start version {start} is after the end version {end}")
    key_cols, values = _key_columns(spark, ref, end, keys, key_filter)
    if _use_cdf(spark, ref, commits, start, end, method):
        per_key = _cdf_states(_cdf(spark, ref, start + 1, end), key_cols, values, key_filter, by_version=False)
    else:
        for v in (start, end):
            _require_readable(spark, ref, commits, v)
        old = _state(_read_version(spark, ref, start), key_cols, values, key_filter, "before")
        new = _state(_read_version(spark, ref, end), key_cols, values, key_filter, "after")
        per_key = old.join(new, on=key_cols, how="full_outer")
    return _classify(per_key, key_cols, values)


def record_history(spark: SparkSession, table: TableLike, key: Mapping[str, Any],
                   method: Method = "auto") -> DataFrame:
    """Every readable version in which the row with ``key`` (all key columns) changed, oldest first.

    In a history table (``mode: scd2``) ``key`` names the entity and each of its rows is
    followed by its ``valid_from``, a column after ``version``.

    Columns: ``version``, ``timestamp``, ``operation``, ``change``, ``changed_columns``,
    ``before``, ``after`` and the run that made the version: ``job``, ``run_date``, ``run_id``.
    """
    if not key:
        raise LakehouseError("record_history needs the key of the record, e.g. {'order_id': 1003}")
    ref = _ref(spark, table)
    commits = _commits(spark, ref)
    versions = _readable(spark, ref, commits, [c.version for c in commits])
    if not versions:
        raise TableError(f"no version of {ref} can still be read")
    recorded = _recorded_keys(spark, ref)  # a history table: the keys and valid_from identify a row
    row_keys = recorded if set(key) < set(recorded) else list(key)
    key_cols, values = _key_columns(spark, ref, versions[-1], row_keys, key)
    first = versions[0]
    cdf_start = first if first == 0 else first + 1
    if cdf_start <= versions[-1] and _use_cdf(spark, ref, commits, cdf_start - 1, versions[-1], method):
        changed = _cdf_states(_cdf(spark, ref, cdf_start, versions[-1]), key_cols, values, key, by_version=True)
    else:
        changed = _snapshot_states(spark, ref, versions, key_cols, values, key)
    lineage = _history_frame(ref.delta(spark).history(), versions).select(
        "version", "timestamp", "operation", "job", "run_date", "run_id")
    return (_classify(changed, ["version", *key_cols], values).join(lineage, "version")
            .select("version", *[k for k in key_cols if k not in key], "timestamp", "operation", "change",
                    "changed_columns", "before", "after", "job", "run_date", "run_id")
            .orderBy("version"))


def _key_columns(spark: SparkSession, ref: TableRef, version: int, keys: Sequence[str] | None,
                 key_filter: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    columns = _read_version(spark, ref, version).columns
    if not keys:
        keys = list(key_filter) if key_filter else _recorded_keys(spark, ref)
    if not keys:
        raise LakehouseError(f"which columns identify a row of {ref}? pass keys (CLI: --keys col,...); "
                             "none are recorded by a lakehouse merge run")
    unknown = [k for k in [*keys, *(key_filter or {})] if k not in columns]
    if unknown:
        raise TableError(f"unknown column {unknown[0]!r} in {ref} (columns: {', '.join(columns)})")
    outside = [k for k in (key_filter or {}) if k not in keys]
    if outside:
        raise LakehouseError(f"{outside[0]!r} is not one of the key columns ({', '.join(keys)})")
    return list(keys), [c for c in columns if c not in keys]


def _recorded_keys(spark: SparkSession, ref: TableRef) -> list[str]:
    """The merge keys in the lineage of the newest commit of a lakehouse merge job."""
    for row in ref.delta(spark).history().select("userMetadata").collect():  # newest first
        lineage = RunLineage.from_user_metadata(row["userMetadata"])
        if lineage and lineage.keys:
            return list(lineage.keys)
    return []


def _matching(df: DataFrame, key_filter: Mapping[str, Any] | None) -> DataFrame:
    for column, value in (key_filter or {}).items():
        col = F.col(quote_ident(column))
        df = df.filter(col.isNull() if value is None else col == F.lit(value))
    return df


def _row(values: list[str]) -> Column:
    return F.struct(*[F.col(quote_ident(c)).alias(c) for c in values])


def _keys(key_cols: list[str]) -> list[Column]:
    return [F.col(quote_ident(k)) for k in key_cols]


def _state(df: DataFrame, key_cols: list[str], values: list[str], key_filter, name: str) -> DataFrame:
    return _matching(df, key_filter).select(*_keys(key_cols), _row(values).alias(name))


def _cdf(spark: SparkSession, ref: TableRef, start: int, end: int) -> DataFrame:
    reader = (spark.read.format("delta").option("readChangeFeed", "true")
              .option("startingVersion", start).option("endingVersion", end))
    return ref.read(reader)


def _cdf_states(cdf: DataFrame, key_cols: list[str], values: list[str], key_filter,
                by_version: bool) -> DataFrame:
    """Per key (and version): the row before the first change and after the last one."""
    pre = F.col("_change_type").isin(*_PRE_IMAGE)
    order = F.col("_commit_version") * 2 + F.when(pre, 0).otherwise(1)  # pre-images first within a commit
    state = F.struct(pre.alias("pre"), _row(values).alias("row"))
    group = [*_keys(key_cols), *([F.col("_commit_version").alias("version")] if by_version else [])]
    firsts = _matching(cdf, key_filter).groupBy(*group).agg(
        F.min_by(state, order).alias("first"), F.max_by(state, order).alias("last"))
    return firsts.select(
        *([F.col("version")] if by_version else []), *_keys(key_cols),
        F.when(F.col("first.pre"), F.col("first.row")).alias("before"),
        F.when(~F.col("last.pre"), F.col("last.row")).alias("after"))


def _snapshot_states(spark: SparkSession, ref: TableRef, versions: list[int], key_cols: list[str],
                     values: list[str], key: Mapping[str, Any]) -> DataFrame:
    """The record at each version next to the record at the previous readable version."""
    states = reduce(DataFrame.unionByName, [
        _state(_read_version(spark, ref, v), key_cols, values, key, "row").withColumn("version", F.lit(v))
        for v in versions])
    pairs = [(v, p) for p, v in zip([None, *versions], versions) if p is not None or v == 0]
    steps = spark.createDataFrame(pairs, "version long, previous long")
    before = steps.join(states.select(F.col("version").alias("previous"), *_keys(key_cols),
                                      F.col("row").alias("before")), "previous")
    after = steps.join(states.select("version", *_keys(key_cols), F.col("row").alias("after")), "version")
    return (before.join(after, on=["version", "previous", *key_cols], how="full_outer")
            .select("version", *_keys(key_cols), "before", "after"))


def _classify(df: DataFrame, key_cols: list[str], values: list[str]) -> DataFrame:
    before, after = F.col("before"), F.col("after")
    differ = F.array_compact(F.array(*[
        F.when(~before.getField(c).eqNullSafe(after.getField(c)), F.lit(c)) for c in values]))
    change = F.when(before.isNull(), "insert").when(after.isNull(), "delete").otherwise("update")
    changed = F.when(change == "update", differ).otherwise(F.array(*[F.lit(c) for c in values]))
    return (df.filter(before.isNotNull() | after.isNotNull())
            .filter((change != "update") | (F.size(differ) > 0))
            .select(*_keys(key_cols), change.alias("change"), changed.alias("changed_columns"), before, after))


def _use_cdf(spark: SparkSession, ref: TableRef, commits: list[_Commit], start: int, end: int,
             method: Method) -> bool:
    """Whether the change data feed covers versions start+1..end (and ``method`` allows it)."""
    if method == "snapshot" or start == end:
        return False
    reason = _cdf_gap(spark, ref, commits, start + 1, end)
    if reason and method == "cdf":
        raise TableError(f"the change data feed of {ref} does not cover versions {start + 1} to {end}: {reason}")
    return reason is None


def _cdf_gap(spark: SparkSession, ref: TableRef, commits: list[_Commit], start: int, end: int) -> str | None:
    horizon = _vacuum_horizon(commits)
    swept = [c.version for c in commits if start <= c.version <= end and c.micros < horizon]
    if swept:
        return f"VACUUM removed the change files of version {swept[-1]} and older"
    try:  # Delta checks that every version in the range recorded change data while planning the scan
        _cdf(spark, ref, start, end)._jdf.queryExecution().executedPlan()
    except AnalysisException as exc:
        return spark_message(exc)
    return None


def _vacuum_horizon(commits: list[_Commit]) -> int:
    """Epoch micros before which VACUUM may have deleted files (0 if the log records no VACUUM)."""
    horizon = 0
    for c in commits:
        if c.operation == "VACUUM START":
            params = c.parameters
            kept = params.get("specifiedRetentionMillis") or params.get("defaultRetentionMillis") or "0"
            horizon = max(horizon, c.micros - int(kept) * 1000)
    return horizon


# --------------------------------------------------------------------- restore/vacuum

def restore(spark: SparkSession, table: TableLike, version: int | None = None,
            timestamp: str | dt.datetime | dt.date | None = None, *, confirm: bool = False,
            reason: str = "", run_id: str | None = None) -> Restored:
    """Restore the table to ``version`` or ``timestamp`` with Delta ``RESTORE``; needs ``confirm=True``."""
    ref = _ref(spark, table)
    commits = _commits(spark, ref)
    target = _pick_version(spark, ref, commits, version, timestamp)
    if not confirm:
        raise LakehouseError(f"restoring {ref} to version {target} replaces its current data; "
                             "confirm it (confirm=True, CLI: --yes)")
    if target == commits[-1].version:
        raise TableError(f"{ref} is already at version {target}")
    _require_readable(spark, ref, commits, target)
    lineage = RunLineage(job="restore", run_date=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                         run_id=run_id or uuid.uuid4().hex[:12], mode="restore")
    metadata = {**json.loads(lineage.to_json()), "restore": {"version": target, "reason": reason}}
    with commit_conf(spark, {USER_METADATA: json.dumps(metadata, sort_keys=True, separators=(",", ":"))}):
        metrics = ref.delta(spark).restoreToVersion(target).first().asDict()
    return Restored(table=str(ref), restored_version=target, version=ref.version(spark),
                    run_id=lineage.run_id, metrics=metrics)


def vacuum(spark: SparkSession, table: TableLike, retain_hours: float | None = None, *,
           audit_window_days: int, force: bool = False) -> Vacuumed:
    """Delete files no version of the last ``retain_hours`` needs (default: the audit window,
    or the table's own ``delta.deletedFileRetentionDuration`` when longer).

    A retention shorter than ``audit_window_days`` is refused unless ``force``; with
    ``force`` Delta's own retention check is switched off for this call only.  A path
    must be a table's own folder (see :func:`_require_table_folder`).
    """
    _require_table_folder(spark, _as_ref(table))
    ref = _ref(spark, table)
    window = audit_window_days * 24
    if retain_hours is None:
        retain_hours = max(window, _table_retention_hours(spark, ref) or 0)
    if retain_hours < 0:
        raise LakehouseError(f"retention must not be negative, got {retain_hours} hours")
    if retain_hours < window and not force:
        raise LakehouseError(
            f"refusing to vacuum {ref} keeping only {retain_hours:g} hours: the audit window is "
            f"{audit_window_days} days ({window} hours) and versions inside it must stay readable "
            "(force=True, or --force on the command line, overrides this)")
    sides = [ref.side_table(spark, folder) for folder in (tombstones.FOLDER, scd2.FOLDER)]
    try:
        with commit_conf(spark, {RETENTION_CHECK: "false"} if force else {}):
            ref.delta(spark).vacuum(float(retain_hours))
            for side in sides:  # a merge's tombstones, a history table's events: kept as long
                if has_commits(spark, side.path):
                    DeltaTable.forPath(spark, side.path).vacuum(float(retain_hours))
    except IllegalArgumentException as exc:  # Delta's check: shorter than the table's own retention
        raise TableError(f"Delta refused to vacuum {ref}: {spark_message(exc)}") from None
    last = ref.delta(spark).history(1).select("operation", "operationMetrics").first()
    deleted = (int(last["operationMetrics"]["numDeletedFiles"])
               if last["operation"] == "VACUUM END" and "numDeletedFiles" in last["operationMetrics"] else None)
    return Vacuumed(table=str(ref), retain_hours=retain_hours, deleted_files=deleted)


def _require_table_folder(spark: SparkSession, ref: TableRef) -> None:
    """Vacuum deletes files, so a path must hold a ``_delta_log`` folder itself.

    ``DeltaTable.isDeltaTable`` also says yes for a folder inside a table (a partition folder:
    it walks up to the table), and a folder of plain files must never be swept either."""
    if ref.path is not None and not path_exists(spark, f"{ref.path.rstrip('/')}/_delta_log"):
        raise TableError(f"no Delta table at {ref.path} (no _delta_log folder)")


_INTERVAL = re.compile(r"(\d+)\s*(week|day|hour|minute|second)s?", re.IGNORECASE)
_HOURS = {"week": 168, "day": 24, "hour": 1, "minute": 1 / 60, "second": 1 / 3600}


def _table_retention_hours(spark: SparkSession, ref: TableRef) -> float | None:
    """``delta.deletedFileRetentionDuration`` in hours (Delta's default: 7 days); None if unparsable."""
    properties = ref.delta(spark).detail().first()["properties"] or {}
    key = "delta.deletedFileRetentionDuration"
    text = properties[key] if key in properties else "interval 1 week"
    parts = _INTERVAL.findall(text)
    return sum(int(n) * _HOURS[unit.lower()] for n, unit in parts) if parts else None


# ------------------------------------------------------------------------- internals

def _as_ref(table: TableLike) -> TableRef:
    return table if isinstance(table, TableRef) else TableRef.parse(str(table))


def _ref(spark: SparkSession, table: TableLike) -> TableRef:
    ref = _as_ref(table)
    if not ref.exists(spark):
        raise TableError(f"no Delta table at {ref}")
    return ref


def _commits(spark: SparkSession, ref: TableRef) -> list[_Commit]:
    """The commits the log still lists, oldest first."""
    rows = (ref.delta(spark).history()
            .select("version", F.unix_micros("timestamp").alias("micros"), "operation", "operationParameters")
            .collect())
    return sorted((_Commit(r["version"], r["micros"], r["operation"], dict(r["operationParameters"] or {}))
                   for r in rows), key=lambda c: c.version)


def _pick_version(spark: SparkSession, ref: TableRef, commits: list[_Commit], version: int | None,
                  timestamp: str | dt.datetime | dt.date | None) -> int:
    if (version is None) == (timestamp is None):
        raise LakehouseError("give exactly one of a version or a timestamp")
    if version is not None:
        _check_version(ref, commits, version)
        return int(version)
    return _version_at(spark, ref, commits, timestamp)


def _check_version(ref: TableRef, commits: list[_Commit], version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise LakehouseError(f"a version is a whole number, got {version!r}")
    first, latest = commits[0].version, commits[-1].version
    if version > latest or version < 0:
        raise TableError(f"version {version} of {ref} does not exist (versions {first} to {latest})")
    if version < first:
        raise TableError(f"version {version} of {ref} can no longer be read: log clean-up removed it "
                         f"(earliest version in the log: {first})")


def _version_at(spark: SparkSession, ref: TableRef, commits: list[_Commit], timestamp) -> int:
    instant = timetravel.resolve(spark, timestamp)
    micros = timetravel.epoch_micros(instant)
    before = [c.version for c in commits if c.micros <= micros]
    if not before:
        first = commits[0]
        what = "the first commit" if first.version == 0 else "the earliest version still in the log"
        raise TableError(f"{timetravel.iso(instant)} is before {what} of {ref} "
                         f"(version {first.version} at {first.time})")
    return max(before)


def _read_version(spark: SparkSession, ref: TableRef, version: int) -> DataFrame:
    return ref.read(spark.read.format("delta").option("versionAsOf", version))


def _require_readable(spark: SparkSession, ref: TableRef, commits: list[_Commit], version: int) -> None:
    problem = _problems(spark, ref, commits, [version])[version]
    if problem:
        raise TableError(f"version {version} of {ref} can no longer be read: {problem}")


def _readable(spark: SparkSession, ref: TableRef, commits: list[_Commit], versions: list[int]) -> list[int]:
    return [v for v, problem in _problems(spark, ref, commits, versions).items() if problem is None]


def _problems(spark: SparkSession, ref: TableRef, commits: list[_Commit],
              versions: list[int]) -> dict[int, str | None]:
    """Why each version cannot be read (None if it can): its snapshot must rebuild from the log
    and every data file it needs must exist.  Files of the latest version are taken to exist."""
    latest = commits[-1].version
    live: set[str] | None = None
    problems: dict[int, str | None] = {}
    for version in versions:
        try:
            files = set(_read_version(spark, ref, version).inputFiles())
        except (AnalysisException, Py4JJavaError) as exc:
            problems[version] = f"its log cannot be replayed ({spark_message(exc)})"
            continue
        if live is None:
            live = files if version == latest else set(_read_version(spark, ref, latest).inputFiles())
        missing = [f for f in sorted(files - live) if not path_exists(spark, f)]
        problems[version] = (f"its data files were removed by VACUUM ({len(missing)} of {len(files)} "
                             f"missing, e.g. {missing[0]})") if missing else None
    return problems

