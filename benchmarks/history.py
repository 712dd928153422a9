"""History benchmark: ``lakehouse.audit`` history against Delta's own ``DESCRIBE HISTORY``.

    .venv/bin/python -m benchmarks.history [--versions 200,1000] [--runs 5]
                                           [--work-dir /tmp/lakehouse-bench-history]
                                           [--out benchmarks/results/history.json]

Per size, a table with that many versions is built once under ``--work-dir`` and reused (a
smaller one is extended): version 0 creates it with the properties lakehouse gives its tables
(change data feed, in-commit timestamps), then each version appends three rows, every tenth
merges three, each commit stamped with run lineage like a job's (one run date per version).
Delta writes a checkpoint every ten versions.

In one process and one SparkSession, after one warm-up round, ``--runs`` rounds time in turn:

* ``describe``: ``DESCRIBE HISTORY`` of the table, collected;
* ``history``: :func:`lakehouse.audit.read.history` collected (commits, lineage and the
  readability of every version);
* ``history_limit5``: the same with ``limit=5``.

It prints min and median seconds per contender and size, and the ratio of the medians
history / describe against the target (≤ 3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from pathlib import Path

from benchmarks.merge import REPO

TARGET = 3.0


def build(spark, path: Path, versions: int) -> None:
    """Make the table at ``path`` hold ``versions`` versions (extends a smaller one)."""
    from delta.tables import DeltaTable

    from lakehouse.table.lineage import RunLineage, commit_conf, lineage_conf

    have = DeltaTable.forPath(spark, str(path)).history(1).first()["version"] + 1 if (path / "_delta_log").exists() else 0
    started = time.monotonic()
    for v in range(have, versions):
        day = dt.date(2021, 1, 1) + dt.timedelta(days=v)
        lineage = RunLineage(job="orders", run_date=day.isoformat(), run_id=f"run-{v}", mode="merge", keys=["id"],
                             rows={"read": 3, "filtered_out": 0, "increment": 3})
        rows = spark.createDataFrame([(v * 3 + i, f"name-{v}-{i}", v % 4) for i in range(3)], "id LONG, name STRING, p INT")
        with commit_conf(spark, lineage_conf(lineage, idempotent=False)):
            if v == 0:
                (rows.write.format("delta").partitionBy("p").option("delta.enableChangeDataFeed", "true")
                 .option("delta.enableInCommitTimestamps", "true").save(str(path)))
            elif v % 10 == 0:
                changed = rows.withColumn("id", rows["id"] - 9)  # three rows of three versions ago
                (DeltaTable.forPath(spark, str(path)).alias("t").merge(changed.alias("s"), "t.id = s.id")
                 .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())
            else:
                rows.write.format("delta").mode("append").save(str(path))
        if v and v % 100 == 0:
            print(f"  built {v} of {versions} versions ({time.monotonic() - started:.0f} s)", flush=True)


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", default="200,1000", help="table sizes in versions, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--work-dir", default="/tmp/lakehouse-bench-history")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "history.json"))
    args = parser.parse_args(argv)

    from lakehouse.audit import read as audit
    from lakehouse.session import get_spark
    from lakehouse.spec.load import load_profile

    spark = get_spark(load_profile("local", REPO / "examples" / "shop" / "conf"))
    spark.sparkContext.setLogLevel("ERROR")
    results = []
    for size in [int(s) for s in args.versions.split(",")]:
        path = Path(args.work_dir) / f"table-{size}"
        print(f"table of {size} versions at {path}", flush=True)
        build(spark, path, size)
        contenders = {
            "describe": lambda: spark.sql(f"DESCRIBE HISTORY delta.`{path}`").collect(),
            "history": lambda: audit.history(spark, str(path)).collect(),
            "history_limit5": lambda: audit.history(spark, str(path), 5).collect(),
        }
        assert len(contenders["history"]()) == len(contenders["describe"]()) == size
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for name, fn in contenders.items():  # warm-up
            timed(fn)
        for round_ in range(args.runs):
            names = list(contenders)
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                times[name].append(timed(contenders[name]))
        summary = {name: {"min": min(t), "median": statistics.median(t), "runs": t} for name, t in times.items()}
        ratio = summary["history"]["median"] / summary["describe"]["median"]
        results.append({"versions": size, "seconds": summary, "history_over_describe": ratio})
        for name, s in summary.items():
            print(f"  {name:15} min {s['min']:.3f} s  median {s['median']:.3f} s")
        print(f"  history / describe (medians): {ratio:.2f} (target <= {TARGET:g})", flush=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "runs": args.runs, "results": results},
                                         indent=2) + "\n")
    return 0 if all(r["history_over_describe"] <= TARGET for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
