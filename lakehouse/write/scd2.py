"""Writes of a history table (``mode: scd2``): the rules are stated in :class:`lakehouse.spec.scd2.Scd2Options`.

Every run records its events (the increment, one row per key and ``sequence_by``) in the
Delta table ``_lakehouse_changes`` inside the table's folder, *before* it commits to the
table, stamped with its run id and run date.  An event counts while its run is in effect
on the table (its commit is in the history and no later RESTORE undid it; where the
history no longer reaches version 0, runs it does not show count too) and no later run
of the same run date superseded it (a forced re-run).  So a crash between the two
commits, a re-run and a RESTORE all leave table and events consistent.

A run then rebuilds the versions of the keys it touches from all their events
(:mod:`lakehouse.write.history`), compares them with the stored rows of those keys, and
applies the difference in one MERGE on keys and ``valid_from``, restricted to the
partitions it changes.  ``lakehouse vacuum`` vacuums the events with the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError
from lakehouse.spec.scd2 import Scd2Options
from lakehouse.table.lineage import RunLineage, commit_conf, lineage_conf
from lakehouse.table.log import TableLog
from lakehouse.table.ref import TableRef, has_commits
from lakehouse.write import history, merge
from lakehouse.write.order import DELETE_FLAG, SAMPLE, all_of, col, in_key_ranges, in_partitions, keys_text, \
    side, sorted_partitions

FOLDER = "_lakehouse_changes"
RUN_ID, RUN_DATE = "_lakehouse_run_id", "_lakehouse_run_date"


@dataclass(frozen=True)
class Scd2Plan:
    """What applying the rebuilt versions does: rows inserted, updated (closed or changed in place) and
    deleted (versions a superseded event had made), and the partitions it touches."""

    inserted: int
    updated: int
    deleted: int
    partitions: list[tuple]


def events_table(spark: SparkSession, table: TableRef) -> TableRef | None:
    """The events of ``table`` (None for a managed table not created yet)."""
    return table.side_table(spark, FOLDER)


def rebuild(spark: SparkSession, table: TableRef, increment: DataFrame, o: Scd2Options, *, schema: StructType,
            partition_by: list[str], lineage: RunLineage, log: TableLog,
            key_ranges: dict[str, tuple]) -> tuple[DataFrame, Scd2Plan]:
    """The rebuilt rows of the touched keys with their actions (cached: unpersist it) and their plan;
    a DataError, before anything is written, on events of equal order that differ.  ``schema`` is the
    table's as the run writes it (stored rows read NULL in a column the run adds)."""
    columns = schema.fieldNames()
    data = [c for c in columns if c not in o.columns.names]
    recorded = events_table(spark, table) if log.commits else None
    events, keys, ranges = increment, increment.select(*[col(k) for k in o.keys]), key_ranges
    if recorded is not None and has_commits(spark, recorded.path):
        logged = recorded.read(spark.read).filter(_counted(log))
        same_date = F.col(RUN_DATE) == F.lit(dt.date.fromisoformat(lineage.run_date))
        if log.load(lineage.job, lineage.run_date) is not None:  # a forced re-run
            ranges = _widen(ranges, merge.key_ranges(logged.filter(same_date), o))
        logged = in_key_ranges(logged, ranges)
        keys = keys.unionByName(logged.filter(same_date).select(*[col(k) for k in o.keys])).distinct()
        earlier = logged.filter(~same_date).select(*[_column(logged, c, increment) for c in increment.columns])
        events = increment.unionByName(earlier.join(keys, list(o.keys), "left_semi"))
    desired = history.versions(history.resolve(events, o), o, data)
    stored = desired.limit(0).select(*map(col, columns))
    if log.commits:
        found = in_key_ranges(table.read(spark.read), ranges).join(keys, list(o.keys), "left_semi")
        stored = found.select(*[(col(f.name) if f.name in found.columns else F.lit(None)).cast(f.dataType).alias(f.name)
                                for f in schema.fields])
    changes = history.diff(desired, stored, o, columns, partition_by).cache()
    try:
        return changes, _plan(changes, o, partition_by)
    except Exception:
        changes.unpersist()
        raise


def _plan(changes: DataFrame, o: Scd2Options, partition_by: list[str]) -> Scd2Plan:
    """Count the actions in one aggregate; a DataError naming keys on a tie."""
    action = F.col(history.ACTION)
    new_parts = F.struct(*[col(c) for c in partition_by])
    old_parts = F.struct(*[col(history.OLD + c).alias(c) for c in partition_by])
    row = changes.agg(
        *[F.sum((action == a).cast("long")).alias(a) for a in (history.INSERT, history.UPDATE, history.DELETE)],
        F.slice(F.collect_set(F.when(F.col(history.TIED), F.struct(*[col(k) for k in o.keys]))), 1, SAMPLE)
        .alias("ties"),
        F.collect_set(F.when(action.isin(history.INSERT, history.UPDATE), new_parts)).alias("new_parts"),
        F.collect_set(F.when(action.isin(history.UPDATE, history.DELETE), old_parts)).alias("old_parts"),
    ).first()
    if row["ties"]:
        raise DataError(f"target.scd2.sequence_by: rows of equal order ({o.sequence_by}) with different values for "
                        f"one key, in this load or an earlier one, e.g. {keys_text(row['ties'], o)}; nothing was "
                        "written")
    partitions = sorted_partitions(set(map(tuple, row["new_parts"])) | set(map(tuple, row["old_parts"])))
    return Scd2Plan(inserted=row[history.INSERT] or 0, updated=row[history.UPDATE] or 0,
                    deleted=row[history.DELETE] or 0, partitions=partitions if partition_by else [])


def inserts(changes: DataFrame, columns: list[str]) -> DataFrame:
    """The rows of a new table."""
    return changes.filter(F.col(history.ACTION) == history.INSERT).select(*map(col, columns))


def execute(table: DeltaTable, changes: DataFrame, o: Scd2Options, columns: list[str], partition_by: list[str],
            partitions: list[tuple], *, evolve: bool = False) -> None:
    """One Delta MERGE of the rows whose action changes the table, on keys and ``valid_from``; with
    ``evolve``, Delta's merge schema evolution adds the run's new columns (see :func:`merge.execute`)."""
    source = changes.filter(F.col(history.ACTION) != history.SAME)
    if evolve:  # the rows were built against the table's schema, which this merge changes
        source = source.localCheckpoint()
        changes.unpersist(blocking=True)
    s, t = side(alias="s"), side(alias="t")
    ids = [*o.keys, o.columns.valid_from]
    condition = all_of([t(c) == s(c) for c in ids])
    if partition_by:
        condition = condition & in_partitions(t, partition_by, partitions)
    action = s(history.ACTION)
    builder = table.alias("t").merge(source.alias("s"), condition)
    (builder.withSchemaEvolution() if evolve else builder) \
        .whenMatchedDelete(condition=action == history.DELETE) \
        .whenMatchedUpdate(condition=action == history.UPDATE, set={quote_ident(c): s(c) for c in columns if c not in ids}) \
        .whenNotMatchedInsert(condition=action == history.INSERT, values={quote_ident(c): s(c) for c in columns}) \
        .execute()


def record(spark: SparkSession, log: TableRef, increment: DataFrame, lineage: RunLineage) -> None:
    """Append the run's events to the event table, stamped with its lineage (before the table's commit)."""
    rows = increment.select("*", F.lit(lineage.run_id).alias(RUN_ID),
                            F.lit(dt.date.fromisoformat(lineage.run_date)).alias(RUN_DATE))
    with commit_conf(spark, lineage_conf(lineage, idempotent=False)):
        rows.coalesce(1).write.format("delta").mode("append").option("mergeSchema", "true").save(log.path)


def _counted(log: TableLog):
    """Events of runs in effect; where the log no longer reaches version 0, also of runs it does not show."""
    counted = F.col(RUN_ID).isin(sorted(log.runs_in_effect()))
    if log.commits and log.first != 0:
        counted = counted | ~F.col(RUN_ID).isin(sorted(log.recorded_runs()))
    return counted


def _column(logged: DataFrame, name: str, increment: DataFrame):
    """Column ``name`` of the logged events, NULL (FALSE for the delete flag) where an older run lacked it."""
    if name in logged.columns:
        return col(name)
    kind = increment.schema[name].dataType
    return (F.lit(False) if name == DELETE_FLAG else F.lit(None)).cast(kind).alias(name)


def _widen(a: dict[str, tuple], b: dict[str, tuple]) -> dict[str, tuple]:
    """Key ranges covering both ``a`` and ``b`` ((None, None) is empty)."""
    def both(x: tuple, y: tuple) -> tuple:
        if x[0] is None:
            return y
        return x if y[0] is None else (min(x[0], y[0]), max(x[1], y[1]))
    return {k: both(a[k], b[k]) for k in a}
