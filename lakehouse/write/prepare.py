"""One write (:class:`Write`) and its increment prepared against the stored table, for a commit and for
its plan alike.

* :func:`classify`: a merge's increment classified by the merge rules (:mod:`lakehouse.write.merge`),
  with the stored rows it matches and the live tombstones.
* :func:`rebuild`: a history table's changes rebuilt from its events (:mod:`lakehouse.write.scd2`).

:mod:`lakehouse.write.commit` commits what these return; its ``plan`` counts them without committing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, StructField, StructType

from lakehouse.spec.target import Scd2Target, Target
from lakehouse.table.lineage import RunLineage
from lakehouse.table.log import TableLog
from lakehouse.table.ref import TableRef
from lakehouse.write import merge, scd2, tombstones
from lakehouse.write.order import DELETE_FLAG, in_key_ranges, in_partitions, side

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
    evolve: bool = False
    """The commit adds or widens columns (``target.on_schema_change: add_columns``)."""

    @property
    def columns(self) -> list[str]:
        """The columns the table stores."""
        return [c for c in self.df.columns if c != DELETE_FLAG]

    @property
    def columns_schema(self) -> StructType:
        """The schema of the columns the table stores (a history table: with the history columns)."""
        fields = [f for f in self.df.schema.fields if f.name != DELETE_FLAG]
        if isinstance(self.target, Scd2Target):
            o = self.target.scd2
            kind = self.df.schema[o.sequence_by].dataType
            fields += [StructField(o.columns.valid_from, kind), StructField(o.columns.valid_to, kind),
                       StructField(o.columns.is_current, BooleanType())]
        return StructType(fields)


def rebuild(w: Write, history: TableLog) -> tuple[DataFrame, scd2.Scd2Plan]:
    """A history table's changes rebuilt from its events and the increment (cached: unpersist them), and
    their plan (rules in :mod:`lakehouse.write.scd2`)."""
    return scd2.rebuild(w.spark, w.table, w.df, w.target.scd2, schema=w.columns_schema,
                        partition_by=w.target.partition_by, lineage=w.lineage, log=history,
                        key_ranges=w.key_ranges)


def classify(w: Write, history: TableLog) -> tuple[DataFrame, merge.MergePlan, TableRef | None]:
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
