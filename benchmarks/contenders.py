"""The merges compared: lakehouse, the tutorial merge, the same rules by hand, and delta-rs.

Each contender takes the SparkSession, the increment folder and the path of its own
fresh copy of the table, and merges the increment into it.  All but the tutorial
merge implement the same rules: the latest row per key, deletes, never an older row
over a newer one, and a partition predicate on the touched days.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakehouse.loader import load_job, load_profile
from lakehouse.runner import run_job


def _latest(spark: SparkSession, increment: Path) -> DataFrame:
    latest = Window.partitionBy("order_id").orderBy(F.col("updated_at").desc(), F.col("op").asc())
    df = spark.read.parquet(str(increment))
    return df.withColumn("_r", F.row_number().over(latest)).filter("_r = 1").drop("_r")


def tutorial(spark: SparkSession, increment: Path, table: Path) -> None:
    """The merge of the Delta tutorial: dedup, then update all and insert all, no partition predicate."""
    source = _latest(spark, increment)
    (DeltaTable.forPath(spark, str(table)).alias("t").merge(source.alias("s"), "t.order_id = s.order_id")
     .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())


def by_hand(spark: SparkSession, increment: Path, table: Path) -> None:
    """The lakehouse rules written by hand with delta-spark."""
    source = _latest(spark, increment).cache()
    days = [r[0] for r in source.select("order_date").distinct().collect()]
    predicate = F.col("t.order_id") == F.col("s.order_id")
    predicate = predicate & F.col("t.order_date").isin(days)
    newer = F.col("s.updated_at") > F.col("t.updated_at")
    (DeltaTable.forPath(spark, str(table)).alias("t").merge(source.alias("s"), predicate)
     .whenMatchedDelete(condition=(F.col("s.op") == "D") & (F.col("s.updated_at") >= F.col("t.updated_at")))
     .whenMatchedUpdateAll(condition=(F.col("s.op") != "D") & newer)
     .whenNotMatchedInsertAll(condition=F.col("s.op") != "D").execute())
    source.unpersist()


def delta_rs(spark: SparkSession, increment: Path, table: Path) -> None:
    """The same rules with delta-rs (no JVM): dedup with pyarrow, merge with deltalake."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    from deltalake import DeltaTable as RsTable

    data = ds.dataset(str(increment), format="parquet").to_table()
    data = data.sort_by([("order_id", "ascending"), ("updated_at", "descending"), ("op", "ascending")])
    ids = data.column("order_id")
    changed = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).combine_chunks()
    data = data.filter(pa.concat_arrays([pa.array([True]), changed]))
    days = sorted({d.isoformat() for d in data.column("order_date").to_pylist()})
    day_list = ", ".join(f"'{d}'" for d in days)
    (RsTable(str(table)).merge(data, predicate=f"t.order_id = s.order_id AND t.order_date IN ({day_list})",
                               source_alias="s", target_alias="t")
     .when_matched_delete("s.op = 'D' AND s.updated_at >= t.updated_at")
     .when_matched_update_all("s.op <> 'D' AND s.updated_at > t.updated_at")
     .when_not_matched_insert_all("s.op <> 'D'").execute())


class Lakehouse:
    """``run_job`` in the same SparkSession, on a job spec written into ``work``."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.runs = 0
        (work / "project" / "conf").mkdir(parents=True, exist_ok=True)
        local = yaml.safe_load((Path(__file__).resolve().parents[1] / "conf" / "local.yaml").read_text())
        local["roots"] = {"raw": str(work), "lake": str(work)}
        local.pop("warehouse", None)
        (work / "project" / "conf" / "bench.yaml").write_text(yaml.safe_dump(local))
        self.profile = load_profile("bench", work / "project" / "conf")

    def __call__(self, spark: SparkSession, increment: Path, table: Path) -> None:
        spec = {"name": "orders", "source": {
            "format": "parquet", "path": f"{increment.name}/*.parquet",
            "schema": "order_id BIGINT, customer_id BIGINT, status STRING, amount DECIMAL(10,2), "
                      "ordered_at TIMESTAMP, updated_at TIMESTAMP, op STRING, order_date DATE"},
            "target": {"path": table.name, "partition_by": ["order_date"], "mode": "merge",
                       "merge": {"keys": ["order_id"], "sequence_by": "updated_at", "delete_when": "op = 'D'"}}}
        job = self.work / "project" / "orders.yaml"
        job.write_text(yaml.safe_dump(spec))
        self.runs += 1  # a fresh run date each time: never skipped as already loaded
        run_job(load_job(job), self.profile, f"2024-01-{1 + self.runs % 28:02d}", project_dir=self.work / "project",
                spark=spark)
