"""Audit engines benchmark: ``lakehouse history`` on Spark against delta-rs (no JVM), as the CLI prints it.

    .venv/bin/python -m benchmarks.audit_engines [--versions 1000] [--runs 5]
                                                 [--work-dir /tmp/lakehouse-bench-history] [--no-spark]

The tables are :func:`benchmarks.history.build`'s (built with Spark once, then reused).  In one process,
after one warm-up round, ``--runs`` rounds time in turn:

* ``spark``: :func:`lakehouse.audit.read.history` rendered as the CLI's aligned table (session already started);
* ``delta-rs``: :func:`lakehouse.audit.deltars.history_text` (the log parsed in Python, no Spark).

It prints min and median seconds per engine and size, against the target (delta-rs < 1 s for 1,000 versions).
``--no-spark`` times delta-rs alone on tables already built.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from benchmarks.history import build, timed
from benchmarks.merge import REPO

TARGET = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", default="1000", help="table sizes in versions, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds after one warm-up")
    parser.add_argument("--work-dir", default="/tmp/lakehouse-bench-history")
    parser.add_argument("--no-spark", action="store_true", help="time delta-rs only (the tables must exist)")
    args = parser.parse_args(argv)

    from lakehouse.audit import deltars

    contenders = {}
    spark = None
    if not args.no_spark:
        from lakehouse.audit import read as audit
        from lakehouse.cli.audit_text import history_table
        from lakehouse.session import get_spark
        from lakehouse.spec.load import load_profile

        spark = get_spark(load_profile("local", REPO / "examples" / "shop" / "conf"))
        spark.sparkContext.setLogLevel("ERROR")
    ok = True
    for size in [int(s) for s in args.versions.split(",")]:
        path = Path(args.work_dir) / f"table-{size}"
        if spark is not None:
            build(spark, path, size)
            contenders["spark"] = lambda: history_table(audit.history(spark, str(path)))
        contenders["delta-rs"] = lambda: deltars.history_text(str(path), "table", None, "UTC")
        if spark is not None:
            assert contenders["spark"]() == contenders["delta-rs"](), "the engines disagree"
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for fn in contenders.values():  # warm-up
            timed(fn)
        for round_ in range(args.runs):
            names = list(contenders)
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                times[name].append(timed(contenders[name]))
        print(f"table of {size} versions at {path}")
        for name, t in times.items():
            print(f"  {name:9} min {min(t):.3f} s  median {statistics.median(t):.3f} s")
        ok = ok and statistics.median(times["delta-rs"]) < TARGET * size / 1000
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
