"""The write stage: one Delta commit per run, in the target's mode.

* The first run creates the table with the declared partitioning and the
  audit-friendly default properties (:func:`table_properties`).
* ``scd2`` keeps every version of a row (:mod:`lakehouse.write.scd2`, rules in
  :class:`lakehouse.spec.scd2.Scd2Options`).
* ``merge`` follows the ordering rules of :class:`lakehouse.spec.target.MergeOptions`,
  implemented once in :mod:`lakehouse.write.merge`; deletes leave tombstones
  (:mod:`lakehouse.write.tombstones`).  The merge condition names only the
  partitions the run changes, so Delta never rewrites files elsewhere.
* ``append``, ``overwrite`` and ``replace_partitions`` (``replaceWhere`` over the
  partitions present in the data) use the DataFrame writer.
* Every commit carries the run's lineage and an idempotency key per job and run
  date (Delta ``txnAppId``/``txnVersion``): when two runs of one date commit at once,
  Delta lets one through and the other is reported as skipped.
* A write that changes nothing (a merge of stale rows) still records the load, with an
  empty commit carrying its lineage: every run date a run reports as loaded is in the log.
* Before any write, the run's columns and types must match the table's under
  ``target.on_schema_change`` (new columns added in the same commit, or dropped:
  :mod:`lakehouse.write.evolve`), and a target folder must be empty, absent or a Delta
  table (:mod:`lakehouse.write.before`).

:func:`~lakehouse.write.before.state` reads the table's log once per attempt; the runner decides from it whether
the run date is loaded already.  After the commit, the newest few commits are read to find this run's own.  :func:`plan` answers what :func:`write` would do, from the
same rules, without committing.
"""

from __future__ import annotations

from dataclasses import replace
from functools import singledispatch

from delta.tables import DeltaTable
from pyspark.sql import DataFrame

from lakehouse._sql import partition_predicate, quote_ident
from lakehouse.errors import DataError
from lakehouse.table.lineage import commit_conf, lineage_conf
from lakehouse.table.log import TableLog
from lakehouse.spec.target import AppendTarget, MergeTarget, OverwriteTarget, ReplacePartitionsTarget, Scd2Target, \
    Target
from lakehouse.write import merge, scd2, tombstones
from lakehouse.write.before import TableState, check_table
from lakehouse.write.outcome import Outcome, from_commit, loaded_concurrently, newest, own_commit
from lakehouse.write.evolve import SchemaPlan
from lakehouse.write.prepare import Write, classify, rebuild

Conf = dict[str, str]
"""Session confs for one commit."""
Loaded = DeltaTable | None
"""The table as :func:`state` loaded it (None: not created yet)."""

MERGE_REPARTITION = "spark.databricks.delta.merge.repartitionBeforeWrite.enabled"
SKIP_EMPTY_COMMITS = "spark.databricks.delta.skipRecordingEmptyCommits"


def table_properties(target: Target, retention_days: int) -> dict[str, str]:
    """Properties of a table a job creates: audit-friendly defaults, then the spec's own."""
    window = f"interval {retention_days} days"
    return {
        "delta.enableChangeDataFeed": "true",
        "delta.enableInCommitTimestamps": "true",
        "delta.logRetentionDuration": window,
        "delta.deletedFileRetentionDuration": window,
        **target.properties,
    }


def write(w: Write, before: TableState, *, force: bool = False) -> Outcome:
    """Commit ``w`` to its table as it was in ``before`` (the runner has decided to load the run date)."""
    history, delta = before.log, before.delta
    schema = SchemaPlan()
    if delta is not None:
        schema = check_table(w.spark, w.table, w.target, w.columns_schema, delta)
        w = _evolved(w, schema)
    load = history.load(w.lineage.job, w.lineage.run_date)
    # A load undone by RESTORE keeps its Delta transaction record: a new idempotency key
    # under the same id would be skipped by Delta, so such a reload goes without one.
    settings = lineage_conf(w.lineage, idempotent=not force and load is None)
    if isinstance(w.target, (MergeTarget, Scd2Target)):
        settings[MERGE_REPARTITION] = str(w.target.repartition).lower()
    done = _commit(w.target, w, history, settings, delta)
    table = delta or w.table.delta(w.spark)
    mine = own_commit(table, w.lineage, after=before.version)
    if mine is None:  # Delta recorded no commit of this run
        concurrent = loaded_concurrently(table, w.lineage, before)
        if concurrent is None:  # a write that changes nothing (a merge of stale rows, an empty day):
            # an empty commit records the load, so the date counts as loaded and is never reported
            # as skipped by a load that did not happen
            with commit_conf(w.spark, {**settings, SKIP_EMPTY_COMMITS: "false"}):
                empty = w.df.select(*map(quote_ident, w.columns)) if w.evolve else w.table.read(w.spark.read)
                _save(w, empty.limit(0), "append")
            mine = own_commit(table, w.lineage, after=before.version)
            concurrent = None if mine is not None else loaded_concurrently(table, w.lineage, before)
        if mine is None:  # Delta skipped it: the same run date was committed concurrently
            return Outcome(version=newest(table, 1)[-1].version, skipped_for_version=concurrent)
    return replace(from_commit(mine, created=before.version is None, planned=done), schema_changes=schema.changes)


def _evolved(w: Write, schema: SchemaPlan) -> Write:
    """``w`` with the schema plan applied: ignored columns dropped, the changes in its lineage."""
    if not schema.changes:
        return w
    return replace(w, df=w.df.drop(*schema.ignored), evolve=schema.evolves,
                   lineage=replace(w.lineage, schema_changes=schema.records()))


def plan(w: Write, before: TableState) -> Outcome:
    """What :func:`write` would do to the table as it was in ``before``; commits nothing."""
    schema = SchemaPlan()
    if before.delta is not None:
        schema = check_table(w.spark, w.table, w.target, w.columns_schema, before.delta)
        w = _evolved(w, schema)
    return replace(_plan(w.target, w, before.log), schema_changes=schema.changes)


# ------------------------------------------------------------------ per-mode commits

@singledispatch
def _commit(target: Target, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> Outcome | None:
    """Commit ``w``; returns the planned outcome where the commit's metrics do not tell it all."""
    raise NotImplementedError(type(target).__name__)


@_commit.register
def _(target: AppendTarget, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> None:
    with commit_conf(w.spark, settings):
        _save(w, w.df, "append", create=not history.commits)


@_commit.register
def _(target: OverwriteTarget, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> Outcome:
    replaced = _plan(target, w, history)
    if history.commits and replaced.inserted == 0:
        raise DataError(f"the run has no rows: overwrite would empty table {w.table}; nothing was written")
    with commit_conf(w.spark, settings):
        _save(w, w.df, "overwrite", create=not history.commits)
    return replaced


@_commit.register
def _(target: ReplacePartitionsTarget, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> Outcome:
    replaced = _plan(target, w, history)
    where = partition_predicate(target.partition_by, w.partitions) if history.commits else None
    with commit_conf(w.spark, settings):
        _save(w, w.df, "overwrite", create=not history.commits, replace_where=where)
    return replaced


@_commit.register
def _(target: MergeTarget, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> Outcome:
    m = target.merge
    classified, planned, graves = classify(w, history)
    try:
        if planned.tombstones and history.commits:  # before the commit: a crash in between leaves none in effect
            tombstones.append(w.spark, graves, classified, m, w.lineage)
        with commit_conf(w.spark, settings):
            if history.commits:
                merge.execute(delta, classified, m, target.partition_by, planned.partitions, evolve=w.evolve)
            else:
                _save(w, merge.changes(classified).select(*map(quote_ident, w.columns)), "append", create=True)
        if planned.tombstones and not history.commits:  # a new table: its folder must hold only the table first
            tombstones.append(w.spark, tombstones.location(w.spark, w.table), classified, m, w.lineage)
    finally:
        classified.unpersist()
    return Outcome(tombstones=planned.tombstones)


@_commit.register
def _(target: Scd2Target, w: Write, history: TableLog, settings: Conf, delta: Loaded) -> None:
    changes, planned = rebuild(w, history)
    log = scd2.events_table(w.spark, w.table)  # None: a managed table not created yet, recorded after it
    try:
        if log is not None:  # before the commit: a crash in between leaves none of these events in effect
            scd2.record(w.spark, log, w.df, w.lineage)
        with commit_conf(w.spark, settings):
            if history.commits:
                scd2.execute(delta, changes, target.scd2, w.columns_schema.fieldNames(), target.partition_by,
                             planned.partitions, evolve=w.evolve)
            else:
                _save(w, scd2.inserts(changes, w.columns_schema.fieldNames()), "append", create=True)
        if log is None:
            scd2.record(w.spark, scd2.events_table(w.spark, w.table), w.df, w.lineage)
    finally:
        changes.unpersist()


def _save(w: Write, df: DataFrame, mode: str, *, create: bool = False, replace_where: str | None = None) -> None:
    partition_by = w.target.partition_by
    if w.target.repartition and partition_by:
        df = df.repartition(*[quote_ident(c) for c in partition_by])
    writer = df.write.mode(mode)
    if create:
        writer = writer.partitionBy(*partition_by).options(**table_properties(w.target, w.retention_days))
        w.table.create_schema(w.spark)
    if replace_where is not None:
        writer = writer.option("replaceWhere", replace_where)
    if w.evolve:
        writer = writer.option("mergeSchema", "true")
    w.table.save(writer, create=create)


@singledispatch
def _plan(target: Target, w: Write, history: TableLog) -> Outcome:
    raise NotImplementedError(type(target).__name__)


@_plan.register
def _(target: AppendTarget, w: Write, history: TableLog) -> Outcome:
    return Outcome(inserted=w.df.count(), created=not history.commits)


@_plan.register
def _(target: OverwriteTarget, w: Write, history: TableLog) -> Outcome:
    deleted = w.table.read(w.spark.read).count() if history.commits else 0
    return Outcome(inserted=w.df.count(), deleted=deleted, created=not history.commits)


@_plan.register
def _(target: ReplacePartitionsTarget, w: Write, history: TableLog) -> Outcome:
    if not history.commits:
        return Outcome(inserted=w.df.count(), created=True)
    replaced = w.table.read(w.spark.read).filter(partition_predicate(target.partition_by, w.partitions))
    return Outcome(inserted=w.df.count(), deleted=replaced.count())


@_plan.register
def _(target: MergeTarget, w: Write, history: TableLog) -> Outcome:
    classified, planned, _ = classify(w, history)
    classified.unpersist()
    return Outcome(inserted=planned.inserted, updated=planned.updated, deleted=planned.deleted,
                   tombstones=planned.tombstones, created=not history.commits)


@_plan.register
def _(target: Scd2Target, w: Write, history: TableLog) -> Outcome:
    changes, planned = rebuild(w, history)
    changes.unpersist()
    return Outcome(inserted=planned.inserted, updated=planned.updated, deleted=planned.deleted, created=not history.commits)
