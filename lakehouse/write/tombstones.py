"""Tombstones: the keys a merge deleted, so that older rows never bring them back.

They live in a Delta table of their own, ``_lakehouse_tombstones`` inside the table's
folder: the key columns, the ordering columns (``sequence_by``, ``tie_breaker``), and
the run id and run date of the delete.  Delta's VACUUM of the table skips folders whose
name starts with ``_``; ``lakehouse vacuum`` vacuums the tombstone table as well.

A run appends its tombstones *before* it commits to the table.  A tombstone counts only
while the run that wrote it is in effect on the table (its commit is in the table's
history and no later RESTORE went back before it) and while it is inside its window of
run days.  So a crash between the two commits, a re-run and a RESTORE all leave table
and tombstones consistent.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.table.lineage import RunLineage, commit_conf, lineage_conf
from lakehouse.spec.target import MergeOptions
from lakehouse.table.ref import TableRef, has_commits
from lakehouse.write.merge import ACTION, DELETE, TOMBSTONE
from lakehouse.write.order import col, in_key_ranges

FOLDER = "_lakehouse_tombstones"
RUN_ID, RUN_DATE = "_lakehouse_run_id", "_lakehouse_run_date"


def location(spark: SparkSession, table: TableRef) -> TableRef:
    """The tombstone table of ``table`` (a path table inside the table's folder, which exists)."""
    return table.side_table(spark, FOLDER)


def live(spark: SparkSession, tombstones: TableRef, m: MergeOptions, *, run_date: str, days: int,
         runs_in_effect: set[str], key_ranges: dict[str, tuple]) -> DataFrame | None:
    """The newest live tombstone per key in ``key_ranges`` (keys and ordering columns), or None."""
    if not has_commits(spark, tombstones.path):  # isDeltaTable would find the table above it
        return None
    oldest = dt.date.fromisoformat(run_date) - dt.timedelta(days=days)
    rows = in_key_ranges(tombstones.read(spark.read), key_ranges).filter(
        (F.col(RUN_DATE) >= F.lit(oldest)) & F.col(RUN_ID).isin(sorted(runs_in_effect)))
    newest = F.max(F.struct(*[col(c) for c in m.ordering])).alias("_newest")
    return (rows.groupBy(*[col(k) for k in m.keys]).agg(newest)
            .select(*[col(k) for k in m.keys], *[F.col(f"_newest.{c}").alias(c) for c in m.ordering]))


def append(spark: SparkSession, tombstones: TableRef, classified: DataFrame, m: MergeOptions,
           lineage: RunLineage) -> None:
    """Append the tombstones of the deletes in ``classified``, stamped with the run's lineage."""
    rows = classified.filter(F.col(ACTION).isin(DELETE, TOMBSTONE)).select(
        *[col(c) for c in (*m.keys, *m.ordering)],
        F.lit(lineage.run_id).alias(RUN_ID), F.lit(dt.date.fromisoformat(lineage.run_date)).alias(RUN_DATE))
    with commit_conf(spark, lineage_conf(lineage, idempotent=False)):
        rows.coalesce(1).write.format("delta").mode("append").save(tombstones.path)
