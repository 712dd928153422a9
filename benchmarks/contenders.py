"""The merges compared.

Each contender is called as ``merge(spark, increment, table)``: it reads the increment
folder and merges it into the Delta table at ``table`` (its own fresh copy of the
base table), ending with the commit.  All but the tutorial merge follow the same rules:

* the newest row per key wins (``updated_at``; at an equal time a delete wins),
* a row older than the stored row changes nothing (stale),
* ``op = 'D'`` deletes the stored row, and inserts nothing when the key is not stored,
* the merge condition names the increment's partitions (``order_date IN (...)``).

The tutorial merge (the Delta documentation's upsert) dedups the same way but has no
partition predicate and no delete or stale handling, so its table differs on purpose.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from benchmarks.data import COLUMNS, SCHEMA

REPO = Path(__file__).resolve().parents[1]
KEY = "order_id"
NOT_DELETE = "(s.op <> 'D' OR s.op IS NULL)"  # a NULL op is not a delete (as lakehouse's delete_when)


def latest(spark: SparkSession, increment: Path) -> DataFrame:
    """The increment, newest row per key (a delete before an update of equal ``updated_at``)."""
    newest = Window.partitionBy(KEY).orderBy(F.col("updated_at").desc(), F.col("op").eqNullSafe("D").desc())
    df = spark.read.schema(SCHEMA).parquet(str(increment))
    return df.withColumn("_r", F.row_number().over(newest)).filter("_r = 1").drop("_r")


def tutorial(spark: SparkSession, increment: Path, table: Path) -> None:
    """The tutorial upsert: dedup, then update all and insert all on the key alone."""
    source = latest(spark, increment)
    (DeltaTable.forPath(spark, str(table)).alias("t").merge(source.alias("s"), f"t.{KEY} = s.{KEY}")
     .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())


def by_hand(spark: SparkSession, increment: Path, table: Path) -> None:
    """The lakehouse rules written by hand with delta-spark."""
    source = latest(spark, increment).cache()
    try:
        days = sorted(r[0] for r in source.select("order_date").distinct().collect())
        condition = (F.col(f"t.{KEY}") == F.col(f"s.{KEY}")) & F.col("t.order_date").isin(days)
        values = {c: F.col(f"s.{c}") for c in COLUMNS}
        (DeltaTable.forPath(spark, str(table)).alias("t").merge(source.alias("s"), condition)
         .whenMatchedDelete(condition="s.op = 'D' AND s.updated_at >= t.updated_at")
         .whenMatchedUpdate(condition=f"{NOT_DELETE} AND s.updated_at > t.updated_at",
                            set={c: v for c, v in values.items() if c != KEY})
         .whenNotMatchedInsert(condition=NOT_DELETE, values=values)
         .execute())
    finally:
        source.unpersist()


def delta_rs(spark: SparkSession, increment: Path, table: Path) -> dict:
    """The same rules with delta-rs (no JVM): dedup with pyarrow, merge with ``deltalake``.

    Returns delta-rs's merge metrics (they are also in the commit).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    from deltalake import DeltaTable as RsTable

    data = ds.dataset(str(increment), format="parquet").to_table()
    is_delete = pc.fill_null(pc.equal(data.column("op"), "D"), False)
    data = data.append_column("_d", is_delete)
    data = data.sort_by([(KEY, "ascending"), ("updated_at", "descending"), ("_d", "descending")])
    ids = data.column(KEY).combine_chunks()
    first = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))
    data = data.filter(pa.concat_arrays([pa.array([True]), first])).drop_columns(["_d"])
    days = sorted(set(data.column("order_date").to_pylist()))
    day_list = ", ".join(f"CAST('{d.isoformat()}' AS DATE)" for d in days)
    return (RsTable(str(table))
            .merge(data, predicate=f"t.{KEY} = s.{KEY} AND t.order_date IN ({day_list})",
                   source_alias="s", target_alias="t")
            .when_matched_delete("s.op = 'D' AND s.updated_at >= t.updated_at")
            .when_matched_update_all(f"{NOT_DELETE} AND s.updated_at > t.updated_at")
            .when_not_matched_insert_all(NOT_DELETE)
            .execute())


class Lakehouse:
    """``lakehouse.run.runner.run_job`` in the benchmark's SparkSession.

    A project folder under ``work`` holds a profile (``conf/bench.yaml``: conf/local.yaml
    with the roots ``raw`` = ``work`` and ``lake`` = the folder of the copies) and one job
    spec per table copy.  :meth:`prepare` writes and loads the spec (not timed); every
    run gets a new run date, so a run is never skipped as already loaded.
    """

    def __init__(self, work: Path, lake: Path) -> None:
        from lakehouse.spec.load import load_profile

        self.project, self.work, self.lake = work / "project", work, lake
        (self.project / "conf").mkdir(parents=True, exist_ok=True)
        (self.project / "jobs").mkdir(exist_ok=True)
        local = yaml.safe_load((REPO / "examples" / "shop" / "conf" / "local.yaml").read_text())
        local["roots"] = {"raw": str(work), "lake": str(lake)}
        local.pop("warehouse", None)
        (self.project / "conf" / "bench.yaml").write_text(yaml.safe_dump(local))
        self.profile = load_profile("bench", self.project / "conf")
        self.specs: dict[tuple[Path, Path], object] = {}
        self.runs = 0
        self.last = None
        """The RunSummary of the last run."""

    def prepare(self, increment: Path, table: Path) -> None:
        """Write and load the job spec merging ``increment`` into ``table``."""
        from lakehouse.spec.load import load_job

        if (increment, table) in self.specs:
            return
        spec = {
            "name": "orders",
            "source": {"format": "parquet", "path": f"{increment.relative_to(self.work)}/*.parquet",
                       "schema": SCHEMA},
            "target": {"path": str(table.relative_to(self.lake)), "partition_by": ["order_date"], "mode": "merge",
                       "merge": {"keys": [KEY], "sequence_by": "updated_at", "delete_when": "op = 'D'"}},
        }
        job = self.project / "jobs" / f"{table.name}.yaml"
        job.write_text(yaml.safe_dump(spec, sort_keys=False))
        self.specs[increment, table] = load_job(job)

    def __call__(self, spark: SparkSession, increment: Path, table: Path) -> None:
        from lakehouse.run.runner import run_job

        self.prepare(increment, table)
        self.runs += 1
        run_date = dt.date(2024, 1, 1) + dt.timedelta(days=self.runs)
        self.last = run_job(self.specs[increment, table], self.profile, run_date, project_dir=self.project,
                            spark=spark)
        if self.last.skipped:
            raise RuntimeError(f"lakehouse skipped the run as already loaded in version "
                               f"{self.last.outcome.skipped_for_version}")
