"""The write stage: one Delta commit per run, in the target's mode.

* The first run creates the table with the declared partitioning and the
  audit-friendly default properties (:func:`table_properties`).
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
* Before any write, the table's columns and types must match the run's, and a target
  folder must be empty, absent or a Delta table (:mod:`lakehouse.write.before`).

:func:`~lakehouse.write.before.state` reads the table's log once per attempt; the runner decides from it whether
the run date is loaded already.  After the commit, the newest few commits are read to find this run's own.  :func:`plan` answers what :func:`write` would do, from the
same rules, without committing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import singledispatch

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.table import metrics
from lakehouse._sql import partition_predicate, quote_ident
from lakehouse.errors import DataError
from lakehouse.table import log as table_log
from lakehouse.table.lineage import RunLineage, commit_conf, lineage_conf
from lakehouse.table.log import Commit, TableLog
from lakehouse.spec.target import AppendTarget, MergeTarget, OverwriteTarget, ReplacePartitionsTarget, Target
from lakehouse.table.ref import TableRef
from lakehouse.write import merge, tombstones
from lakehouse.write.before import TableState, check_table
from lakehouse.write.order import DELETE_FLAG, in_key_ranges, in_partitions, side

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


@dataclass(frozen=True)
class Write:
    """Everything one write needs; ``df`` is the prepared increment.

    For a merge, ``df`` holds one row per key (with ``DELETE_FLAG`` when deletes are
    declared) and ``key_ranges`` the min and max of each key column.
    """

    spark: SparkSession
    table: TableRef
    target: Target
    df: DataFrame
    lineage: RunLineage
    retention_days: int
    partitions: list[tuple] = field(default_factory=list)
    key_ranges: dict[str, tuple] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The columns the table stores."""
        return [c for c in self.df.columns if c != DELETE_FLAG]

    @property
    def columns_schema(self) -> StructType:
        """The schema of the columns the table stores."""
        return StructType([f for f in self.df.schema.fields if f.name != DELETE_FLAG])


@dataclass(frozen=True)
class Outcome:
    """What a write did (or, for a plan, would do)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    files_added: int | None = None
    files_removed: int | None = None
    version: int | None = None
    created: bool = False
    skipped_for_version: int | None = None
    """Set when the run date was already loaded: the version that loaded it."""
    tombstones: int = 0
    """Tombstones the run wrote (merge with deletes and ``sequence_by``)."""


def write(w: Write, before: TableState, *, force: bool = False) -> Outcome:
    """Commit ``w`` to its table as it was in ``before`` (the runner has decided to load the run date)."""
    history, delta = before.log, before.delta
    if delta is not None:
        check_table(w.spark, w.table, w.target, w.columns_schema, delta)
    load = history.load(w.lineage.job, w.lineage.run_date)
    # A load undone by RESTORE keeps its Delta transaction record: a new idempotency key
    # under the same id would be skipped by Delta, so such a reload goes without one.
    settings = lineage_conf(w.lineage, idempotent=not force and load is None)
    if isinstance(w.target, MergeTarget):
        settings[MERGE_REPARTITION] = str(w.target.repartition).lower()
    done = _commit(w.target, w, history, settings, delta)
    table = delta or w.table.delta(w.spark)
    mine = _own_commit(table, w.lineage, after=before.version)
    if mine is None:  # Delta recorded no commit of this run
        concurrent = _loaded_concurrently(table, w.lineage, before)
        if concurrent is None:  # a write that changes nothing (a merge of stale rows, an empty day):
            # an empty commit records the load, so the date counts as loaded and is never reported
            # as skipped by a load that did not happen
            with commit_conf(w.spark, {**settings, SKIP_EMPTY_COMMITS: "false"}):
                _save(w, w.table.read(w.spark.read).limit(0), "append")
            mine = _own_commit(table, w.lineage, after=before.version)
            concurrent = None if mine is not None else _loaded_concurrently(table, w.lineage, before)
        if mine is None:  # Delta skipped it: the same run date was committed concurrently
            return Outcome(version=_newest(table, 1)[-1].version, skipped_for_version=concurrent)
    return _outcome(mine, created=before.version is None, planned=done)


def _loaded_concurrently(table: DeltaTable, lineage: RunLineage, before: TableState) -> int | None:
    """The version in which a concurrent run loaded this run date since ``before`` (None: none did)."""
    load = TableLog(before.log.table, tuple(_newest(table, 50))).load(lineage.job, lineage.run_date)
    newer = load is not None and (before.version is None or load.version > before.version)
    return load.version if newer else None


def _newest(delta: DeltaTable, n: int) -> list[Commit]:
    """The ``n`` newest commits, oldest first (Delta's history of the last few: no full log read)."""
    return table_log.newest(delta.history(n).collect())


def _own_commit(delta: DeltaTable, lineage: RunLineage, *, after: int | None, look: int = 20) -> Commit | None:
    """The commit this run made after version ``after`` (None if Delta skipped it), found by run id
    among the newest commits: a concurrent writer may have committed just after it."""
    commits = _newest(delta, look)
    for c in reversed(commits):
        if after is not None and c.version <= after:
            return None
        if c.lineage is not None and c.lineage.run_id == lineage.run_id:
            return c
    if len(commits) == look:  # a very busy table: look further back
        return _own_commit(delta, lineage, after=after, look=look * 10)
    return None


def plan(w: Write, before: TableState) -> Outcome:
    """What :func:`write` would do to the table as it was in ``before``; commits nothing."""
    if before.delta is not None:
        check_table(w.spark, w.table, w.target, w.columns_schema, before.delta)
    return _plan(w.target, w, before.log)


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
    classified, planned, graves = _classify(w, history)
    try:
        if planned.tombstones and history.commits:  # before the commit: a crash in between leaves none in effect
            tombstones.append(w.spark, graves, classified, m, w.lineage)
        with commit_conf(w.spark, settings):
            if history.commits:
                merge.execute(delta, classified, m, target.partition_by, planned.partitions)
            else:
                _save(w, merge.changes(classified).select(*map(quote_ident, w.columns)), "append", create=True)
        if planned.tombstones and not history.commits:  # a new table: its folder must hold only the table first
            tombstones.append(w.spark, tombstones.location(w.spark, w.table), classified, m, w.lineage)
    finally:
        classified.unpersist()
    return Outcome(tombstones=planned.tombstones)


def _classify(w: Write, history: TableLog) -> tuple[DataFrame, merge.MergePlan, TableRef | None]:
    """The increment classified by the merge rules (cached: unpersist it), its plan and the tombstone table.

    Keys are looked up in the increment's partitions; keys not found there are looked up
    in the other partitions too (pruned by the files' key statistics), so a row whose
    partition values changed is found and moved, never stored twice.
    """
    m, partition_by = w.target.merge, w.target.partition_by
    matched, cached = w.df, []
    if history.commits:
        stored = w.table.read(w.spark.read)
        if partition_by:
            local = in_partitions(side(), partition_by, w.partitions)
            matched = merge.match(w.df, stored.filter(local), m).cache()
            cached.append(matched)
            elsewhere = merge.unmatched(matched, w.df.columns)
            others = in_key_ranges(stored.filter(~local), merge.key_ranges(elsewhere, m))
            matched = matched.filter(F.col(merge.STORED + merge.PRESENT).isNotNull()).unionByName(
                merge.match(elsewhere, others, m))
        else:
            matched = merge.match(w.df, stored, m)
    graves = tombstones.location(w.spark, w.table) if m.keeps_tombstones and history.commits else None
    live = None
    if graves is not None:
        live = tombstones.live(w.spark, graves, m, run_date=w.lineage.run_date,
                               days=m.tombstone_days or w.retention_days,
                               runs_in_effect=history.runs_in_effect(), key_ranges=w.key_ranges)
    classified = merge.classify(matched, m, partition_by, tombstones=live).cache()
    try:
        counts = merge.plan(classified, m, partition_by)
    except Exception:
        classified.unpersist()
        raise
    finally:
        for frame in cached:
            frame.unpersist()
    return classified, counts, graves


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
    w.table.save(writer, create=create)


# ------------------------------------------------------------------------- outcomes

def _outcome(commit: Commit, *, created: bool, planned: Outcome | None) -> Outcome:
    """The run's outcome from its commit's operation metrics (a WRITE does not report replaced rows)."""
    values = metrics.normalise(commit.operation, commit.metrics)
    if planned is not None and values["deleted"] is None:
        values["deleted"] = planned.deleted
    rows = {k: values[k] or 0 for k in ("inserted", "updated", "deleted")}
    return Outcome(version=commit.version, created=created, files_added=values["files_added"],
                   files_removed=values["files_removed"], tombstones=planned.tombstones if planned else 0, **rows)


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
    classified, planned, _ = _classify(w, history)
    classified.unpersist()
    return Outcome(inserted=planned.inserted, updated=planned.updated, deleted=planned.deleted,
                   tombstones=planned.tombstones, created=not history.commits)
