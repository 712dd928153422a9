"""The table as a write finds it: read once per attempt, and checked before anything is written.

* :func:`state` reads the table's log once (:func:`lakehouse.table.log.read`); a folder that holds files but no Delta
  table is refused (the job would turn it into a table, and a later vacuum would delete
  its files).
* :func:`check_change_columns`: a table with the change data feed cannot hold its reserved columns.
* :func:`check_table`: the run's columns, their types and the partitioning must match the
  table's, in every mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from lakehouse.errors import DataError, SpecError
from lakehouse.spec.target import Target
from lakehouse.table import log
from lakehouse.table.log import TableLog
from lakehouse.table.ref import TableRef


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


def check_change_columns(columns: list[str], properties: dict[str, str]) -> None:
    """A table with the change data feed cannot hold the feed's own columns (Delta would refuse it only
    after writing the data files)."""
    reserved = [c for c in columns if c.lower() in CHANGE_DATA_COLUMNS]
    if reserved and properties["delta.enableChangeDataFeed"].lower() == "true":
        raise SpecError(f"columns {', '.join(reserved)} are reserved by the change data feed of the target table: "
                        "rename them (e.g. _commit_version: source_version) or set target.properties "
                        "delta.enableChangeDataFeed: 'false'", field="transform.rename")


def check_table(spark: SparkSession, table: TableRef, target: Target, columns: StructType,
                delta: DeltaTable) -> None:
    """The run's ``columns``, their types and the declared partitioning must match the existing table."""
    schema, stored = table.layout(spark, delta)
    if stored != list(target.partition_by):
        raise SpecError(f"table {table} is partitioned by {stored}, the spec declares "
                        f"{list(target.partition_by)}", field="target.partition_by")
    table_types = {f.name: f.dataType for f in schema.fields}
    run_types = {f.name: f.dataType for f in columns.fields}
    missing = [c for c in table_types if c not in run_types]
    extra = [c for c in run_types if c not in table_types]
    if missing or extra:
        raise DataError(f"the run's columns do not match table {table}: "
                        f"missing {missing or 'none'}, not in the table {extra or 'none'}; nothing was written")
    for name, kind in run_types.items():
        if kind != table_types[name]:
            raise SpecError(f"column {name} is {kind.simpleString().upper()} in the run but "
                            f"{table_types[name].simpleString().upper()} in table {table}; declare or cast it "
                            "to the table's type", field="source.schema")
