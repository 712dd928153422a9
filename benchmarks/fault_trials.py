"""Fault trials: kill ``lakehouse run`` at random moments of a merge; the table must stay whole.

    .venv/bin/python -m benchmarks.fault_trials [--rows 2000000] [--trials 20] [--seed 1] [--work DIR] [--out FILE]

Not run in CI, not collected by pytest; needs the ``bench`` extra.  See benchmarks/README.md, "Fault
trials": a base table loaded by lakehouse, one increment, one uninterrupted run (the *after* state,
its duration T and phases), then per trial a fresh copy of the base, ``lakehouse run`` SIGKILLed as a
process group after a delay drawn uniformly from [0, T), the state read back, orphans counted, a
re-run that must converge to *after* and a second re-run that must be skipped.

States are read with delta-rs, not Spark.  In-commit timestamps (on in lakehouse tables) are a
*writer* feature: delta-rs 1.x reads such tables and refuses only to write them (why the merge
benchmark gives delta-rs a base without them).  Here that workaround would test another table,
so a delta-rs that cannot read the table stops the script with a message.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv
import yaml
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from benchmarks import data
from tests.jobs import make_project

REPO = Path(__file__).resolve().parents[1]
BASE_DATE, RUN_DATE = "2023-12-31", "2024-01-01"
WIDE = 60
"""Increment rows on older partitions, one partition each: in turn an update, a delete, a move."""
LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
JSON_LOGS = ["--log-format", "json"]  # log lines with stages (phase ends), if the command has it (see main)
JOB = {"name": "orders",
       "source": {"format": "parquet", "path": "orders/{run_date}/*.parquet", "schema": data.SCHEMA},
       "target": {"path": "orders", "partition_by": ["order_date"], "mode": "merge",
                  "merge": {"keys": ["order_id"], "sequence_by": "updated_at", "delete_when": "op = 'D'"}}}


def generate(project: Path, work: Path, n: int) -> dict:
    """Write the raw files of both run dates (in a child process: its JVM ends with it); return the counts."""
    from pyspark.sql import functions as F

    from lakehouse.spec.load import load_profile
    from lakehouse.session import get_spark

    spark = get_spark(load_profile("test", project / "conf"))
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    raw = project / "raw" / "orders"
    data.orders(spark.range(n), n).write.parquet(str(raw / BASE_DATE))
    inc = data.increment(spark, work, n)
    recent = -(-n * (data.DAYS - 7) // data.DAYS)  # the first order of the last 7 days
    role = F.col("_r")
    stored = data.orders(spark.range(WIDE).select((F.col("id") * (recent // WIDE)).alias("id"),
                                                  (F.col("id") % 3).alias("_r")), n, "_r")
    wide = stored.select(
        "order_id", "customer_id",
        F.when(role == 0, "WIDE").when(role == 2, "MOVED").otherwise(F.col("status")).alias("status"), "amount",
        F.when(role == 2, F.lit(f"{RUN_DATE} 12:00:00").cast("timestamp")).otherwise(F.col("ordered_at"))
        .alias("ordered_at"),
        (F.col("updated_at") + F.expr("INTERVAL 24 HOURS")).alias("updated_at"),
        F.when(role == 1, "D").otherwise("U").alias("op"),
        F.when(role == 2, F.lit(RUN_DATE).cast("date")).otherwise(F.col("order_date")).alias("order_date"))
    wide.coalesce(1).write.parquet(str(raw / RUN_DATE))
    for part in inc.path.glob("*.parquet"):
        shutil.copy(part, raw / RUN_DATE / f"increment-{part.name}")
    spark.stop()
    return {k: v for k, v in data.describe_increment(inc).items() if k not in ("path", "expected")}


def expected_after(counts: dict) -> dict:
    """Rows and rows per status after the merge, from what the generator wrote."""
    e = data.Increment(path=Path(), **counts).expected
    third = WIDE // 3
    statuses = dict(e["statuses"], WIDE=third, MOVED=third, NEW=e["statuses"]["NEW"] - WIDE)
    return {"rows": e["rows_after"] - third, "statuses": dict(sorted(statuses.items()))}


def lakehouse(project: Path, date: str, kill_after: float | None = None) -> dict:
    """``lakehouse run`` for ``date`` in its own process group; SIGKILL the group after ``kill_after`` s."""
    cmd = [LAKEHOUSE, *JSON_LOGS, "run", "jobs/orders.yaml", "--date", date, "--profile", "test"]
    started, killed = time.time(), False
    proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # the group may have ended just now
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        out, err = proc.communicate(timeout=60)
    return {"rc": proc.returncode, "seconds": time.time() - started, "started": started, "killed": killed,
            "stdout": out, "stderr": err, "survivors": survivors(proc.pid)}


def survivors(pgid: int, wait: float = 10.0) -> int:
    """Live (not zombie) processes still in process group ``pgid`` after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        ps = subprocess.run(["ps", "-e", "-o", "stat=,pgid="], capture_output=True, text=True).stdout
        alive = sum(not st.startswith("Z") and int(g) == pgid for st, g in map(str.split, ps.splitlines()))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def fingerprint(table: Path) -> dict:
    """The table as delta-rs reads it: version, rows, rows per status, a hash of the rows sorted
    (an ``error`` instead when it cannot be read)."""
    try:
        delta = DeltaTable(str(table))
    except Exception as exc:  # noqa: BLE001 - an unreadable table is a state too
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    rows = delta.to_pyarrow_table().select(data.COLUMNS).sort_by([(c, "ascending") for c in data.COLUMNS])
    digest = hashlib.sha256()
    for batch in rows.to_batches(max_chunksize=100_000):
        sink = pa.BufferOutputStream()
        csv.write_csv(batch, sink, csv.WriteOptions(include_header=False))
        digest.update(sink.getvalue().to_pybytes())
    statuses = {s["values"]: s["counts"] for s in pc.value_counts(rows["status"]).to_pylist()}
    return {"version": delta.version(), "rows": rows.num_rows, "statuses": dict(sorted(statuses.items())),
            "sha256": digest.hexdigest()[:16]}


def orphans(folder: Path) -> int:
    """Parquet files under ``folder`` (``_``/``.`` folders aside) that no version of its table references
    (files only older versions reference were removed by a commit: not orphans); all without a commit."""
    if not folder.is_dir():
        return 0
    listed = {str(p) for p in folder.rglob("*.parquet")
              if not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts)}
    try:
        latest = DeltaTable(str(folder)).version()
    except TableNotFoundError:  # killed before the first commit of this table
        return len(listed)
    referenced = {unquote(u.removeprefix("file://")) for v in range(latest + 1)
                  for u in DeltaTable(str(folder), version=v).file_uris()}
    return len(listed - referenced)


def phases(run: dict, table: Path, version: int) -> dict[str, float]:
    """Where each phase of an uninterrupted run ended, as a fraction of its duration: the log's ``check``
    and ``read`` stages (if logged), then the file times of the tombstone table and of the commit."""
    ends, graves = {}, table / "_lakehouse_tombstones"
    for record in [json.loads(line) for line in run["stderr"].splitlines() if line.startswith("{")]:
        stage = {"check": "start-up", "read": "read"}.get(record.get("stage"))
        if stage and stage not in ends:
            ends[stage] = dt.datetime.fromisoformat(record["ts"]).timestamp()
    tomb_files = [p.stat().st_mtime for p in graves.rglob("*.parquet") if "_delta_log" not in p.parts]
    tomb_commit = graves / "_delta_log" / f"{0:020d}.json"
    if tomb_files and tomb_commit.exists():
        ends["classify"], ends["tombstones"] = min(tomb_files), tomb_commit.stat().st_mtime
    ends["merge+commit"] = (table / "_delta_log" / f"{version:020d}.json").stat().st_mtime
    ends["after commit"] = run["started"] + run["seconds"]
    return {name: round((t - run["started"]) / run["seconds"], 3) for name, t in ends.items()}


def phase_of(fraction: float, ends: dict[str, float]) -> str:
    """The phase of the reference run that ``fraction`` of its duration falls in."""
    return next((name for name, end in ends.items() if fraction < end), "after commit")


def restore(base: Path, table: Path) -> None:
    """A fresh copy of the base table at ``table``."""
    shutil.rmtree(table, ignore_errors=True)
    shutil.copytree(base, table)


def trial(number: int, delay: float, ctx: dict) -> dict:
    """Kill a run after ``delay`` s, check the state and the orphans, re-run twice."""
    table, project = ctx["table"], ctx["project"]
    restore(ctx["base"], table)
    killed = lakehouse(project, RUN_DATE, kill_after=delay)
    seen = fingerprint(table)
    state = "before" if seen == ctx["before"] else "after" if seen == ctx["after"] else "OTHER"
    orphans_table, orphans_graves = orphans(table), orphans(table / "_lakehouse_tombstones")
    rerun = lakehouse(project, RUN_DATE)
    converged = rerun["rc"] == 0 and fingerprint(table) == ctx["after"]
    again = lakehouse(project, RUN_DATE)
    skipped = again["rc"] == 0 and "skipped" in again["stdout"]
    fraction = delay / ctx["seconds"]
    result = {"trial": number, "delay_s": round(delay, 2), "fraction": round(fraction, 3),
              "phase": phase_of(fraction, ctx["phases"]), "killed": killed["killed"], "killed_rc": killed["rc"],
              "state": state, "seen": seen if state == "OTHER" else None,
              "orphans": orphans_table, "orphan_tombstone_files": orphans_graves,
              "survivors": killed["survivors"] + rerun["survivors"] + again["survivors"],
              "rerun_rc": rerun["rc"], "converged": converged, "rerun_s": round(rerun["seconds"], 1),
              "rerun_skipped": "skipped" in rerun["stdout"], "second_rerun_skipped": skipped,
              "errors": [r["stderr"][-2000:] for r in (rerun, again) if r["rc"] != 0]}
    how, again_word = "killed" if killed["killed"] else "ended first", "skipped" if skipped else "NOT SKIPPED"
    print(f"trial {number:2}  delay {delay:6.2f} s ({fraction:4.2f}, {result['phase']:<12})  {how}  state {state:<6}  "
          f"orphans {orphans_table:3} (+{orphans_graves} tombstone files)  re-run converged "
          f"{'yes' if converged else 'NO'} ({rerun['seconds']:5.1f} s{', skipped' * result['rerun_skipped']})  "
          f"second re-run {again_word}{'  SURVIVORS' * bool(result['survivors'])}", flush=True)
    return result


def build(work: Path, n: int) -> dict:
    """The project, the raw files, the base table (by lakehouse) and the reference (uninterrupted) run."""
    shutil.rmtree(work / f"fault-{n}", ignore_errors=True)
    project = make_project(work / f"fault-{n}" / "project")
    (project / "jobs" / "orders.yaml").write_text(yaml.safe_dump(JOB, sort_keys=False))
    print(f"generating {n:,} orders and the increment under {project}", flush=True)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        counts = pool.submit(generate, project, work, n).result()
    table, base = project / "lake" / "orders", work / f"fault-{n}" / "base"
    load = lakehouse(project, BASE_DATE)
    if load["rc"]:
        sys.exit(f"loading the base table failed:\n{load['stderr'][-3000:]}")
    table.rename(base)
    print(f"base table loaded by lakehouse in {load['seconds']:.1f} s: {base}", flush=True)
    before = fingerprint(base)
    if "error" in before:
        sys.exit(f"delta-rs cannot read the table lakehouse wrote ({before['error']}); see the module docstring")
    restore(base, table)
    reference = lakehouse(project, RUN_DATE)
    if reference["rc"]:
        sys.exit(f"the uninterrupted run failed:\n{reference['stderr'][-3000:]}")
    after, expected = fingerprint(table), expected_after(counts)
    ctx = {"project": project, "table": table, "base": base, "before": before, "after": after, "counts": counts,
           "expected": expected, "base_load_s": round(load["seconds"], 1), "seconds": reference["seconds"],
           "phases": phases(reference, table, after["version"]),
           "after_as_expected": {k: after[k] for k in expected} == expected,
           "orphans_after_reference": orphans(table)}
    print(f"increment: {data.Increment(path=Path(), **counts).describe()}, {WIDE} wide rows\n"
          f"before {before}\nafter  {after} (as expected: {ctx['after_as_expected']})\n"
          f"uninterrupted run {reference['seconds']:.1f} s; phases end at {ctx['phases']}", flush=True)
    return ctx


def main(argv: list[str] | None = None) -> int:
    """Build, run the trials, print and write the summary; 1 when a check failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fault_trials", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the base table (default 2,000,000)")
    parser.add_argument("--trials", type=int, default=20, help="kill trials (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill delays (default 1)")
    parser.add_argument("--work", default="/tmp/lakehouse-fault-trials", help="work folder (rebuilt per size)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "fault_trials.json"))
    args = parser.parse_args(argv)
    (work := Path(args.work).resolve()).mkdir(parents=True, exist_ok=True)
    if "--log-format" not in subprocess.run([LAKEHOUSE, "--help"], capture_output=True, text=True).stdout:
        JSON_LOGS.clear()
    started, rng = time.time(), random.Random(args.seed)
    where = [sys.executable, "-c", "import lakehouse; print(lakehouse.__file__)"]  # as the runs import it
    meta = {"command": "python -m benchmarks.fault_trials " + " ".join(sys.argv[1:] if argv is None else argv),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seed": args.seed, "rows": args.rows,
            "cpus": len(os.sched_getaffinity(0)), "machine": platform.machine(), "python": platform.python_version(),
            "git": _git("rev-parse", "HEAD"), "lakehouse_uncommitted": _git("status", "--porcelain", "lakehouse"),
            "lakehouse_from": subprocess.run(where, cwd=work, capture_output=True, text=True).stdout.strip(),
            **{m: __import__(m).__version__ for m in ("deltalake", "pyarrow", "pyspark")}}
    ctx = build(work, args.rows)
    trials = [trial(i, rng.uniform(0, ctx["seconds"]), ctx) for i in range(1, args.trials + 1)]
    states, total = [t["state"] for t in trials], lambda key: sum(t[key] for t in trials)
    summary = {"trials": len(trials), "killed": total("killed"), "before": states.count("before"),
               "after": states.count("after"), "other": states.count("OTHER"), "converged": total("converged"),
               "second_rerun_skipped": total("second_rerun_skipped"), "survivors": total("survivors"),
               "max_orphans": max((t["orphans"] for t in trials), default=0),
               "max_orphan_tombstone_files": max((t["orphan_tombstone_files"] for t in trials), default=0),
               "trials_with_orphans": sum(t["orphans"] > 0 for t in trials),
               "after_as_expected": ctx["after_as_expected"], "uninterrupted_s": round(ctx["seconds"], 1),
               "rerun_s_median": sorted(t["rerun_s"] for t in trials)[len(trials) // 2] if trials else None,
               "wall_minutes": round((time.time() - started) / 60, 1)}
    ok = (not summary["other"] and summary["converged"] == summary["second_rerun_skipped"] == len(trials)
          and not summary["survivors"] and ctx["after_as_expected"])
    print(f"\nsummary: {json.dumps(summary)}\n{'OK' if ok else 'FAILED'}")
    build_info = {k: v for k, v in ctx.items() if k not in ("project", "table", "base")}
    (out := Path(args.out)).write_text(json.dumps({"meta": meta, "build": build_info, "summary": summary,
                                                   "ok": ok, "trials": trials}, indent=2, default=str) + "\n")
    print(f"wrote {out}")
    return 0 if ok else 1


def _git(*args: str) -> str:
    """What ``git ARGS`` prints in the repository."""
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
