"""The rules against the table, written once (stated in :class:`lakehouse.spec.target.MergeOptions`).

Used by the commit and by ``--dry-run`` alike, after :mod:`.increment` has kept one
row per key:

1. :func:`match` and :func:`classify` join the kept rows with the key's state (its
   stored row, else its newest live tombstone) and give every row one action:
   ``insert``, ``update``, ``delete`` (also a tombstone), ``tombstone`` (a delete of a
   key not stored), ``noop``, ``stale`` or ``conflict``.
2. :func:`plan` counts the actions in one aggregate, and :func:`execute` merges the
   rows whose action changes the table, with clauses that re-check the order
   against the stored row, so a concurrent commit can never make an older row win.
"""

from __future__ import annotations

from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError
from lakehouse.spec.target import MergeOptions
from lakehouse.write.order import (DELETE_FLAG, SAMPLE, Side, all_of, col, in_partitions, is_delete, keys_text,
                                   newer, side, sorted_partitions, update_columns)

ACTION = "_lakehouse_action"
PRESENT = "_lakehouse_present"
OLD = "_lakehouse_old_"
"""Prefix of the stored row's partition values carried by a classified row."""
STORED, GRAVE = "_lakehouse_t_", "_lakehouse_d_"
"""Prefixes of the stored row's and the tombstone's columns next to an increment row."""

INSERT, UPDATE, DELETE, TOMBSTONE = "insert", "update", "delete", "tombstone"
NOOP, STALE, CONFLICT = "noop", "stale", "conflict"
CHANGES = (INSERT, UPDATE, DELETE)
"""Actions that change the table; ``delete`` and ``tombstone`` also write a tombstone."""


def match(increment: DataFrame, stored: DataFrame, m: MergeOptions) -> DataFrame:
    """``increment`` left-joined by key with ``stored``, whose columns get the ``STORED`` prefix.

    A column of the increment the table lacks (one the run adds) reads NULL in the stored row."""
    added = [f for f in increment.schema.fields if f.name not in stored.columns and f.name != DELETE_FLAG]
    stored = stored.select("*", *[F.lit(None).cast(f.dataType).alias(f.name) for f in added])
    return _join_by_key(increment, stored, STORED, m)


def _join_by_key(left: DataFrame, right: DataFrame, prefix: str, m: MergeOptions) -> DataFrame:
    """``left`` left-joined by key with ``right``, whose columns (and a ``PRESENT`` flag) get ``prefix``."""
    renamed = right.select(*[col(c).alias(prefix + c) for c in right.columns], F.lit(True).alias(prefix + PRESENT))
    return left.join(renamed, all_of([col(k) == col(prefix + k) for k in m.keys]), "left")


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
        matched = _join_by_key(matched, tombstones, GRAVE, m)
    row, stored, grave = side(), side(STORED), side(GRAVE)
    delete = is_delete(row, m)
    action = F.when(delete, TOMBSTONE if m.keeps_tombstones else NOOP).otherwise(INSERT)
    if tombstones is not None:
        vs_grave = F.when(newer(row, grave, m.ordering), F.when(delete, TOMBSTONE).otherwise(INSERT)).otherwise(STALE)
        action = F.when(grave(PRESENT).isNotNull(), vs_grave).otherwise(action)
    if has_table:
        vs_row = against_row(row, stored, m, update_columns(columns, m))
        action = F.when(stored(PRESENT).isNotNull(), vs_row).otherwise(action)
    old = [(stored(c) if has_table else F.lit(None)).alias(OLD + c) for c in partition_by]
    return matched.select(*map(col, columns), *old, action.alias(ACTION))


def against_row(row: Side, stored: Side, m: MergeOptions, written: list[str]) -> Column:
    """The action of increment ``row`` against the ``stored`` row of its key."""
    delete = is_delete(row, m)
    unchanged = all_of([row(c).eqNullSafe(stored(c)) for c in written])
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
        raise DataError(f"target.merge.sequence_by: rows of equal order ({', '.join(m.ordering)}) with values different from the stored "
                        f"row, e.g. {keys_text(row['conflicts'], m)}; nothing was written")
    partitions = sorted_partitions(set(map(tuple, row["new_parts"])) | set(map(tuple, row["old_parts"])))
    return MergePlan(inserted=row[INSERT] or 0, updated=row[UPDATE] or 0, deleted=row[DELETE] or 0,
                     tombstones=(row[DELETE] or 0) + (row[TOMBSTONE] or 0) if m.keeps_tombstones else 0,
                     partitions=partitions if partition_by else [])


def changes(classified: DataFrame) -> DataFrame:
    """The classified rows that change the table."""
    return classified.filter(F.col(ACTION).isin(*CHANGES))


def execute(table: DeltaTable, classified: DataFrame, m: MergeOptions, partition_by: list[str],
            partitions: list[tuple], *, evolve: bool = False) -> None:
    """One Delta MERGE of the rows whose action changes the table.

    The clauses check the action and, again, that the stored row is not newer: a row
    committed concurrently since the classification never loses to an older one.
    With ``evolve`` the merge adds the source's new columns and widens types (Delta's
    merge schema evolution, in the same commit).
    """
    source = changes(classified).drop(*[OLD + c for c in partition_by])
    columns = [c for c in source.columns if c not in (ACTION, DELETE_FLAG)]
    s, t = side(alias="s"), side(alias="t")
    condition = all_of([t(k) == s(k) for k in m.keys])
    if partition_by:
        condition = condition & in_partitions(t, partition_by, partitions)
    not_older = ~newer(t, s, m.ordering) if m.ordering else F.lit(True)
    written = update_columns(columns, m)
    if evolve:  # the rows were classified against the table's schema, which this merge changes: Delta refuses
        # (and would re-run) a cached plan that reads the table once a type widens, so the rows are
        # materialised and the classification's cache released first
        source = source.localCheckpoint()
        classified.unpersist(blocking=True)
    builder = table.alias("t").merge(source.alias("s"), condition)
    if evolve:
        builder = builder.withSchemaEvolution()
    builder = builder.whenMatchedDelete(condition=(s(ACTION) == DELETE) & not_older)
    if written:
        builder = builder.whenMatchedUpdate(condition=(s(ACTION) == UPDATE) & not_older,
                                            set={quote_ident(c): s(c) for c in written})
    builder.whenNotMatchedInsert(condition=s(ACTION) == INSERT,
                                 values={quote_ident(c): s(c) for c in columns}).execute()
