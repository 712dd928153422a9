"""Restore and vacuum: the audit commands that write (rules: :mod:`lakehouse.audit.read`)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from delta.tables import DeltaTable
from pyspark.errors import IllegalArgumentException
from pyspark.sql import SparkSession

from lakehouse.audit import versions as V
from lakehouse.errors import LakehouseError, TableError, spark_message
from lakehouse.runtime.compat import READ_OLD_VERSIONS
from lakehouse.table import log as table_log
from lakehouse.table.lineage import USER_METADATA, RunLineage, commit_conf
from lakehouse.table.ref import TableRef, has_commits, path_exists
from lakehouse.write import scd2, tombstones

RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` did: ``table`` now at ``version`` holds the data of ``restored_version``;
    ``undone`` is the version of the run date's load a restore by run date undid (else None)."""

    table: str
    restored_version: int
    version: int
    run_id: str
    metrics: dict[str, Any]
    reason: str = ""
    undone: int | None = None


@dataclass(frozen=True)
class Vacuumed:
    """What :func:`vacuum` did; ``deleted_files`` is ``None`` when Delta did not log it."""

    table: str
    retain_hours: float
    deleted_files: int | None


def restore(spark: SparkSession, table: V.TableLike, version: int | None = None,
            timestamp: V.When | None = None, *, run_date: V.When | None = None, confirm: bool = False,
            reason: str = "", run_id: str | None = None) -> Restored:
    """Restore the table to ``version``, ``timestamp`` or the version before the load of ``run_date``
    (exactly one) with Delta ``RESTORE``; needs ``confirm=True``.  A restore by run date without a
    ``reason`` records ``undo the load of run date D (version N)``."""
    ref, log = V.open_table(spark, table)
    if (version, timestamp, run_date) == (None, None, None):
        raise LakehouseError("give the version to restore: a version, a timestamp or a run date to undo")
    undone = None
    if run_date is not None and version is None and timestamp is None:
        undone = V.run_date_version(ref, log, run_date)
        if undone == log.first:
            raise TableError(f"the load of run date {V.run_date_text(run_date)} made version {undone}, the oldest "
                             f"version of {ref}{' in its log' if undone else ''}: there is no version before it")
        target = undone - 1
        reason = reason or f"undo the load of run date {V.run_date_text(run_date)} (version {undone})"
    else:
        target = V.pick(spark, ref, log, version, timestamp, run_date)
    if not confirm:
        raise LakehouseError(f"restoring {ref} to version {target} replaces its current data; "
                             "confirm it (confirm=True, CLI: --yes)")
    if target == log.latest:
        raise TableError(f"{ref} is already at version {target}")
    V.require_readable(ref, log, target)
    lineage = RunLineage(job="restore", run_date=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                         run_id=run_id or uuid.uuid4().hex[:12], mode="restore")
    metadata = {**json.loads(lineage.to_json()), "restore": {"version": target, "reason": reason}}
    with commit_conf(spark, {USER_METADATA: json.dumps(metadata, sort_keys=True, separators=(",", ":")),
                             **READ_OLD_VERSIONS}):
        metrics = ref.delta(spark).restoreToVersion(target).first().asDict()
    return Restored(table=str(ref), restored_version=target, version=ref.version(spark),
                    run_id=lineage.run_id, metrics=metrics, reason=reason, undone=undone)


def vacuum(spark: SparkSession, table: V.TableLike, retain_hours: float | None = None, *,
           audit_window_days: int, force: bool = False) -> Vacuumed:
    """Delete files no version of the last ``retain_hours`` needs (default: the audit window,
    or the table's own ``delta.deletedFileRetentionDuration`` when longer).

    A retention shorter than ``audit_window_days`` is refused unless ``force``; with
    ``force`` Delta's own retention check is switched off for this call only.  A path
    must be a table's own folder (see :func:`_require_table_folder`).
    """
    _require_table_folder(spark, V.as_ref(table))
    ref = V.as_ref(table)
    if not ref.exists(spark):
        raise TableError(f"no Delta table at {ref}")
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
    last = table_log.newest(ref.delta(spark).history(1).collect())[-1]
    deleted = (int(last.metrics["numDeletedFiles"])
               if last.operation == "VACUUM END" and "numDeletedFiles" in last.metrics else None)
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
