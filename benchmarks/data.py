"""Benchmark data: an orders table partitioned by day, and one CDC increment.

The base table holds ``n`` orders over 365 days (2023-01-01 .. 2023-12-31, one
``order_date`` partition per day, one file per partition).  ``order_id`` grows with
the date, as in a shop, so keys correlate with partitions.  Every column of an order
is a function of its ``order_id``, so the increment can name stored rows exactly.

The increment (one Parquet file, 20,000 rows by default) is the next day's load:

* 12,000 updates of orders of the last 7 days (newer ``updated_at``),
* 2,000 deletes (``op = 'D'``, newer ``updated_at``),
* 2,000 stale rows (an ``updated_at`` older than the stored row's: must be ignored),
* 2,000 duplicates of updated keys, half newer and half older than the update, written
  after it in the file (the newest row per key must win, whatever the file order),
* 2,000 new orders (the new day, 2024-01-01).

Below about 730,000 rows the last 7 days hold fewer than 16,000 orders and every part
shrinks in proportion; :class:`Increment` says what was generated.

Everything is built once per size under the work folder and reused; folder names
carry :data:`VERSION` and a hash of the table properties, so a change to either
builds afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

VERSION = "v2"
"""Bump when the generated data changes: cached tables and increments are rebuilt."""
DAYS = 365
START = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
SCHEMA = ("order_id BIGINT, customer_id BIGINT, status STRING, amount DECIMAL(10,2), "
          "ordered_at TIMESTAMP, updated_at TIMESTAMP, op STRING, order_date DATE")
COLUMNS = [c.split()[0] for c in SCHEMA.split(", ")]
ICT = "delta.enableInCommitTimestamps"


def table_properties(retention_days: int = 30) -> tuple[dict[str, str], str]:
    """The properties lakehouse gives a table it creates, and where they came from.

    Taken from lakehouse itself while it has a ``table_properties(target, retention_days)``
    (``lakehouse.writers`` or ``lakehouse.write.commit``); otherwise the same defaults,
    written out here.
    """
    for module in ("lakehouse.writers", "lakehouse.write.commit"):
        try:
            found = __import__(module, fromlist=["table_properties"]).table_properties
            from lakehouse.spec.target import MergeTarget

            target = MergeTarget.model_validate({"mode": "merge", "path": "orders", "merge": {"keys": ["order_id"]}})
            return dict(found(target, retention_days)), f"{module}.table_properties"
        except Exception:  # noqa: BLE001 - moved, renamed or a new signature: use the fallback
            continue
    window = f"interval {retention_days} days"
    return {"delta.enableChangeDataFeed": "true", ICT: "true", "delta.logRetentionDuration": window,
            "delta.deletedFileRetentionDuration": window}, "benchmarks.data (lakehouse's function not found)"


def orders(ids: DataFrame, n: int, *keep: str) -> DataFrame:
    """The stored orders for the ids in column ``id`` of ``ids`` (a table of ``n`` orders),
    with the columns ``keep`` of ``ids``."""
    day = F.floor(F.col("id") * DAYS / n)
    ordered_at = F.timestamp_seconds(F.lit(int(START.timestamp())) + day * 86400 + (F.col("id") * 7919) % 86400)
    return ids.select(
        F.col("id").alias("order_id"),
        (F.col("id") % 100_003).alias("customer_id"),
        F.lit("NEW").alias("status"),
        ((F.col("id") % 100_000) / 100).cast("decimal(10,2)").alias("amount"),
        ordered_at.alias("ordered_at"),
        (ordered_at + F.expr("INTERVAL 1 HOUR")).alias("updated_at"),
        F.lit("I").alias("op"),
        F.to_date(ordered_at).alias("order_date"), *keep)


def base_table(spark: SparkSession, work: Path, n: int, properties: dict[str, str]) -> Path:
    """The base table of ``n`` orders with ``properties`` (built once under ``work``)."""
    tag = hashlib.sha1(json.dumps(properties, sort_keys=True).encode()).hexdigest()[:8]
    path = work / f"base-{VERSION}-{n}-{tag}"
    if (path / "_delta_log").is_dir():
        return path
    building = path.with_name(path.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    print(f"  building base table of {n:,} rows: {path}", flush=True)
    (orders(spark.range(n), n).repartition("order_date").write.format("delta")
     .partitionBy("order_date").options(**properties).save(str(building)))
    building.rename(path)  # only a complete table is ever reused
    return path


@dataclass(frozen=True)
class Increment:
    """The increment's folder and what it holds (which decides the right result)."""

    path: Path
    rows: int
    updates: int
    deletes: int
    stale: int
    duplicates: int
    inserts: int
    base_rows: int

    @property
    def expected(self) -> dict:
        """What a merge with the lakehouse rules must do, and the statuses of the table after it."""
        newer_dups = (self.duplicates + 1) // 2  # the duplicate wins for every other updated key
        rows_after = self.base_rows + self.inserts - self.deletes
        statuses = {"NEW": rows_after - self.updates, "SHIPPED": self.updates - newer_dups, "DELIVERED": newer_dups}
        return {"inserted": self.inserts, "updated": self.updates, "deleted": self.deletes,
                "rows_after": rows_after, "statuses": {k: v for k, v in statuses.items() if v}}

    def describe(self) -> str:
        return (f"increment {self.rows:,} rows: {self.updates:,} updates, {self.deletes:,} deletes, "
                f"{self.stale:,} stale, {self.duplicates:,} duplicates, {self.inserts:,} inserts")


def increment(spark: SparkSession, work: Path, n: int, rows: int = 20_000) -> Increment:
    """The increment for a table of ``n`` orders, one Parquet file (built once under ``work``)."""
    path = work / f"increment-{VERSION}-{n}-{rows}"
    meta = path.with_name(path.name + ".json")
    if meta.is_file() and path.is_dir():
        return Increment(path=path, **json.loads(meta.read_text()))
    recent = -(-n * (DAYS - 7) // DAYS)  # the first order of the last 7 days: day(id) >= 358
    available = n - recent
    touched = min(rows // 10 * 8, available // 8 * 8)  # stored orders the increment names
    k = touched // 8
    # stored order i of `touched`, spread evenly over the last 7 days; role i % 8:
    # 0-5 update, 6 delete, 7 stale; role 0 also gets a duplicate (newer if i % 16 == 0)
    picked = spark.range(touched).select(F.expr(f"{recent} + id * {available} div {touched}").alias("id"),
                                         (F.col("id") % 16).alias("_i"))
    stored = orders(picked, n, "_i")
    role, hours = F.col("_i") % 8, lambda h: F.col("updated_at") + F.expr(f"INTERVAL {h} HOURS")
    updates = (stored.filter(role < 6).withColumn("status", F.lit("SHIPPED"))
               .withColumn("amount", (F.col("amount") + 1).cast("decimal(10,2)"))
               .withColumn("updated_at", hours(24)).withColumn("op", F.lit("U")))
    deletes = stored.filter(role == 6).withColumn("updated_at", hours(24)).withColumn("op", F.lit("D"))
    stale = (stored.filter(role == 7).withColumn("status", F.lit("LOST"))
             .withColumn("updated_at", hours(-1)).withColumn("op", F.lit("U")))
    newer = F.col("_i") == 0
    dups = (updates.filter(role == 0)
            .withColumn("status", F.when(newer, F.lit("DELIVERED")).otherwise(F.lit("PACKED")))
            .withColumn("updated_at", F.when(newer, hours(1)).otherwise(hours(-1))))
    inserts = orders(spark.range(n, n + k), n)
    parts = [inserts, updates, deletes, stale, dups]  # in this order in the file
    df = parts[0].select(*COLUMNS)
    for part in parts[1:]:
        df = df.unionByName(part.select(*COLUMNS))
    writing = path.with_name(path.name + ".building")
    previous = spark.conf.get("spark.sql.parquet.outputTimestampType")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")  # what pyarrow/delta-rs expect
    try:
        df.coalesce(1).write.mode("overwrite").parquet(str(writing))
    finally:
        spark.conf.set("spark.sql.parquet.outputTimestampType", previous)
    shutil.rmtree(path, ignore_errors=True)
    writing.rename(path)
    counts = {"rows": 10 * k, "updates": 6 * k, "deletes": k, "stale": k, "duplicates": k, "inserts": k,
              "base_rows": n}
    meta.write_text(json.dumps(counts))
    return Increment(path=path, **counts)


def describe_increment(inc: Increment) -> dict:
    """The increment as JSON-friendly data."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(inc).items()} | {"expected": inc.expected}
