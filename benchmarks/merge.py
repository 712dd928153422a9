"""Merge benchmark: lakehouse against delta-spark by hand, the tutorial merge and delta-rs.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m benchmarks.merge [--sizes 2000000,20000000] [--runs 3]
                                         [--out benchmarks/results/merge.json] [--work-dir DIR]

Per size: the base table and the increment are built once under ``--work-dir`` and
reused (see :mod:`benchmarks.data`).  Every run of every contender merges the increment
into its own fresh copy of the base table (``shutil.copytree``, not timed), timed from
reading the increment to the commit, in one process and one SparkSession.  One warm-up
round, then ``--runs`` rounds in which the contenders take turns (the order rotates).

Reported per contender and size: min and median seconds, Spark jobs, bytes read, files
and bytes removed/added and rows inserted/updated/deleted by the commit; then whether
the tables of the contenders that follow the lakehouse rules are equal, and the ratios
lakehouse / by hand and lakehouse at the largest / smallest size.  See
:mod:`benchmarks.contenders` for what each contender does and :mod:`benchmarks.measure`
for how it is measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from benchmarks import contenders, data, measure, report

REPO = Path(__file__).resolve().parents[1]
NAMES = ("lakehouse", "by_hand", "tutorial", "delta_rs", "lakehouse_dv", "by_hand_dv")
SHUFFLE_PARTITIONS = 8


@dataclass
class Case:
    """One contender: its merge, its base table, and whether deletion vectors are on."""

    name: str
    merge: Callable
    base: Path
    dv: bool = False
    same_rules: bool = True
    note: str | None = None


def run_once(spark, case: Case, increment: data.Increment, lake: Path) -> dict:
    """Copy the base (not timed), then time one merge of the increment into the copy."""
    table = lake / case.name
    shutil.rmtree(table, ignore_errors=True)
    shutil.copytree(case.base, table)
    if case.dv:
        spark.sql(f"ALTER TABLE delta.`{table}` SET TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    if hasattr(case.merge, "prepare"):
        case.merge.prepare(increment.path, table)
    spark.sparkContext._jvm.System.gc()
    with measure.spark_work(spark, case.name) as work:
        started = time.perf_counter()
        case.merge(spark, increment.path, table)
        seconds = time.perf_counter() - started
    spark_free = case.name == "delta_rs"
    result = {"seconds": seconds, "spark_jobs": None if spark_free else work.jobs,
              "input_bytes": None if spark_free else work.input_bytes, **measure.last_commit(table)}
    summary = getattr(case.merge, "last", None)
    if summary is not None:  # what lakehouse itself reported
        o = summary.outcome
        result["lakehouse_reported"] = {
            "rows_read": summary.rows_read, "duplicates_resolved": summary.duplicates_resolved,
            "inserted": o.inserted, "updated": o.updated, "deleted": o.deleted, "tombstones": o.tombstones,
            "files_added": o.files_added, "files_removed": o.files_removed,
            "partitions": len(summary.partitions), "seconds": summary.seconds}
    return result


def _refused_by_feature(exc: Exception) -> bool:
    text = str(exc).lower()
    return "unsupported table features" in text or "incommittimestamp" in text


def bench_size(spark, work: Path, n: int, runs: int, only: list[str] | None, properties: dict) -> dict:
    """All rounds of all contenders at one size, then the checks."""
    base = data.base_table(spark, work, n, properties)
    increment = data.increment(spark, work, n)
    print(f"\n== {n:,} rows: {increment.describe()}", flush=True)
    lake = work / "copies"
    lakehouse = contenders.Lakehouse(work, lake)
    cases = [Case("lakehouse", lakehouse, base), Case("by_hand", contenders.by_hand, base),
             Case("tutorial", contenders.tutorial, base, same_rules=False),
             Case("delta_rs", contenders.delta_rs, base),
             Case("lakehouse_dv", lakehouse, base, dv=True), Case("by_hand_dv", contenders.by_hand, base, dv=True)]
    cases = [c for c in cases if not only or c.name in only]
    outcome = {c.name: {"runs": [], "error": None} for c in cases}
    for round_ in range(runs + 1):  # round 0 is the warm-up
        shift = round_ % len(cases)
        for case in cases[shift:] + cases[:shift]:
            if outcome[case.name]["error"]:
                continue
            try:
                try:
                    result = run_once(spark, case, increment, lake)
                except Exception as exc:
                    if case.name != "delta_rs" or case.base != base or not _refused_by_feature(exc):
                        raise
                    case.note = (f"delta-rs refused the lakehouse base table ({_first_line(exc)}); it merges "
                                 f"into its own base built without {data.ICT}")
                    print(f"  note: {case.note}", flush=True)
                    plain = {k: v for k, v in properties.items() if k != data.ICT}
                    case.base = data.base_table(spark, work, n, plain)
                    result = run_once(spark, case, increment, lake)
            except Exception as exc:  # noqa: BLE001 - report the contender as failed, go on with the others
                outcome[case.name]["error"] = f"{type(exc).__name__}: {_first_line(exc)}"
                outcome[case.name]["traceback"] = traceback.format_exc()
                print(f"  {case.name}: FAILED in {'warm-up' if not round_ else f'round {round_}'}: "
                      f"{outcome[case.name]['error']}", flush=True)
                continue
            label = "warm-up" if not round_ else f"round {round_}"
            print(f"  {label:<8} {case.name:<13} {result['seconds']:7.2f} s", flush=True)
            if round_:
                outcome[case.name]["runs"].append(result)
    summary = {"rows": n, "increment": data.describe_increment(increment), "base": str(base), "contenders": {}}
    for case in cases:
        summary["contenders"][case.name] = _summarise(case, outcome[case.name])
    summary["checks"] = _checks(spark, lake, increment, cases, summary["contenders"])
    return summary


def _summarise(case: Case, outcome: dict) -> dict:
    rs = outcome["runs"]
    out = {"base": str(case.base), "deletion_vectors": case.dv, "same_rules": case.same_rules, "note": case.note,
           "error": outcome["error"], "traceback": outcome.get("traceback")}
    if not rs or outcome["error"]:
        return out | {"min_s": None, "median_s": None, "seconds": [r["seconds"] for r in rs]}
    secs = [r["seconds"] for r in rs]
    last = {k: v for k, v in rs[-1].items() if k != "seconds"}
    return out | {"min_s": min(secs), "median_s": statistics.median(secs), "seconds": secs} | last


def _checks(spark, lake: Path, increment: data.Increment, cases: list[Case], results: dict) -> dict:
    """Expected counts, and the tables of the same-rules contenders against a reference."""
    ok = [c for c in cases if results[c.name].get("median_s") is not None]
    expected = increment.expected
    checks = {"expected": expected, "counts": {}, "vs_reference": {}, "reference": None}
    for c in ok:
        r, found = results[c.name], measure.statuses(spark, lake / c.name)
        checks["counts"][c.name] = {
            "rows_after": sum(found.values()), "statuses": found,
            "commit_matches_expected": all(r[k] == expected[k] for k in ("inserted", "updated", "deleted")),
            "statuses_match_expected": found == expected["statuses"]}
    same = [c.name for c in ok if c.same_rules]
    reference = "by_hand" if "by_hand" in same else (same[0] if same else None)
    checks["reference"] = reference
    if reference:
        for c in ok:
            if c.name != reference:
                missing, extra = measure.differences(spark, lake / reference, lake / c.name)
                checks["vs_reference"][c.name] = {"only_in_reference": missing, "only_in_contender": extra,
                                                  "equal": missing == 0 and extra == 0, "same_rules": c.same_rules}
    checks["same_rules_equal"] = all(v["equal"] for v in checks["vs_reference"].values() if v["same_rules"])
    return checks


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def _session():
    from lakehouse.spec.load import load_profile
    from lakehouse.session import get_spark

    spark = get_spark(load_profile("local", REPO / "examples" / "shop" / "conf"))
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
    return spark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.merge", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000000,20000000", help="comma-separated table sizes in rows")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds after the warm-up (default 3)")
    parser.add_argument("--work-dir", "--work", dest="work", default="/tmp/lakehouse-bench",
                        help="where base tables, increments and copies live (reused across runs)")
    parser.add_argument("--out", default="benchmarks/results/merge.json", help="JSON results file")
    parser.add_argument("--only", help=f"comma-separated contenders (default: all of {', '.join(NAMES)})")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    if only and set(only) - set(NAMES):
        parser.error(f"unknown contenders {sorted(set(only) - set(NAMES))}; known: {', '.join(NAMES)}")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    spark = _session()
    properties, source = data.table_properties()
    print(f"table properties (from {source}): {properties}")
    results = {"meta": _meta(spark, args, properties, source), "sizes": {}}
    for n in sizes:
        results["sizes"][str(n)] = bench_size(spark, work, n, args.runs, only, properties)
        report.print_size(results["sizes"][str(n)])
    results["ratios"] = report.ratios(results["sizes"])
    report.print_overview(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {out}")
    return 0


def _meta(spark, args, properties: dict, source: str) -> dict:
    import deltalake
    import pyarrow

    return {"command": f"python -m benchmarks.merge --sizes {args.sizes} --runs {args.runs} --work-dir {args.work} "
                       f"--out {args.out}" + (f" --only {args.only}" if args.only else ""),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": args.runs, "work_dir": args.work,
            "python": platform.python_version(), "machine": platform.machine(), "cpus": _cpus(),
            "spark": spark.version, "deltalake": deltalake.__version__, "pyarrow": pyarrow.__version__,
            "master": spark.sparkContext.master, "shuffle_partitions": SHUFFLE_PARTITIONS,
            "driver_memory": spark.conf.get("spark.driver.memory", None),
            "table_properties": properties, "table_properties_from": source}


def _cpus() -> int | None:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    raise SystemExit(main())
