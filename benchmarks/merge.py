"""Merge benchmark: lakehouse against a hand-written delta-spark merge, the tutorial merge and delta-rs.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m benchmarks.merge [--sizes 2000000,20000000] [--runs 3] [--out FILE]

Each contender merges the same 20,000-row increment into its own fresh copy of the
table, timed from reading the increment to the commit, in one process and one
SparkSession: one warm-up run each, then the contenders alternate for ``--runs``
rounds.  Printed per contender and size: min and median seconds, Spark jobs, files
and bytes rewritten and rows inserted/updated/deleted (from the commit); then the
tables of the contenders with the same rules are checked to be equal.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from delta.tables import DeltaTable

from benchmarks import contenders, data
from lakehouse.loader import load_profile
from lakehouse.session import get_spark

SAME_RULES = ("lakehouse", "by_hand", "delta_rs")


def _commit(spark, table: Path) -> dict:
    last = DeltaTable.forPath(spark, str(table)).history(1).first()
    m = last["operationMetrics"] or {}
    keys = {"inserted": "numTargetRowsInserted", "updated": "numTargetRowsUpdated",
            "deleted": "numTargetRowsDeleted", "files_added": "numTargetFilesAdded",
            "files_removed": "numTargetFilesRemoved", "bytes_added": "numTargetBytesAdded",
            "bytes_removed": "numTargetBytesRemoved"}
    return {k: int(m[v]) if v in m else None for k, v in keys.items()} | {"operation": last["operation"]}


def _run_once(spark, name, merge, base: Path, increment: Path, work: Path, dv: bool) -> dict:
    """Copy ``base`` (not timed), then time ``merge`` of ``increment`` into the copy."""
    table = work / f"copy_{name}"
    shutil.rmtree(table, ignore_errors=True)
    shutil.copytree(base, table)
    if dv:
        spark.sql(f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    sc = spark.sparkContext
    group = f"{name}-{time.monotonic_ns()}"
    sc.setJobGroup(group, name)
    started = time.perf_counter()
    merge(spark, increment, table)
    seconds = time.perf_counter() - started
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    sc.setJobGroup("bench", "bench")
    return {"seconds": seconds, "spark_jobs": jobs, **_commit(spark, table)}


def bench_size(spark, work: Path, n: int, runs: int, only: list[str] | None) -> dict:
    base, increment = data.base_table(spark, work, n), data.increment(spark, work, n)
    plain = data.base_table(spark, work, n, in_commit_timestamps=False)
    lakehouse = contenders.Lakehouse(work)
    cases = {"lakehouse": (lakehouse, False, base), "by_hand": (contenders.by_hand, False, base),
             "tutorial": (contenders.tutorial, False, base), "delta_rs": (contenders.delta_rs, False, plain),
             "lakehouse_dv": (lakehouse, True, base), "by_hand_dv": (contenders.by_hand, True, base)}
    cases = {k: v for k, v in cases.items() if not only or k in only}
    results: dict[str, list[dict]] = {name: [] for name in cases}
    for round_ in range(runs + 1):  # round 0 is the warm-up
        for name, (merge, dv, source) in cases.items():
            try:
                result = _run_once(spark, name, merge, source, increment, work, dv)
            except Exception as exc:  # noqa: BLE001 - report the contender as failed and go on
                print(f"  {name}: failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                continue
            if round_:
                results[name].append(result)
    summary = {name: _summarise(rs) for name, rs in results.items() if rs}
    summary["equal_tables"] = _equal(spark, work, [n for n in SAME_RULES if n in summary])
    return summary


def _summarise(rs: list[dict]) -> dict:
    secs = [r["seconds"] for r in rs]
    return {"min_s": min(secs), "median_s": statistics.median(secs), **{k: v for k, v in rs[-1].items() if k != "seconds"}}


def _equal(spark, work: Path, names: list[str]) -> bool:
    frames = [spark.read.format("delta").load(str(work / f"copy_{n}")) for n in names]
    return all(frames[0].exceptAll(f).isEmpty() and f.exceptAll(frames[0]).isEmpty() for f in frames[1:])


def _print(n: int, summary: dict) -> None:
    print(f"\n{n:,} rows")
    print(f"{'contender':<14}{'min s':>8}{'median s':>10}{'jobs':>6}{'files -/+':>11}{'MB rewritten':>14}"
          f"{'ins':>7}{'upd':>7}{'del':>7}")
    for name, r in summary.items():
        if name == "equal_tables":
            continue
        mb = (r["bytes_removed"] or 0) / 1e6
        print(f"{name:<14}{r['min_s']:>8.2f}{r['median_s']:>10.2f}{r['spark_jobs']:>6}"
              f"{str(r['files_removed']) + '/' + str(r['files_added']):>11}{mb:>14.1f}"
              f"{r['inserted'] or 0:>7}{r['updated'] or 0:>7}{r['deleted'] or 0:>7}")
    if "lakehouse" in summary and "by_hand" in summary:
        print(f"lakehouse / by hand (median): {summary['lakehouse']['median_s'] / summary['by_hand']['median_s']:.2f}")
    print(f"tables equal ({', '.join(SAME_RULES)}): {summary['equal_tables']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000000,20000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/tmp/lakehouse-bench")
    parser.add_argument("--out", default="benchmarks/results/merge.json")
    parser.add_argument("--only", help="comma-separated contenders (default: all)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    spark = get_spark(load_profile("local", Path(__file__).resolve().parents[1] / "conf"))
    spark.sparkContext.setLogLevel("ERROR")
    results = {}
    for n in map(int, args.sizes.split(",")):
        results[n] = bench_size(spark, work, n, args.runs, args.only.split(",") if args.only else None)
        _print(n, results[n])
    sizes = sorted(results)
    if len(sizes) > 1 and all("lakehouse" in results[s] for s in sizes):
        ratio = results[sizes[-1]]["lakehouse"]["median_s"] / results[sizes[0]]["lakehouse"]["median_s"]
        print(f"\nlakehouse {sizes[-1]:,} / {sizes[0]:,} rows (median): {ratio:.2f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
