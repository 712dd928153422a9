"""Row-level changes between two versions: the change data feed, or two snapshots compared by key.

The rules are stated in :mod:`lakehouse.audit.read` (``changes``); :mod:`lakehouse.audit.history`
uses the same machinery for one record's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal, Mapping, Sequence

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.audit import keys as K
from lakehouse.audit import versions as V
from lakehouse.errors import TableError, spark_message
from lakehouse.table.log import TableLog
from lakehouse.table.ref import TableRef

Method = Literal["auto", "cdf", "snapshot"]

_PRE_IMAGE = ("delete", "update_preimage")


@dataclass(frozen=True)
class Changes:
    """What :func:`compare` found: the rows of :func:`changes` from ``start`` (None: before the first
    version) to ``end``, and one line naming the two versions (what ``lakehouse diff`` prints on stderr)."""

    start: int | None
    end: int
    description: str
    df: DataFrame


def changes(spark: SparkSession, table: V.TableLike, start: int | None = None, end: int | None = None, *,
            keys: Sequence[str] | None = None, key_filter: Mapping[str, Any] | None = None,
            method: Method = "auto", run_date: V.When | None = None) -> DataFrame:
    """The net change of each key from version ``start`` to ``end`` (see :mod:`lakehouse.audit.read`)."""
    return compare(spark, table, start, end, keys=keys, key_filter=key_filter, method=method, run_date=run_date).df


def compare(spark: SparkSession, table: V.TableLike, start: int | None = None, end: int | None = None, *,
            keys: Sequence[str] | None = None, key_filter: Mapping[str, Any] | None = None,
            method: Method = "auto", run_date: V.When | None = None) -> Changes:
    """:func:`changes`, with the versions it compared."""
    ref, log = V.open_table(spark, table)
    start, end = V.span(ref, log, start, end, run_date)
    df = between(spark, ref, log, start, end, keys=keys, key_filter=key_filter, method=method)
    since = "the table's creation" if start is None else f"version {start}"
    return Changes(start, end, f"changes since {since}: {V.describe(ref, log, end)}", df)


def between(spark: SparkSession, ref: TableRef, log: TableLog, start: int | None, end: int, *,
            keys: Sequence[str] | None, key_filter: Mapping[str, Any] | None, method: Method) -> DataFrame:
    key_cols, values = key_columns(spark, ref, log, end, keys, key_filter)
    first = -1 if start is None else start
    if use_cdf(spark, ref, log, first, end, method):
        per_key = cdf_states(cdf(spark, ref, first + 1, end), key_cols, values, key_filter, by_version=False)
    else:
        for v in (start, end):
            if v is not None:
                V.require_readable(ref, log, v)
        new_rows = V.read_version(spark, ref, end)
        old_rows = new_rows.limit(0) if start is None else V.read_version(spark, ref, start)
        old = state(old_rows, key_cols, values, key_filter, "before")
        new = state(new_rows, key_cols, values, key_filter, "after")
        per_key = old.join(new, on=key_cols, how="full_outer")
    return classify(per_key, key_cols, values)


def key_columns(spark: SparkSession, ref: TableRef, log: TableLog, version: int, keys: Sequence[str] | None,
                key_filter: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(key columns, the other columns) of version ``version`` (rules: :mod:`lakehouse.audit.keys`)."""
    return K.key_columns(str(ref), log, V.read_version(spark, ref, version).columns, keys, key_filter)


def _matching(df: DataFrame, key_filter: Mapping[str, Any] | None) -> DataFrame:
    for column, value in (key_filter or {}).items():
        col = F.col(quote_ident(column))
        df = df.filter(col.isNull() if value is None else col == F.lit(value))
    return df


def _row(values: list[str]) -> Column:
    return F.struct(*[F.col(quote_ident(c)).alias(c) for c in values])


def _keys(key_cols: list[str]) -> list[Column]:
    return [F.col(quote_ident(k)) for k in key_cols]


def state(df: DataFrame, key_cols: list[str], values: list[str], key_filter, name: str) -> DataFrame:
    return _matching(df, key_filter).select(*_keys(key_cols), _row(values).alias(name))


def cdf(spark: SparkSession, ref: TableRef, start: int, end: int) -> DataFrame:
    reader = (spark.read.format("delta").option("readChangeFeed", "true")
              .option("startingVersion", start).option("endingVersion", end))
    return ref.read(reader)


def cdf_states(feed: DataFrame, key_cols: list[str], values: list[str], key_filter, by_version: bool) -> DataFrame:
    """Per key (and version): the row before the first change and after the last one."""
    pre = F.col("_change_type").isin(*_PRE_IMAGE)
    order = F.col("_commit_version") * 2 + F.when(pre, 0).otherwise(1)  # pre-images first within a commit
    row = F.struct(pre.alias("pre"), _row(values).alias("row"))
    group = [*_keys(key_cols), *([F.col("_commit_version").alias("version")] if by_version else [])]
    firsts = _matching(feed, key_filter).groupBy(*group).agg(
        F.min_by(row, order).alias("first"), F.max_by(row, order).alias("last"))
    return firsts.select(
        *([F.col("version")] if by_version else []), *_keys(key_cols),
        F.when(F.col("first.pre"), F.col("first.row")).alias("before"),
        F.when(~F.col("last.pre"), F.col("last.row")).alias("after"))


def snapshot_states(spark: SparkSession, ref: TableRef, versions: list[int], key_cols: list[str],
                    values: list[str], key: Mapping[str, Any]) -> DataFrame:
    """The record at each version next to the record at the previous readable version."""
    states = reduce(DataFrame.unionByName, [
        state(V.read_version(spark, ref, v), key_cols, values, key, "row").withColumn("version", F.lit(v))
        for v in versions])
    pairs = [(v, p) for p, v in zip([None, *versions], versions) if p is not None or v == 0]
    steps = spark.createDataFrame(pairs, "version long, previous long")
    before = steps.join(states.select(F.col("version").alias("previous"), *_keys(key_cols),
                                      F.col("row").alias("before")), "previous")
    after = steps.join(states.select("version", *_keys(key_cols), F.col("row").alias("after")), "version")
    return (before.join(after, on=["version", "previous", *key_cols], how="full_outer")
            .select("version", *_keys(key_cols), "before", "after"))


def classify(df: DataFrame, key_cols: list[str], values: list[str]) -> DataFrame:
    before, after = F.col("before"), F.col("after")
    differ = F.array_compact(F.array(*[
        F.when(~before.getField(c).eqNullSafe(after.getField(c)), F.lit(c)) for c in values]))
    change = F.when(before.isNull(), "insert").when(after.isNull(), "delete").otherwise("update")
    changed = F.when(change == "update", differ).otherwise(F.array(*[F.lit(c) for c in values]))
    return (df.filter(before.isNotNull() | after.isNotNull())
            .filter((change != "update") | (F.size(differ) > 0))
            .select(*_keys(key_cols), change.alias("change"), changed.alias("changed_columns"), before, after))


def use_cdf(spark: SparkSession, ref: TableRef, log: TableLog, start: int, end: int, method: Method) -> bool:
    """Whether the change data feed covers versions start+1..end (and ``method`` allows it)."""
    if method == "snapshot" or start == end:
        return False
    reason = _cdf_gap(spark, ref, log, start + 1, end)
    if reason and method == "cdf":
        raise TableError(f"the change data feed of {ref} does not cover versions {start + 1} to {end}: {reason}")
    return reason is None


def _cdf_gap(spark: SparkSession, ref: TableRef, log: TableLog, start: int, end: int) -> str | None:
    horizon = _vacuum_horizon(log)
    swept = [c.version for c in log.commits if start <= c.version <= end and c.micros < horizon]
    if swept:
        return f"VACUUM removed the change files of version {swept[-1]} and older"
    try:  # Delta checks that every version in the range recorded change data while planning the scan
        cdf(spark, ref, start, end)._jdf.queryExecution().executedPlan()
    except AnalysisException as exc:
        return spark_message(exc)
    return None


def _vacuum_horizon(log: TableLog) -> int:
    """Epoch micros before which VACUUM may have deleted files (0 if the log records no VACUUM)."""
    horizon = 0
    for c in log.commits:
        if c.operation == "VACUUM START":
            params = c.parameters
            kept = params.get("specifiedRetentionMillis") or params.get("defaultRetentionMillis") or "0"
            horizon = max(horizon, c.micros - int(kept) * 1000)
    return horizon
