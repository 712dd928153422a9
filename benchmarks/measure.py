"""What one timed merge cost and did: Spark jobs, bytes read, and its Delta commit.

* Spark jobs: the run's jobs are put in a job group (``SparkContext.setJobGroup``) and
  counted with ``statusTracker().getJobIdsForGroup``.
* Bytes read: the ``inputBytes`` of the completed stages of those jobs, from Spark's
  status store (``sc._jsc.sc().statusStore()`` through py4j).  Input bytes are what
  tasks read from files (Parquet data, the Delta log) and from cached blocks; skipped
  stages count nothing.
* The commit: the newest ``_delta_log/*.json`` of the table, read directly, so Spark and
  delta-rs commits are measured alike: files and bytes added/removed from its ``add``
  and ``remove`` actions (a file re-added with a deletion vector counts as neither, but as
  a ``dv_file``), rows from ``commitInfo.operationMetrics``.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pyspark.sql import SparkSession

ROW_METRICS = {  # Spark's names, then delta-rs's
    "inserted": ("numTargetRowsInserted", "num_target_rows_inserted"),
    "updated": ("numTargetRowsUpdated", "num_target_rows_updated"),
    "deleted": ("numTargetRowsDeleted", "num_target_rows_deleted"),
}


class SparkWork:
    """The Spark jobs of one block of code and the bytes their stages read (after the block)."""

    def __init__(self) -> None:
        self.jobs = 0
        self.input_bytes: int | None = None


@contextmanager
def spark_work(spark: SparkSession, name: str) -> Iterator[SparkWork]:
    """Run the block in a job group of its own; fill in the :class:`SparkWork` afterwards."""
    sc = spark.sparkContext
    group = f"bench-{name}-{time.monotonic_ns()}"
    sc.setJobGroup(group, f"benchmark: {name}")
    work = SparkWork()
    try:
        yield work
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
        sc.setLocalProperty("spark.job.description", None)
    ids = sc.statusTracker().getJobIdsForGroup(group)
    work.jobs = len(ids)
    work.input_bytes = _input_bytes(spark, ids)


def _input_bytes(spark: SparkSession, job_ids: list[int]) -> int | None:
    """Sum of ``inputBytes`` over the stages of ``job_ids``; None if the status store is out of reach."""
    sc = spark.sparkContext
    try:
        jsc = sc._jsc.sc()
        jsc.listenerBus().waitUntilEmpty()  # the store is filled by listener events
        store = jsc.statusStore()
    except Exception:  # noqa: BLE001 - private API: report "not measured" rather than fail
        return None
    stages: set[int] = set()
    for job in job_ids:
        info = sc.statusTracker().getJobInfo(job)
        stages.update(info.stageIds if info else [])
    total = 0
    for stage in stages:
        try:
            total += store.lastStageAttempt(stage).inputBytes()
        except Exception:  # noqa: BLE001 - a stage that never ran (skipped) has no attempt
            continue
    return total


def last_commit(table: Path) -> dict:
    """Operation, rows, files and bytes of the table's newest commit, from its log file."""
    log = max((p for p in (table / "_delta_log").glob("*.json") if p.stem.isdigit()), key=lambda p: int(p.stem))
    adds, removes, info = {}, {}, {}
    for line in log.read_text().splitlines():
        action = json.loads(line)
        if "add" in action:
            adds[action["add"]["path"]] = action["add"]
        elif "remove" in action:
            removes[action["remove"]["path"]] = action["remove"]
        elif "commitInfo" in action:
            info = action["commitInfo"]
    new = [a for p, a in adds.items() if p not in removes]
    gone = [r for p, r in removes.items() if p not in adds]
    metrics = info.get("operationMetrics") or {}
    rows = {k: next((int(metrics[n]) for n in names if n in metrics), None) for k, names in ROW_METRICS.items()}
    return {"version": int(log.stem), "operation": info.get("operation"), **rows,
            "files_added": len(new), "files_removed": len(gone), "dv_files": len(adds) - len(new),
            "bytes_added": sum(a.get("size") or 0 for a in new),
            "bytes_removed": sum(r.get("size") or 0 for r in gone)}


def differences(spark: SparkSession, a: Path, b: Path) -> tuple[int, int]:
    """Rows of table ``a`` not in ``b``, and of ``b`` not in ``a`` (as multisets)."""
    left = spark.read.format("delta").load(str(a))
    right = spark.read.format("delta").load(str(b))
    return left.exceptAll(right).count(), right.exceptAll(left).count()


def statuses(spark: SparkSession, table: Path) -> dict[str, int]:
    """Rows per ``status`` of the table (``op = 'D'`` rows counted as status ``op=D``)."""
    df = spark.read.format("delta").load(str(table))
    rows = df.selectExpr("IF(op = 'D', 'op=D', status) AS status").groupBy("status").count().collect()
    return {r["status"]: r["count"] for r in rows}
