"""Concurrent writers, as real processes on one table.

Each process is ``python -m lakehouse run ... --output json`` with its own JVM.  To make the
race certain rather than likely, both processes read the table and then wait at the commit
barrier (``LAKEHOUSE_COMMIT_BARRIER``) until both are there; then both commit at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from chispa import assert_df_equality

from lakehouse.cli.main import execute
from lakehouse.run.runner import COMMIT_BARRIER_ENV
from tests.jobs import expected, merge_spec, raw, read_table, table_path

CDC = merge_spec(sequence_by="seq", delete_when="op = 'D'")
D0, D1, D2 = "2024-05-01", "2024-05-02", "2024-05-03"


def _job(project: Path) -> str:
    path = project / "jobs" / "things.yaml"
    path.write_text(yaml.safe_dump(CDC))
    return str(path)


def _race(project: Path, job: str, *runs: tuple[str, str]) -> list[tuple[int, dict | None, str]]:
    """Start one process per (date, profile), release them together at the commit barrier."""
    barrier = project / "barrier"
    barrier.mkdir()
    env = {**os.environ, COMMIT_BARRIER_ENV: str(barrier)}
    procs = [subprocess.Popen([sys.executable, "-m", "lakehouse", "run", job, "--date", date, "--profile", profile,
                               "--output", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for date, profile in runs]
    deadline = time.monotonic() + 240
    while len(list(barrier.glob("*.ready"))) < len(procs) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break  # one of them ended before the barrier (e.g. skipped): release the other
        time.sleep(0.1)
    (barrier / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        results.append((p.returncode, json.loads(out) if out.strip() else None, err))
    return results


def _versions(spark, project: Path) -> list[int]:
    return [r["version"] for r in spark.sql(f"DESCRIBE HISTORY delta.`{table_path(project)}`").collect()]


def test_two_runs_of_one_date_creating_the_table_commit_once(spark, project):
    job = _job(project)
    raw(project, D0, "1,a,2024-05-01,1,I", "2,b,2024-05-01,1,I")
    results = _race(project, job, (D0, "test"), (D0, "test"))
    assert [code for code, _, _ in results] == [0, 0], "\n".join(err for _, _, err in results)
    assert sorted(out["outcome"] for _, out, _ in results) == ["loaded", "skipped"]
    assert _versions(spark, project) == [0]
    assert_df_equality(read_table(spark, project), expected(spark, (1, "a", "2024-05-01", 1, "I"),
                                                            (2, "b", "2024-05-01", 1, "I")), ignore_row_order=True)


def test_dates_on_disjoint_partitions_both_commit(spark, project):
    job = _job(project)
    raw(project, D0, "1,a,2024-05-01,1,I", "2,b,2024-05-02,1,I")
    assert execute(["run", job, "--date", D0, "--profile", "test"]) == 0
    raw(project, D1, "1,A,2024-05-01,2,U")
    raw(project, D2, "2,B,2024-05-02,2,U")
    results = _race(project, job, (D1, "test"), (D2, "test"))
    assert [(code, out["outcome"]) for code, out, _ in results] == [(0, "loaded"), (0, "loaded")]
    assert _versions(spark, project) == [2, 1, 0]
    assert_df_equality(read_table(spark, project), expected(spark, (1, "A", "2024-05-01", 2, "U"),
                                                            (2, "B", "2024-05-02", 2, "U")), ignore_row_order=True)


def test_dates_on_the_same_partition_conflict_retry_and_both_land(spark, project):
    job = _job(project)
    raw(project, D0, "1,a,2024-05-01,1,I", "2,b,2024-05-01,1,I")
    assert execute(["run", job, "--date", D0, "--profile", "test"]) == 0
    raw(project, D1, "1,A,2024-05-01,2,U", "3,c,2024-05-01,2,I")
    raw(project, D2, "2,B,2024-05-01,2,U", "4,d,2024-05-01,2,I")
    results = _race(project, job, (D1, "test"), (D2, "test"))
    assert [(code, out["outcome"]) for code, out, _ in results] == [(0, "loaded"), (0, "loaded")]
    assert sorted(out["attempts"] for _, out, _ in results) == [1, 2]  # the loser re-read the table once
    assert _versions(spark, project) == [2, 1, 0]
    assert_df_equality(read_table(spark, project), expected(
        spark, (1, "A", "2024-05-01", 2, "U"), (2, "B", "2024-05-01", 2, "U"), (3, "c", "2024-05-01", 2, "I"),
        (4, "d", "2024-05-01", 2, "I")), ignore_row_order=True)


def test_a_conflict_that_exhausts_its_retries_exits_4_with_one_line(spark, project):
    job = _job(project)
    profile = yaml.safe_load((project / "conf" / "test.yaml").read_text()) | {"commit": {"retries": 0}}
    (project / "conf" / "noretry.yaml").write_text(yaml.safe_dump(profile))
    raw(project, D0, "1,a,2024-05-01,1,I")
    assert execute(["run", job, "--date", D0, "--profile", "test"]) == 0
    raw(project, D1, "1,A,2024-05-01,2,U")
    raw(project, D2, "1,B,2024-05-01,3,U")
    results = _race(project, job, (D1, "noretry"), (D2, "noretry"))
    assert sorted(code for code, _, _ in results) == [0, 4]
    code, out, err = next(r for r in results if r[0] == 4)
    assert out["outcome"] == "failed" and out["error"]["class"] == "ConflictError"
    assert out["error"]["condition"].startswith("DELTA_CONCURRENT_")
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and lines[0].startswith(
        f"error: {job}: a concurrent commit to the table conflicted with this run: ")
    assert lines[0].endswith("(gave up after 1 attempt)") and "\tat " not in err and "Traceback" not in err
    assert _versions(spark, project) == [1, 0]
