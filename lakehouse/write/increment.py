"""The rules within one increment: the newest row per key, ties, null keys and sequences.

:func:`annotate` ranks the rows of each key by order (``sequence_by``, ``tie_breaker``,
a delete before an update) in one window pass without an extra shuffle;
:func:`increment_stats` counts and checks them in one aggregate; :func:`kept` is the
row per key that the merge uses (see :class:`lakehouse.spec.target.MergeOptions`, rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.errors import DataError
from lakehouse.spec.scd2 import Scd2Options
from lakehouse.spec.target import MergeOptions
from lakehouse.write.order import SAMPLE, any_of, col, is_delete, keys_text, side, sorted_partitions

NULL_KEY, RANK, DUPLICATE, TIE = "_lakehouse_null_key", "_lakehouse_rank", "_lakehouse_dup", "_lakehouse_tie"

Keyed = Union[MergeOptions, Scd2Options]
"""Options with keys, an ordering, ``delete_when`` and ``null_keys``: a merge's or a history table's."""


def annotate(df: DataFrame, m: Keyed, *, per_sequence: bool = False) -> DataFrame:
    """``df`` with the flags :func:`increment_stats` counts and :func:`kept` filters by.

    ``per_sequence`` keeps one row per key and order (a history table keeps every version)
    instead of one row per key.
    """
    df = df.withColumn(NULL_KEY, any_of([col(k).isNull() for k in m.keys]))
    keys = [col(k) for k in (*m.keys, *(m.ordering if per_sequence else []))]
    delete = is_delete(side(), m)
    order = [*(col(c).desc_nulls_last() for c in m.ordering), delete.desc()]
    content = F.xxhash64(*[col(c) for c in df.columns if c != NULL_KEY])
    by_order = Window.partitionBy(*keys).orderBy(*order)
    by_row = Window.partitionBy(*keys).orderBy(*order, content)
    # rank 1: the newest rows (a delete ranks before an update of equal order); row_number
    # picks one of them; dense_rank 2 at rank 1 means an equal-order row that is not identical
    return (df.withColumn(RANK, F.rank().over(by_order))
              .withColumn(DUPLICATE, F.row_number().over(by_row) > 1)
              .withColumn(TIE, (F.col(RANK) == 1) & (F.dense_rank().over(by_row) == 2) & ~delete))


def kept(annotated: DataFrame) -> DataFrame:
    """The newest row per key, without the annotation columns."""
    return (annotated.filter(~F.col(NULL_KEY) & ~F.col(DUPLICATE))
            .drop(NULL_KEY, RANK, DUPLICATE, TIE))


def null_key_rows(annotated: DataFrame) -> DataFrame:
    """The rows with a null key, without the annotation columns."""
    return annotated.filter(F.col(NULL_KEY)).drop(NULL_KEY, RANK, DUPLICATE, TIE)


@dataclass(frozen=True)
class IncrementStats:
    """What one aggregate over an annotated increment found."""

    rows: int
    null_keys: int
    duplicates_resolved: int
    partitions: list[tuple]
    key_ranges: dict[str, tuple]
    """Per key column: (min, max) over the kept rows; used to look keys up by file skipping."""


def increment_stats(annotated: DataFrame, m: Keyed, partition_by: list[str]) -> IncrementStats:
    """Count null keys, duplicates, null sequences and ties in one pass; a DataError on a tie."""
    valid = ~F.col(NULL_KEY)
    keep = valid & ~F.col(DUPLICATE)
    key_struct = F.struct(*[col(k) for k in m.keys])
    null_seq = valid & col(m.sequence_by).isNull() if m.sequence_by else F.lit(False)
    aggregates = [
        F.sum(keep.cast("long")).alias("rows"),
        F.sum(F.col(NULL_KEY).cast("long")).alias("null_keys"),
        F.sum((valid & F.col(DUPLICATE)).cast("long")).alias("dups"),
        F.slice(F.collect_list(F.when(null_seq, key_struct)), 1, SAMPLE).alias("null_seq"),
        F.slice(F.collect_list(F.when(valid & F.col(TIE), key_struct)), 1, SAMPLE).alias("ties"),
        F.collect_set(F.when(keep, F.struct(*[col(c) for c in partition_by]))).alias("partitions"),
    ]
    for k in m.keys:
        aggregates += [F.min(F.when(keep, col(k))).alias(f"min_{k}"), F.max(F.when(keep, col(k))).alias(f"max_{k}")]
    row = annotated.agg(*aggregates).first()
    spec = _spec(m)
    if row["null_keys"] and m.null_keys == "fail":
        n = row["null_keys"]
        raise DataError(f"{spec}.keys: {n} row{'s' if n > 1 else ''} with a null key ({', '.join(m.keys)}); nothing was "
                        f"written (set {spec}.null_keys: drop to drop and count them)")
    if row["null_seq"]:
        raise DataError(f"{spec}.sequence_by: rows with a null {m.sequence_by} (sequence_by), e.g. {keys_text(row['null_seq'], m)}; "
                        "nothing was written")
    if row["ties"] and not m.sequence_by:
        raise DataError(f"target.merge.keys: duplicate keys in the increment, e.g. {keys_text(row['ties'], m)}; set "
                        "target.merge.sequence_by to keep the latest row per key; nothing was written")
    if row["ties"]:
        raise DataError(f"{spec}.sequence_by: rows of equal order ({', '.join(m.ordering)}) with different values for one key in "
                        f"the increment, e.g. {keys_text(row['ties'], m)}; nothing was written")
    return IncrementStats(rows=row["rows"] or 0, null_keys=row["null_keys"] or 0,
                          duplicates_resolved=row["dups"] or 0,
                          partitions=sorted_partitions(row["partitions"] if partition_by else []),
                          key_ranges={k: (row[f"min_{k}"], row[f"max_{k}"]) for k in m.keys})


def _spec(m: Keyed) -> str:
    """Where the options stand in the job spec, for messages."""
    return "target.scd2" if isinstance(m, Scd2Options) else "target.merge"
