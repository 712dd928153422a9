"""The merge rules, written once (stated in :class:`lakehouse.spec.MergeOptions`).

Three steps, each used by the commit and by ``--dry-run`` alike:

1. :func:`annotate` ranks the increment's rows per key by order (``sequence_by``,
   ``tie_breaker``, a delete before an update) and flags null keys, null sequences and
   ties; :func:`kept` is the newest row per key.  One window pass, no extra shuffle.
2. :func:`classify` joins the kept rows with the key's state (its stored row, else its
   newest live tombstone) and gives every row one action: ``insert``, ``update``,
   ``delete`` (also a tombstone), ``tombstone`` (a delete of a key not stored),
   ``noop``, ``stale`` or ``conflict``.
3. :func:`plan` counts the actions in one aggregate, and :func:`execute` merges the
   rows whose action changes the table, with clauses that re-check the order
   against the stored row, so a concurrent commit can never make an older row win.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError
from lakehouse.spec import MergeOptions
from lakehouse.table import TableRef

DELETE_FLAG = "_lakehouse_delete"
"""Boolean column the runner adds to a merge increment when `merge.delete_when` is set."""
ACTION = "_lakehouse_action"
NULL_KEY, RANK, DUPLICATE, TIE = "_lakehouse_null_key", "_lakehouse_rank", "_lakehouse_dup", "_lakehouse_tie"
PRESENT = "_lakehouse_present"
OLD = "_lakehouse_old_"
"""Prefix of the stored row's partition values carried by a classified row."""

INSERT, UPDATE, DELETE, TOMBSTONE = "insert", "update", "delete", "tombstone"
NOOP, STALE, CONFLICT = "noop", "stale", "conflict"
CHANGES = (INSERT, UPDATE, DELETE)
"""Actions that change the table; ``delete`` and ``tombstone`` also write a tombstone."""

SAMPLE = 5
"""How many keys an error message names."""


def col(name: str, alias: str | None = None) -> Column:
    return F.col(f"{alias}.{quote_ident(name)}" if alias else quote_ident(name))


Side = Callable[[str], Column]
"""One row of a comparison: column name -> Column (the increment row, its stored row ...)."""

STORED, GRAVE = "_lakehouse_t_", "_lakehouse_d_"
"""Prefixes of the stored row's and the tombstone's columns next to an increment row."""


def side(prefix: str = "", alias: str | None = None) -> Side:
    return lambda name: col(prefix + name, alias)


def _all(conditions: list[Column]) -> Column:
    return reduce(lambda a, b: a & b, conditions, F.lit(True))


def _any(conditions: list[Column]) -> Column:
    return reduce(lambda a, b: a | b, conditions, F.lit(False))


def newer(a: Side, b: Side, ordering: list[str]) -> Column:
    """Row ``a``'s order is greater than row ``b``'s (lexicographic; NULL is the oldest)."""
    terms = []
    for i, c in enumerate(ordering):
        greater = F.coalesce(a(c) > b(c), F.lit(False)) | (a(c).isNotNull() & b(c).isNull())  # never NULL
        terms.append(_all([a(p).eqNullSafe(b(p)) for p in ordering[:i]] + [greater]))
    return _any(terms)


def update_columns(columns: list[str], m: MergeOptions) -> list[str]:
    """The columns an update writes: all but the keys and ``exclude_from_update``."""
    return [c for c in columns if c not in (*m.keys, *m.exclude_from_update) and not c.startswith("_lakehouse")]


def _is_delete(row: Side, m: MergeOptions) -> Column:
    return row(DELETE_FLAG) if m.delete_when else F.lit(False)


# ------------------------------------------------------------------ 1. the increment

def annotate(df: DataFrame, m: MergeOptions) -> DataFrame:
    """``df`` with the flags :func:`increment_stats` counts and :func:`kept` filters by."""
    keys = [col(k) for k in m.keys]
    df = df.withColumn(NULL_KEY, _any([k.isNull() for k in keys]))
    delete = _is_delete(side(), m)
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


@dataclass(frozen=True)
class IncrementStats:
    """What one aggregate over an annotated increment found."""

    rows: int
    null_keys: int
    duplicates_resolved: int
    partitions: list[tuple]
    key_ranges: dict[str, tuple]
    """Per key column: (min, max) over the kept rows; used to look keys up by file skipping."""


def increment_stats(annotated: DataFrame, m: MergeOptions, partition_by: list[str]) -> IncrementStats:
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
    if row["null_keys"] and m.null_keys == "fail":
        n = row["null_keys"]
        raise DataError(f"{n} row{'s' if n > 1 else ''} with a null key ({', '.join(m.keys)}); nothing was "
                        "written (set target.merge.null_keys: drop to drop and count them)")
    if row["null_seq"]:
        raise DataError(f"rows with a null {m.sequence_by} (sequence_by), e.g. {_keys_text(row['null_seq'], m)}; "
                        "nothing was written")
    if row["ties"] and not m.sequence_by:
        raise DataError(f"duplicate keys in the increment, e.g. {_keys_text(row['ties'], m)}; set "
                        "target.merge.sequence_by to keep the latest row per key; nothing was written")
    if row["ties"]:
        raise DataError(f"rows of equal order ({', '.join(m.ordering)}) with different values for one key in "
                        f"the increment, e.g. {_keys_text(row['ties'], m)}; nothing was written")
    return IncrementStats(rows=row["rows"] or 0, null_keys=row["null_keys"] or 0, duplicates_resolved=row["dups"] or 0,
                          partitions=sorted_partitions(row["partitions"] if partition_by else []),
                          key_ranges={k: (row[f"min_{k}"], row[f"max_{k}"]) for k in m.keys})


def sorted_partitions(values) -> list[tuple]:
    return sorted((tuple(v) for v in values), key=lambda t: tuple((x is None, str(x)) for x in t))


def _keys_text(rows, m: MergeOptions) -> str:
    return ", ".join("(" + ", ".join(f"{k}={r[k]!r}" for k in m.keys) + ")" for r in rows)


def in_key_ranges(df: DataFrame, ranges: dict[str, tuple]) -> DataFrame:
    """Rows of ``df`` whose keys fall in ``ranges``: Delta skips files by their min/max stats."""
    if any(low is None for low, _ in ranges.values()):
        return df.filter(F.lit(False))
    return df.filter(_all([col(k).between(F.lit(low), F.lit(high)) for k, (low, high) in ranges.items()]))


# -------------------------------------------------------------- 2. against the state

def match(increment: DataFrame, stored: DataFrame, m: MergeOptions) -> DataFrame:
    """``increment`` left-joined by key with ``stored``, whose columns get the ``STORED`` prefix."""
    renamed = stored.select(*[col(c).alias(STORED + c) for c in stored.columns], F.lit(True).alias(STORED + PRESENT))
    return increment.join(renamed, _all([col(k) == col(STORED + k) for k in m.keys]), "left")


def unmatched(matched: DataFrame, increment_columns: list[str]) -> DataFrame:
    return matched.filter(col(STORED + PRESENT).isNull()).select(*map(col, increment_columns))


def key_ranges(df: DataFrame, m: MergeOptions) -> dict[str, tuple]:
    """Per key column of ``df``: (min, max); (None, None) when ``df`` is empty."""
    row = df.agg(*[f(col(k)).alias(f"{f.__name__}_{k}") for k in m.keys for f in (F.min, F.max)]).first()
    return {k: (row[f"min_{k}"], row[f"max_{k}"]) for k in m.keys}


def classify(matched: DataFrame, m: MergeOptions, partition_by: list[str], *,
             tombstones: DataFrame | None) -> DataFrame:
    """Every kept increment row with its action (column ``ACTION``), and the stored row's
    partition values (``OLD`` + name) where it matched one.

    ``matched``: the increment, or the output of :func:`match` when the table exists.
    ``tombstones``: the newest live tombstone per key (keys and ordering columns), or None.
    """
    columns = [c for c in matched.columns if not c.startswith(STORED)]
    has_table = STORED + PRESENT in matched.columns
    if tombstones is not None:
        renamed = tombstones.select(*[col(c).alias(GRAVE + c) for c in tombstones.columns],
                                    F.lit(True).alias(GRAVE + PRESENT))
        matched = matched.join(renamed, _all([col(k) == col(GRAVE + k) for k in m.keys]), "left")
    row, stored, grave = side(), side(STORED), side(GRAVE)
    delete = _is_delete(row, m)
    action = F.when(delete, TOMBSTONE if m.keeps_tombstones else NOOP).otherwise(INSERT)
    if tombstones is not None:
        vs_grave = F.when(newer(row, grave, m.ordering), F.when(delete, TOMBSTONE).otherwise(INSERT)).otherwise(STALE)
        action = F.when(grave(PRESENT).isNotNull(), vs_grave).otherwise(action)
    if has_table:
        action = F.when(stored(PRESENT).isNotNull(), against_row(row, stored, m, update_columns(columns, m))).otherwise(action)
    old = [(stored(c) if has_table else F.lit(None)).alias(OLD + c) for c in partition_by]
    return matched.select(*map(col, columns), *old, action.alias(ACTION))


def against_row(row: Side, stored: Side, m: MergeOptions, written: list[str]) -> Column:
    """The action of increment ``row`` against the ``stored`` row of its key."""
    delete = _is_delete(row, m)
    unchanged = _all([row(c).eqNullSafe(stored(c)) for c in written])
    if not m.ordering:
        return F.when(delete, DELETE).when(unchanged & F.lit(m.update_only_changed), NOOP).otherwise(UPDATE)
    return (F.when(newer(stored, row, m.ordering), STALE)
            .when(newer(row, stored, m.ordering), F.when(delete, DELETE).otherwise(UPDATE))
            .when(delete, DELETE)
            .when(unchanged, NOOP if m.update_only_changed else UPDATE)
            .otherwise(CONFLICT))


# ---------------------------------------------------------------- 3. plan and commit

@dataclass(frozen=True)
class MergePlan:
    """The counts of a classified increment, and the partitions the commit touches."""

    inserted: int
    updated: int
    deleted: int
    tombstones: int
    partitions: list[tuple]


def plan(classified: DataFrame, m: MergeOptions, partition_by: list[str]) -> MergePlan:
    """Count the actions in one aggregate; a DataError naming keys on a tie with the table."""
    action = F.col(ACTION)
    key_struct = F.struct(*[col(k) for k in m.keys])
    new_parts = F.struct(*[col(c) for c in partition_by])
    old_parts = F.struct(*[col(OLD + c).alias(c) for c in partition_by])
    row = classified.agg(
        *[F.sum((action == a).cast("long")).alias(a) for a in (*CHANGES, TOMBSTONE)],
        F.slice(F.collect_list(F.when(action == CONFLICT, key_struct)), 1, SAMPLE).alias("conflicts"),
        F.collect_set(F.when(action.isin(INSERT, UPDATE), new_parts)).alias("new_parts"),
        F.collect_set(F.when(action.isin(UPDATE, DELETE), old_parts)).alias("old_parts"),
    ).first()
    if row["conflicts"]:
        raise DataError(f"rows of equal order ({', '.join(m.ordering)}) with values different from the stored "
                        f"row, e.g. {_keys_text(row['conflicts'], m)}; nothing was written")
    partitions = sorted_partitions(set(map(tuple, row["new_parts"])) | set(map(tuple, row["old_parts"])))
    return MergePlan(inserted=row[INSERT] or 0, updated=row[UPDATE] or 0, deleted=row[DELETE] or 0,
                     tombstones=(row[DELETE] or 0) + (row[TOMBSTONE] or 0) if m.keeps_tombstones else 0,
                     partitions=partitions if partition_by else [])


def changes(classified: DataFrame) -> DataFrame:
    """The classified rows that change the table."""
    return classified.filter(F.col(ACTION).isin(*CHANGES))


def execute(table: TableRef, spark, classified: DataFrame, m: MergeOptions, partition_by: list[str],
            partitions: list[tuple]) -> None:
    """One Delta MERGE of the rows whose action changes the table.

    The clauses check the action and, again, that the stored row is not newer: a row
    committed concurrently since the classification never loses to an older one.
    """
    source = changes(classified).drop(*[OLD + c for c in partition_by])
    columns = [c for c in source.columns if c not in (ACTION, DELETE_FLAG)]
    s, t = side(alias="s"), side(alias="t")
    condition = _all([t(k) == s(k) for k in m.keys])
    if partition_by:
        condition = condition & in_partitions(t, partition_by, partitions)
    not_older = ~newer(t, s, m.ordering) if m.ordering else F.lit(True)
    written = update_columns(columns, m)
    builder = table.delta(spark).alias("t").merge(source.alias("s"), condition)
    builder = builder.whenMatchedDelete(condition=(s(ACTION) == DELETE) & not_older)
    if written:
        builder = builder.whenMatchedUpdate(condition=(s(ACTION) == UPDATE) & not_older,
                                            set={quote_ident(c): s(c) for c in written})
    builder.whenNotMatchedInsert(condition=s(ACTION) == INSERT,
                                 values={quote_ident(c): s(c) for c in columns}).execute()


def in_partitions(row: Side, columns: list[str], values: list[tuple]) -> Column:
    """``row``'s partition columns hold one of ``values`` (IN for one column); never NULL."""
    if not values:
        return F.lit(False)
    if len(columns) == 1:
        present = [v[0] for v in values if v[0] is not None]
        test = row(columns[0]).isin(present) if present else F.lit(False)
        test = test | row(columns[0]).isNull() if len(present) < len(values) else test
        return F.coalesce(test, F.lit(False))
    return _any([_all([row(c).isNull() if v is None else F.coalesce(row(c) == F.lit(v), F.lit(False))
                       for c, v in zip(columns, row_values)]) for row_values in values])
