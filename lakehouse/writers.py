"""The write stage: one Delta commit per run, in the target's mode.

* The first run creates the table with the declared partitioning and the
  audit-friendly default properties (:func:`table_properties`).
* ``merge`` upserts by key.  Its condition gains a predicate on the partition
  values present in the increment, so Delta never rewrites files in partitions
  the increment does not touch.  With ``sequence_by`` a row never overwrites a
  newer stored row; with ``update_only_changed`` unchanged rows are left alone.
* ``append``, ``overwrite`` and ``replace_partitions`` (``replaceWhere`` over the
  partitions present in the data) use the DataFrame writer.
* Every commit carries the run's lineage and an idempotency key per job and run
  date (Delta ``txnAppId``/``txnVersion``): a re-run of the same date commits
  nothing and is reported as skipped.

:func:`plan` answers what :func:`write` would do, without committing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce, singledispatch

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse._sql import partition_predicate, quote_ident
from lakehouse.errors import DataError, SpecError
from lakehouse import metrics
from lakehouse.lineage import RunLineage, commit_conf, lineage_conf
from lakehouse.spec import AppendTarget, MergeOptions, MergeTarget, OverwriteTarget, ReplacePartitionsTarget, Target
from lakehouse.table import TableRef

DELETE_FLAG = "_lakehouse_delete"
"""Boolean column the runner adds to a merge increment when `merge.delete_when` is set."""

MERGE_REPARTITION = "spark.databricks.delta.merge.repartitionBeforeWrite.enabled"


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
    """Everything one write needs; ``df`` is the prepared increment."""

    spark: SparkSession
    table: TableRef
    target: Target
    df: DataFrame
    lineage: RunLineage
    retention_days: int
    partitions: list[tuple] = field(default_factory=list)

    @property
    def rows(self) -> DataFrame:
        """The rows to store: without deleted keys and helper columns."""
        if DELETE_FLAG in self.df.columns:
            return self.df.filter(~F.col(DELETE_FLAG)).drop(DELETE_FLAG)
        return self.df


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


def partition_values(df: DataFrame, partition_by: list[str]) -> list[tuple]:
    """The distinct partition values present in ``df``, sorted."""
    if not partition_by:
        return []
    rows = df.select(*[quote_ident(c) for c in partition_by]).distinct().collect()
    return sorted((tuple(r) for r in rows), key=lambda t: tuple((v is None, str(v)) for v in t))


def write(w: Write, *, force: bool = False) -> Outcome:
    """Commit ``w`` to its table; a re-run of a loaded run date is skipped unless ``force``."""
    history = _history(w.spark, w.table)
    before = history[0]["version"] if history else None
    load = previous_load(history, w.lineage)
    if load and load.in_effect and not force:
        return Outcome(version=before, skipped_for_version=load.version)
    if before is not None:
        _check_table(w)
    replaced = _plan(w.target, w).deleted if before is not None and _replaces_rows(w.target) else None
    # A load undone by RESTORE keeps its Delta transaction record: a new idempotency key
    # under the same id would be skipped by Delta, so such a reload goes without one.
    settings = lineage_conf(w.lineage, idempotent=not force and load is None)
    if isinstance(w.target, MergeTarget):
        settings[MERGE_REPARTITION] = str(w.target.repartition).lower()
    with commit_conf(w.spark, settings):
        if before is None:
            _save(w, w.rows, "append", create=True)
        else:
            _commit(w.target, w)
    last = w.table.delta(w.spark).history(1).select("version", "operation", "operationMetrics").first()
    if last["version"] == before:  # Delta skipped it: the same run date committed concurrently
        return Outcome(version=before, skipped_for_version=before)
    return _outcome(last, created=before is None, deleted=replaced)


def plan(w: Write) -> Outcome:
    """What :func:`write` would do, computed from the data; commits nothing."""
    history = _history(w.spark, w.table)
    if not history:
        return Outcome(inserted=w.rows.count(), created=True)
    load = previous_load(history, w.lineage)
    if load and load.in_effect:
        return Outcome(skipped_for_version=load.version)
    _check_table(w)
    return _plan(w.target, w)


@dataclass(frozen=True)
class Load:
    """The latest commit of a job for one run date, and whether a RESTORE undid it since."""

    version: int
    in_effect: bool


def _history(spark: SparkSession, table: TableRef) -> list:
    """The table's commits, newest first (empty when there is no table yet): read once per write."""
    if not table.exists(spark):
        return []
    return (table.delta(spark).history()
            .select("version", "operation", "operationParameters", "userMetadata").collect())


def previous_load(history: list, lineage: RunLineage) -> Load | None:
    """Find the latest commit of ``lineage``'s job and run date in ``history`` (newest first)."""
    for i, row in enumerate(history):
        found = RunLineage.from_user_metadata(row["userMetadata"])
        if found and (found.job, found.run_date) == (lineage.job, lineage.run_date):
            undone = any(_restored_to(later) is not None and _restored_to(later) < row["version"]
                         for later in history[:i])
            return Load(version=row["version"], in_effect=not undone)
    return None


def _restored_to(commit) -> int | None:
    """The version a RESTORE commit went back to (None for other commits, or a restore by time)."""
    parameters = commit["operationParameters"] or {}
    if commit["operation"] != "RESTORE" or not parameters.get("version"):  # Delta's own map, not a spec
        return None
    return int(parameters["version"])


def _replaces_rows(target: Target) -> bool:
    return isinstance(target, (OverwriteTarget, ReplacePartitionsTarget))


# ------------------------------------------------------------------ per-mode commits

@singledispatch
def _commit(target: Target, w: Write) -> None:
    raise NotImplementedError(type(target).__name__)


@_commit.register
def _(target: AppendTarget, w: Write) -> None:
    _save(w, w.rows, "append")


@_commit.register
def _(target: OverwriteTarget, w: Write) -> None:
    if w.rows.isEmpty():
        raise DataError(f"the run has no rows: overwrite would empty table {w.table}; nothing was written")
    _save(w, w.rows, "overwrite")


@_commit.register
def _(target: ReplacePartitionsTarget, w: Write) -> None:
    _save(w, w.rows, "overwrite", replace_where=partition_predicate(target.partition_by, w.partitions))


@_commit.register
def _(target: MergeTarget, w: Write) -> None:
    m = target.merge
    columns = [c for c in w.df.columns if c != DELETE_FLAG]
    source = _without_noops(w)
    builder = w.table.delta(w.spark).alias("t").merge(source.alias("s"), _merge_condition(w))
    not_stale = _not_stale(m.sequence_by)
    if m.delete_when:
        builder = builder.whenMatchedDelete(condition=_src(DELETE_FLAG) & not_stale)
    update_cols = _update_columns(w.df.columns, m)
    if update_cols:
        condition = not_stale & (_changed(update_cols, m) if m.update_only_changed else F.lit(True))
        builder = builder.whenMatchedUpdate(condition=condition,
                                            set={quote_ident(c): _src(c) for c in update_cols})
    insert_if = ~_src(DELETE_FLAG) if m.delete_when else None
    builder = builder.whenNotMatchedInsert(condition=insert_if,
                                           values={quote_ident(c): _src(c) for c in columns})
    builder.execute()


def _without_noops(w: Write) -> DataFrame:
    """Drop increment rows that would match a stored row but change nothing (stale, or equal).

    Delta rewrites every file holding a matched row, even when no clause fires; rows
    filtered out here never match, so files whose rows do not change are left alone.
    """
    m = w.target.merge
    if not (m.sequence_by or m.update_only_changed):
        return w.df
    update_cols = _update_columns(w.df.columns, m)
    unchanged = ~_changed(update_cols, m) if update_cols else F.lit(True)
    if m.delete_when:
        unchanged = unchanged & ~_src(DELETE_FLAG)
    if not m.update_only_changed:
        unchanged = F.lit(False)
    noop = _merge_condition(w) & (~_not_stale(m.sequence_by) | unchanged)
    stored = w.table.read(w.spark.read)
    return w.df.alias("s").join(stored.alias("t"), noop, "left_anti")


def _src(column: str) -> Column:
    return F.col(f"s.{quote_ident(column)}")


def _tgt(column: str) -> Column:
    return F.col(f"t.{quote_ident(column)}")


def _all(conditions: list[Column]) -> Column:
    return reduce(lambda a, b: a & b, conditions)


def _merge_condition(w: Write) -> Column:
    """Keys equal, and the target restricted to the partitions present in the increment."""
    condition = _all([_tgt(k) == _src(k) for k in w.target.merge.keys])
    if w.target.partition_by:
        condition = condition & _in_partitions(w.target.partition_by, w.partitions)
    return condition


def _in_partitions(columns: list[str], values: list[tuple]) -> Column:
    if not values:
        return F.lit(False)
    if len(columns) == 1:
        present = [v[0] for v in values if v[0] is not None]
        test = _tgt(columns[0]).isin(present) if present else F.lit(False)
        return test | _tgt(columns[0]).isNull() if len(present) < len(values) else test
    terms = [_all([_tgt(c).isNull() if v is None else _tgt(c) == F.lit(v) for c, v in zip(columns, row)])
             for row in values]
    return reduce(lambda a, b: a | b, terms)


def _not_stale(sequence_by: str | None) -> Column:
    """The increment row is not older than the stored row."""
    if not sequence_by:
        return F.lit(True)
    return _tgt(sequence_by).isNull() | (_src(sequence_by) >= _tgt(sequence_by))


def _update_columns(columns: list[str], m: MergeOptions) -> list[str]:
    return [c for c in columns if c not in (*m.keys, *m.exclude_from_update, DELETE_FLAG)]


def _changed(columns: list[str], m: MergeOptions) -> Column:
    """Some column other than ``sequence_by`` differs: a newer timestamp alone is no change."""
    compared = [c for c in columns if c != m.sequence_by] or columns
    return ~_all([_src(c).eqNullSafe(_tgt(c)) for c in compared])


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


def _check_table(w: Write) -> None:
    """The increment's columns and the declared partitioning must match the existing table."""
    detail = w.spark.sql(f"DESCRIBE DETAIL {w.table.sql}").select("partitionColumns").first()
    stored = list(detail["partitionColumns"])
    if stored != list(w.target.partition_by):
        raise SpecError(f"table {w.table} is partitioned by {stored}, the spec declares "
                        f"{list(w.target.partition_by)}", field="target.partition_by")
    table_cols = w.table.read(w.spark.read).columns
    data_cols = [c for c in w.df.columns if c != DELETE_FLAG]
    missing = [c for c in table_cols if c not in data_cols]
    extra = [c for c in data_cols if c not in table_cols]
    if missing or extra:
        raise DataError(f"the run's columns do not match table {w.table}: "
                        f"missing {missing or 'none'}, not in the table {extra or 'none'}; nothing was written")


# ------------------------------------------------------------------------- outcomes

def _outcome(commit, *, created: bool, deleted: int | None) -> Outcome:
    """The run's outcome from its commit's operation metrics."""
    values = metrics.normalise(commit["operation"], commit["operationMetrics"] or {})
    if deleted is not None:  # a WRITE that replaced rows does not report how many
        values["deleted"] = deleted
    rows = {k: values[k] or 0 for k in ("inserted", "updated", "deleted")}
    return Outcome(version=commit["version"], created=created, files_added=values["files_added"],
                   files_removed=values["files_removed"], **rows)


@singledispatch
def _plan(target: Target, w: Write) -> Outcome:
    raise NotImplementedError(type(target).__name__)


@_plan.register
def _(target: AppendTarget, w: Write) -> Outcome:
    return Outcome(inserted=w.rows.count())


@_plan.register
def _(target: OverwriteTarget, w: Write) -> Outcome:
    return Outcome(inserted=w.rows.count(), deleted=w.table.read(w.spark.read).count())


@_plan.register
def _(target: ReplacePartitionsTarget, w: Write) -> Outcome:
    replaced = w.table.read(w.spark.read).filter(partition_predicate(target.partition_by, w.partitions))
    return Outcome(inserted=w.rows.count(), deleted=replaced.count())


@_plan.register
def _(target: MergeTarget, w: Write) -> Outcome:
    m = target.merge
    stored = w.table.read(w.spark.read).withColumn("_lakehouse_matched", F.lit(True))
    joined = w.df.alias("s").join(stored.alias("t"), _merge_condition(w), "left")
    matched = F.col("t._lakehouse_matched").isNotNull()
    delete = _src(DELETE_FLAG) if m.delete_when else F.lit(False)
    update_cols = _update_columns(w.df.columns, m)
    changed = _changed(update_cols, m) if update_cols and m.update_only_changed else F.lit(bool(update_cols))
    not_stale = _not_stale(m.sequence_by)
    counts = joined.agg(
        F.sum((~matched & ~delete).cast("int")).alias("inserted"),
        F.sum((matched & ~delete & not_stale & changed).cast("int")).alias("updated"),
        F.sum((matched & delete & not_stale).cast("int")).alias("deleted"),
    ).first()
    return Outcome(**{k: counts[k] or 0 for k in ("inserted", "updated", "deleted")})
