"""The table as a write finds it: read once per attempt, and checked before anything is written.

* :func:`state` reads the table's log once (:func:`lakehouse.table.log.read`); a folder that holds files but no Delta
  table is refused (the job would turn it into a table, and a later vacuum would delete
  its files).
* :func:`check_properties`: a table with the change data feed cannot hold its reserved columns, and
  ``delta.enableTypeWidening`` needs a Delta that widens types on write (4.0 or later,
  :func:`lakehouse.runtime.compat.type_widening_missing`).
* :func:`check_table`: the partitioning must match the table's, and the run's columns and types
  the table's under ``target.on_schema_change`` (the comparison is :mod:`.evolve`).
"""

from __future__ import annotations

from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from lakehouse.errors import SpecError
from lakehouse.runtime.compat import type_widening_missing
from lakehouse.spec.target import MergeTarget, Target
from lakehouse.table import log
from lakehouse.table.log import TableLog
from lakehouse.table.ref import TableRef
from lakehouse.write.evolve import TYPE_WIDENING, SchemaPlan, check, compare


@dataclass(frozen=True)
class TableState:
    """The table as one attempt of a write saw it: its log and the loaded DeltaTable (no commits and
    None when it does not exist yet).  Read once per attempt; every later step uses it."""

    log: TableLog
    delta: DeltaTable | None

    @property
    def version(self) -> int | None:
        return self.log.latest

    @property
    def exists(self) -> bool:
        return self.delta is not None


def state(spark: SparkSession, table: TableRef) -> TableState:
    """Read ``table``'s log once; refuse a folder that holds files but no Delta table."""
    delta = table.delta_or_none(spark)
    if delta is None:
        strangers = table.foreign_files(spark)
        if strangers:
            field = "target.path" if table.path else "target.table"
            raise SpecError(f"{table.path or table.location} is not a Delta table but holds other files "
                            f"({', '.join(strangers[:3])}{', ...' if len(strangers) > 3 else ''}); "
                            "point the target at an empty or new folder", field=field)
        return TableState(TableLog(str(table)), None)
    return TableState(log.read(spark, table, exists=True), delta)


CHANGE_DATA_COLUMNS = ("_change_type", "_commit_version", "_commit_timestamp")
"""Columns Delta reserves in a table with the change data feed (a Delta source's change columns)."""


def check_properties(spark: SparkSession, columns: list[str], properties: dict[str, str]) -> None:
    """The table ``properties`` of a job (the defaults and ``target.properties``) must suit its ``columns`` and
    the session's Delta: a table with the change data feed cannot hold the feed's own columns (Delta would
    refuse it only after writing the data files), and type widening needs Delta 4.0 or later."""
    reserved = [c for c in columns if c.lower() in CHANGE_DATA_COLUMNS]
    if reserved and properties["delta.enableChangeDataFeed"].lower() == "true":
        raise SpecError(f"columns {', '.join(reserved)} are reserved by the change data feed of the target table: "
                        "rename them (e.g. _commit_version: source_version) or set target.properties "
                        "delta.enableChangeDataFeed: 'false'", field="transform.rename")
    missing = properties.get(TYPE_WIDENING, "").lower() == "true" and type_widening_missing(spark)
    if missing:
        raise SpecError(f"{TYPE_WIDENING}: {missing}; remove the property, or run on Spark 4 with Delta 4",
                        field="target.properties")


def check_table(spark: SparkSession, table: TableRef, target: Target, columns: StructType,
                delta: DeltaTable) -> SchemaPlan:
    """The declared partitioning must match the existing table's, and the run's ``columns`` its columns
    under ``target.on_schema_change``: returns the schema changes the write makes (:mod:`.evolve`)."""
    schema, stored = table.layout(spark, delta)
    if stored != list(target.partition_by):
        raise SpecError(f"table {table} is partitioned by {stored}, the spec declares "
                        f"{list(target.partition_by)}", field="target.partition_by")
    policy = target.on_schema_change
    widening = policy == "add_columns" and (table.table_property(spark, delta, TYPE_WIDENING) or "").lower() == "true"
    return check(compare(schema, columns, policy=policy, fixed=fixed_columns(target), type_widening=widening,
                         widening_missing=type_widening_missing(spark) if widening else None, name=str(table)))


def fixed_columns(target: Target) -> list[str]:
    """Columns a run can neither add nor change the type of: partition columns, merge keys and ordering."""
    merge = target.merge if isinstance(target, MergeTarget) else None
    return [*target.partition_by, *(merge.keys + merge.ordering if merge else [])]
