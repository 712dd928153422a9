"""Benchmark data: an orders table partitioned by day, and one CDC increment of 20,000 rows.

The base table has ``n`` orders over 365 days (``order_id`` grows with the date, as in a
shop); it is written once per size and reused.  The increment touches the last 7 days:
12,000 updates, 2,000 deletes, 2,000 stale rows (older than the stored row), 2,000
later duplicates of updated keys, and 2,000 new orders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.spec import MergeTarget
from lakehouse.write.commit import table_properties

DAYS = 365
START = "2023-01-01"
SCHEMA_COLUMNS = ["order_id", "customer_id", "status", "amount", "ordered_at", "updated_at", "op", "order_date"]


def _orders(ids: DataFrame, n: int) -> DataFrame:
    day = F.floor(F.col("id") * DAYS / n).cast("int")
    ordered_at = F.timestamp_seconds(F.unix_timestamp(F.lit(START + " 00:00:00")) + day * 86400 + F.col("id") % 86400)
    return ids.select(
        F.col("id").alias("order_id"), (F.col("id") % 100_000).alias("customer_id"), F.lit("NEW").alias("status"),
        ((F.col("id") % 10_000) / 100).cast("decimal(10,2)").alias("amount"), ordered_at.alias("ordered_at"),
        ordered_at.alias("updated_at"), F.lit("I").alias("op"), F.to_date(ordered_at).alias("order_date"))


def base_table(spark: SparkSession, work: Path, n: int, *, in_commit_timestamps: bool = True) -> Path:
    """The base table of ``n`` orders (built once under ``work``).

    delta-rs cannot write tables with in-commit timestamps (a writer feature lakehouse
    turns on): it gets a copy made without them.
    """
    path = work / f"base_{n}" if in_commit_timestamps else work / f"base_{n}_no_ict"
    if (path / "_delta_log").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    target = MergeTarget.model_validate({"mode": "merge", "path": "x", "merge": {"keys": ["order_id"]}})
    properties = table_properties(target, 30)
    if not in_commit_timestamps:
        del properties["delta.enableInCommitTimestamps"]
    (_orders(spark.range(n), n).repartition("order_date").write.format("delta").partitionBy("order_date")
     .options(**properties).save(str(path)))
    return path


def increment(spark: SparkSession, work: Path, n: int, rows: int = 20_000) -> Path:
    """The increment as one Parquet file (built once)."""
    path = work / f"increment_{n}" / "orders.parquet"
    if path.exists():
        return path.parent
    recent = n - n * 7 // DAYS  # the first order of the last 7 days
    part = rows // 10
    later = lambda h: F.col("updated_at") + F.expr(f"INTERVAL {h} HOURS")  # noqa: E731
    stored = _orders(spark.range(recent, n), n).sample(fraction=min(1.0, 8 * part / max(n - recent, 1)), seed=7)
    stored = stored.limit(8 * part).withColumn("_i", F.monotonically_increasing_id())
    slices = stored.withColumn("_k", F.col("_i") % 8)
    updates = slices.filter("_k < 6").withColumn("status", F.lit("SHIPPED")).withColumn("updated_at", later(24))
    deletes = slices.filter("_k = 6").withColumn("op", F.lit("D")).withColumn("updated_at", later(24))
    stale = slices.filter("_k = 7").withColumn("status", F.lit("LOST")).withColumn("updated_at", later(-1))
    dups = updates.limit(part).withColumn("status", F.lit("DELIVERED")).withColumn("updated_at", later(25))
    inserts = _orders(spark.range(n, n + part), n)
    parts = [updates, deletes, stale, dups]
    df = inserts.unionByName(parts[0].select(*SCHEMA_COLUMNS))
    for p in parts[1:]:
        df = df.unionByName(p.select(*SCHEMA_COLUMNS))
    df.coalesce(1).write.mode("overwrite").parquet(str(path.parent))
    return path.parent
