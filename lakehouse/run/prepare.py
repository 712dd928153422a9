"""The increment made ready for the writer: cached once and counted in one aggregate.

For a merge or a history table (``scd2``) the columns the spec names must exist, a ``delete_when``
condition becomes the delete flag (a NULL condition does not delete), and the rows are ranked per
key by :mod:`lakehouse.write.increment` (merge: one row per key; scd2: one per key and sequence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType

from lakehouse._sql import quote_ident
from lakehouse.errors import SpecError
from lakehouse.run.quality import require_columns
from lakehouse.run.transforms import Params, checked, derive
from lakehouse.spec.target import MergeTarget, Scd2Target, Target
from lakehouse.write import increment
from lakehouse.write.order import DELETE_FLAG, sorted_partitions


@dataclass(frozen=True)
class Prepared:
    """The increment ready for the writer, its cached frame and what one aggregate counted."""

    df: DataFrame
    cached: DataFrame
    rows: int
    partitions: list[tuple]
    null_keys: int = 0
    duplicates: int = 0
    key_ranges: dict[str, tuple] = field(default_factory=dict)
    null_key_rows: DataFrame | None = None
    """The rows with a null key, when ``merge.null_keys: quarantine``."""


def prepare(df: DataFrame, target: Target, params: Params) -> Prepared:
    """Cache the increment once and count it in one aggregate (merge: one row per key; scd2: one row per
    key and sequence; see :mod:`lakehouse.write.increment`)."""
    if not isinstance(target, (MergeTarget, Scd2Target)):
        cached = df.cache()
        row = cached.agg(F.count(F.lit(1)).alias("rows"),
                         F.collect_set(F.struct(*[F.col(quote_ident(c)) for c in target.partition_by]))
                         .alias("partitions")).first()
        partitions = sorted_partitions(row["partitions"]) if target.partition_by else []
        return Prepared(df=cached, cached=cached, rows=row["rows"], partitions=partitions)
    scd2 = isinstance(target, Scd2Target)
    m, field = (target.scd2, "target.scd2") if scd2 else (target.merge, "target.merge")
    for name, columns in _named_columns(target):
        require_columns(df, [c for c in columns if c], f"{field}.{name}")
    if scd2:
        clash = [c for c in target.scd2.columns.names if c in df.columns]
        if clash:
            raise SpecError(f"the data already has a column {clash[0]!r}, a history column of the table; rename it "
                            "or name the history columns otherwise", field="target.scd2.columns")
    flagged = _with_delete_flag(df, m.delete_when, params, f"{field}.delete_when")
    annotated = increment.annotate(flagged, m, per_sequence=scd2).cache()
    stats = increment.increment_stats(annotated, m, target.partition_by)
    return Prepared(df=increment.kept(annotated), cached=annotated, rows=stats.rows, partitions=stats.partitions,
                     null_keys=stats.null_keys, duplicates=stats.duplicates_resolved, key_ranges=stats.key_ranges,
                     null_key_rows=increment.null_key_rows(annotated) if m.null_keys == "quarantine" else None)


def _named_columns(target: MergeTarget | Scd2Target) -> list[tuple[str, list[str | None]]]:
    """The spec's fields that name columns of the data, with the columns they name."""
    if isinstance(target, Scd2Target):
        o = target.scd2
        return [("keys", o.keys), ("sequence_by", [o.sequence_by]), ("track_columns", o.track_columns or []),
                ("ignore_columns", o.ignore_columns)]
    m = target.merge
    return [("keys", m.keys), ("sequence_by", [m.sequence_by]), ("tie_breaker", [m.tie_breaker]),
            ("exclude_from_update", m.exclude_from_update)]


def _with_delete_flag(df: DataFrame, delete_when: str | None, params: Params, field: str) -> DataFrame:
    if not delete_when:
        return df

    def flag(d: DataFrame) -> DataFrame:  # a NULL condition does not delete
        flagged = derive(DELETE_FLAG, delete_when, params)(d)
        kind = flagged.schema[DELETE_FLAG].dataType
        if not isinstance(kind, BooleanType):
            raise SpecError(f"{delete_when!r} is {kind.simpleString().upper()}, not a condition (BOOLEAN)",
                            field=field)
        return flagged.withColumn(DELETE_FLAG, F.coalesce(F.col(DELETE_FLAG), F.lit(False)))

    return checked(field, df, flag)
