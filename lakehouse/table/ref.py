"""A reference to one Delta table, by path or by metastore name."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse._sql import TABLE_NAME_RE, quote_ident, quote_table_name
from lakehouse.errors import TableError
from lakehouse.spec.profile import is_uri

if TYPE_CHECKING:  # Spark and Delta are imported where used: naming a table needs neither (the delta-rs audit path)
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, DataFrameReader, DataFrameWriter, SparkSession
    from pyspark.sql.types import StructType


SIDE_TABLE_PREFIX = "_lakehouse_"
"""Folders inside a table's folder that hold lakehouse's own Delta tables (tombstones, change events);
Delta's VACUUM of the table skips folders whose name starts with ``_``."""

COMMIT_FILE_RE = re.compile(r"^\d{20}\.(json|checkpoint(\.\d+\.\d+)?\.parquet)$")
"""A Delta log entry that holds a version: a commit or a checkpoint."""


@dataclass(frozen=True)
class TableRef:
    """Exactly one of ``path`` (a location) or ``name`` (``schema.table``).

    ``location`` is where the first write creates a named table (an external table);
    without it the table is managed by the catalog.
    """

    path: str | None = None
    name: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.name is None):
            raise ValueError("TableRef needs exactly one of path or name")

    @classmethod
    def parse(cls, text: str) -> "TableRef":
        """A metastore name if ``text`` looks like ``schema.table``, else a path."""
        if TABLE_NAME_RE.match(text) and "." in text and not text.startswith("."):
            return cls(name=text)
        return cls(path=text)

    def __str__(self) -> str:
        return self.name or self.path or ""

    @property
    def sql(self) -> str:
        """The table as it is spelt in Spark SQL, quoted."""
        if self.name:
            return quote_table_name(self.name)
        return f"delta.{quote_ident(self.path if is_uri(self.path) else os.path.abspath(self.path))}"

    def exists(self, spark: SparkSession) -> bool:
        if self.name:
            return spark.catalog.tableExists(self.name)
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(spark, self.path)

    def delta(self, spark: SparkSession) -> DeltaTable:
        """The DeltaTable; a TableError if there is none."""
        table = self.delta_or_none(spark)
        if table is None:
            raise TableError(f"no Delta table at {self}")
        return table

    def delta_or_none(self, spark: SparkSession) -> DeltaTable | None:
        """The DeltaTable, or None if there is none (one existence check)."""
        if not self.exists(spark):
            return None
        from delta.tables import DeltaTable

        return DeltaTable.forName(spark, self.name) if self.name else DeltaTable.forPath(spark, self.path)

    def read(self, reader: DataFrameReader) -> DataFrame:
        return reader.table(self.name) if self.name else reader.format("delta").load(self.path)

    def save(self, writer: DataFrameWriter, *, create: bool = False) -> None:
        if self.name:
            if create and self.location:
                writer = writer.option("path", self.location)
            writer.format("delta").saveAsTable(self.name)
        else:
            writer.format("delta").save(self.path)

    def create_schema(self, spark: SparkSession) -> None:
        """``CREATE SCHEMA IF NOT EXISTS`` for a named table's schema (``catalog.schema`` when three-part)."""
        schema = self.name.rpartition(".")[0] if self.name else ""
        if schema:
            spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote_table_name(schema)}")

    def layout(self, spark: SparkSession, table: DeltaTable) -> tuple[StructType, list[str]]:
        """(schema, partition columns) of ``table`` (this table, loaded), from the Delta log (no query)."""
        schema = table.toDF().schema  # the loaded snapshot's schema: analysis only, no Spark job
        from py4j.protocol import Py4JError

        try:  # the snapshot the DeltaTable just loaded: no DESCRIBE DETAIL, no Spark job
            snapshot = table._jdt.deltaLog().unsafeVolatileSnapshot()
            partitions = str(snapshot.metadata().partitionColumns().mkString("\u0001"))
            return schema, [p for p in partitions.split("\u0001") if p]
        except Py4JError:  # an older or newer Delta without these internals
            detail = spark.sql(f"DESCRIBE DETAIL {self.sql}").select("partitionColumns").first()
            return schema, list(detail["partitionColumns"])

    def table_property(self, spark: SparkSession, table: DeltaTable, name: str) -> str | None:
        """The value of table property ``name`` of ``table`` (this table, loaded), None when unset."""
        from py4j.protocol import Py4JError

        try:  # the snapshot the DeltaTable just loaded: no DESCRIBE DETAIL, no Spark job
            value = table._jdt.deltaLog().unsafeVolatileSnapshot().metadata().configuration().get(name)
            return str(value.get()) if value.isDefined() else None
        except Py4JError:  # an older or newer Delta without these internals
            detail = spark.sql(f"DESCRIBE DETAIL {self.sql}").select("properties").first()
            return detail["properties"].get(name)  # Delta's own map of properties, not a spec

    def foreign_files(self, spark: SparkSession) -> list[str]:
        """Names in the table's folder when it holds no Delta table (empty: absent, empty or a table)."""
        location = self.path or self.location
        if location is None or self.exists(spark):
            return []
        entries = [e for e in folder_entries(spark, location) if not e.startswith(SIDE_TABLE_PREFIX)]
        return [] if "_delta_log" in entries else entries

    def side_table(self, spark: SparkSession, folder: str) -> "TableRef | None":
        """The path table ``folder`` (a name starting with :data:`SIDE_TABLE_PREFIX`) inside this table's
        folder; None for a managed table not created yet (it has no folder)."""
        if self.path:
            base = self.path if is_uri(self.path) else os.path.abspath(self.path)
        elif self.location:
            base = self.location
        elif self.exists(spark):
            base = self.location_of(spark)
        else:
            return None
        return TableRef(path=f"{base.rstrip('/')}/{folder}")

    def location_of(self, spark: SparkSession) -> str:
        """The table's folder: the path, or a named table's location in the catalog."""
        if self.path:
            return self.path
        return spark.sql(f"DESCRIBE DETAIL {self.sql}").select("location").first()["location"]

    def version(self, spark: SparkSession) -> int:
        """The latest committed version."""
        return self.delta(spark).history(1).collect()[0]["version"]


def path_exists(spark: SparkSession, location: str) -> bool:
    """A file or folder exists at ``location`` (a path or URI), asked of Hadoop's file system."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path)


def folder_entries(spark: SparkSession, location: str) -> list[str]:
    """The names in folder ``location`` (empty when it does not exist or is a file), asked of Hadoop."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(path) or not fs.getFileStatus(path).isDirectory():
        return []
    return sorted(str(status.getPath().getName()) for status in fs.listStatus(path))


def has_commits(spark: SparkSession, location: str) -> bool:
    """A Delta table with at least one commit is at ``location`` itself (not above it, as
    ``DeltaTable.isDeltaTable`` would find).  A ``_delta_log`` folder left without a commit by a
    killed first write does not count: the next write creates the table."""
    return any(COMMIT_FILE_RE.match(name) for name in folder_entries(spark, location.rstrip("/") + "/_delta_log"))
