"""The audit commands' Spark-side text: the history table, a record's changes, ISO timestamps.

Imported by :mod:`lakehouse.cli.audit` only when a command runs on Spark.
"""

from __future__ import annotations

import json

from pyspark.sql import functions as F

from lakehouse.cli.render import table, text_rows
from lakehouse.table.lineage import SourceVersions


def iso(column: str):
    """A timestamp as ISO text with milliseconds and the session zone's offset (``Z`` for UTC)."""
    return F.date_format(column, "yyyy-MM-dd HH:mm:ss.SSSXXX").alias(column)


def schema_text(name: str):
    """A run's schema changes as one cell: ``added channel STRING, widened n INT to BIGINT``."""
    def text(c):
        kind = F.coalesce(c["type"], F.concat(c["from"], F.lit(" to "), c["to"]))
        return F.concat_ws(" ", c["change"], c["column"], F.when(c["change"] != "ignored", kind))

    return F.coalesce(F.array_join(F.transform(name, text), ", "), F.lit("")).alias("schema")


def history_table(df) -> str:
    """The history as aligned columns: a restore's target and reason, the rows a job's filters removed,
    and what it read (its source files, or the versions of its Delta source)."""
    restored = F.concat(F.lit(" to v"), F.col("restored_version").cast("string"))
    files = F.array_join(F.transform("source_files", lambda f: F.regexp_extract(f, r"[^/]*/[^/]*$", 0)), ", ")
    shown = df.select("version", iso("timestamp"), F.concat("operation", F.coalesce(restored, F.lit(""))),
                      "rows_inserted", "rows_updated", "rows_deleted", "rows_filtered_out", "files_added",
                      "files_removed", "job", "run_date", "run_id", "readable", files, "source_versions",
                      F.coalesce("restore_reason", F.lit("")), schema_text("schema_changes"))
    _, rows = text_rows(shown)
    for row in rows:  # the source: a Delta source's versions, worded in one place, else the files
        versions = row.pop(14)
        if versions is not None:
            row[13] = SourceVersions(**json.loads(versions)).describe()
    columns = ["version", "timestamp", "operation", "inserted", "updated", "deleted", "filtered", "+files", "-files",
               "job", "run_date", "run_id", "readable", "source", "reason", "schema"]
    return table(columns, rows, [name in ("version", "inserted", "updated", "deleted", "filtered", "+files", "-files")
                                 for name in columns])


def change_text(df):
    """``col: before → after`` for each changed column (the row's values for an insert or delete)."""
    fields = df.schema["after"].dataType.fieldNames()

    def text(side: str, name: str):
        return F.coalesce(F.col(side).getField(name).cast("string"), F.lit("NULL"))

    def one(name: str):
        update = F.concat(F.lit(f"{name}: "), text("before", name), F.lit(" → "), text("after", name))
        row = F.concat(F.lit(f"{name}="), F.when(F.col("change") == "insert", text("after", name))
                       .otherwise(text("before", name)))
        return F.when(F.array_contains("changed_columns", name),
                      F.when(F.col("change") == "update", update).otherwise(row))

    parts = [one(name) for name in fields]
    return F.concat_ws(", ", *parts)
