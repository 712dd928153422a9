"""The versions of a history table, built from events (the rules of :class:`lakehouse.spec.scd2.Scd2Options`).

:func:`resolve` keeps one event per key and ``sequence_by`` (identical events once, a
delete before an update) and flags ties; :func:`versions` replays the events of each
key in order with window functions, without collecting anything; :func:`diff` compares
the versions with the stored rows of the same keys and gives each row one action.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.spec.scd2 import Scd2Options
from lakehouse.write import increment
from lakehouse.write.order import all_of, col, is_delete, side

TIED = "_lakehouse_tied"
"""Flag of an event (and of the version it belongs to) whose key has another event of equal order."""
START, CHANGED, GROUP, NEXT = "_lakehouse_start", "_lakehouse_changed", "_lakehouse_group", "_lakehouse_next"
ROW, PRESENT = "_lakehouse_row", "_lakehouse_present"
ACTION, OLD = "_lakehouse_action", "_lakehouse_old_"
INSERT, UPDATE, DELETE, SAME = "insert", "update", "delete", "same"
_NEW, _STORED = "_lakehouse_n_", "_lakehouse_s_"


def resolve(events: DataFrame, o: Scd2Options) -> DataFrame:
    """One event per key and order, each with :data:`TIED` (rows of equal order that differ)."""
    annotated = increment.annotate(events, o, per_sequence=True)
    same_order = Window.partitionBy(*[col(k) for k in (*o.keys, o.sequence_by)])
    return (annotated.withColumn(TIED, F.max(F.col(increment.TIE)).over(same_order))
            .filter(~F.col(increment.NULL_KEY) & ~F.col(increment.DUPLICATE))
            .drop(increment.NULL_KEY, increment.RANK, increment.DUPLICATE, increment.TIE))


def versions(events: DataFrame, o: Scd2Options, data: list[str]) -> DataFrame:
    """The rows that delivering ``events`` (resolved) in order gives: the ``data`` columns, the history
    columns and :data:`TIED`.

    A non-delete event *starts* a version when the key has no current row or its tracked
    values differ; a version ends at the next start or delete; its values are those of its
    last event that changed a value other than ``sequence_by`` (an in-place update; a
    repeat of the current values changes nothing).
    """
    keys, seq, h = [col(k) for k in o.keys], col(o.sequence_by), o.columns
    values = [c for c in data if c not in o.keys]
    deleted = is_delete(side(), o)
    tracked = F.struct(*[col(c) for c in o.tracked(data)]) if o.tracked(data) else F.lit(0)
    rest = F.struct(*[col(c) for c in values if c != o.sequence_by]) if len(values) > 1 else F.lit(0)
    by_key = Window.partitionBy(*keys).orderBy(seq)
    previous = F.lag(F.struct(deleted.alias("deleted"), tracked.alias("tracked"), rest.alias("rest"))).over(by_key)
    start = ~deleted & (previous.isNull() | previous["deleted"] | ~previous["tracked"].eqNullSafe(tracked))
    changed = start | ~previous["rest"].eqNullSafe(rest)
    flagged = (events.withColumn(START, start).withColumn(CHANGED, changed)
               .withColumn(NEXT, F.min(F.when(F.col(START) | deleted, seq))
                           .over(by_key.rowsBetween(1, Window.unboundedFollowing)))
               .withColumn(GROUP, F.sum(F.col(START).cast("long"))
                           .over(by_key.rowsBetween(Window.unboundedPreceding, Window.currentRow))))
    rows = flagged.filter(~deleted).groupBy(*keys, F.col(GROUP)).agg(
        F.min(seq).alias(h.valid_from),
        F.min_by(F.col(NEXT), seq).alias(h.valid_to),
        F.max_by(F.struct(*[col(c) for c in values]), F.when(F.col(CHANGED), seq)).alias(ROW),
        F.max(F.col(TIED)).alias(TIED))
    return rows.select(*[col(c) if c in o.keys else F.col(ROW).getField(c).alias(c) for c in data],
                       col(h.valid_from), col(h.valid_to), col(h.valid_to).isNull().alias(h.is_current), TIED)


def diff(desired: DataFrame, stored: DataFrame, o: Scd2Options, columns: list[str],
         partition_by: list[str]) -> DataFrame:
    """``desired`` (from :func:`versions`) against ``stored`` by keys and ``valid_from``: the table's
    ``columns`` with :data:`ACTION` (insert, update, delete or same), :data:`TIED`, and the stored
    row's partition values (prefix :data:`OLD`)."""
    ids = [*o.keys, o.columns.valid_from]
    new = desired.select(*[col(c).alias(_NEW + c) for c in [*columns, TIED]], F.lit(True).alias(_NEW + PRESENT))
    old = stored.select(*[col(c).alias(_STORED + c) for c in columns], F.lit(True).alias(_STORED + PRESENT))
    joined = new.join(old, all_of([col(_NEW + c) == col(_STORED + c) for c in ids]), "full")
    same = all_of([col(_NEW + c).eqNullSafe(col(_STORED + c)) for c in columns])
    action = (F.when(col(_STORED + PRESENT).isNull(), INSERT).when(col(_NEW + PRESENT).isNull(), DELETE)
              .when(same, SAME).otherwise(UPDATE))
    return joined.select(*[_either(c) if c in ids else col(_NEW + c).alias(c) for c in columns],
                         *[col(_STORED + c).alias(OLD + c) for c in partition_by],
                         action.alias(ACTION), F.coalesce(col(_NEW + TIED), F.lit(False)).alias(TIED))


def _either(c: str) -> Column:
    return F.coalesce(col(_NEW + c), col(_STORED + c)).alias(c)
