"""`lakehouse run` over many jobs and dates in one Spark application."""

import json

import yaml

from lakehouse.cli.main import execute
from tests.jobs import HEADER, merge_spec

D1, D2, D3 = "2024-03-01", "2024-03-02", "2024-03-03"


def _job(project, name: str) -> None:
    spec = merge_spec(sequence_by="seq")
    spec["name"] = name
    spec["source"]["path"] = f"{name}/{{run_date}}/*.csv"
    spec["target"]["path"] = name
    (project / "jobs" / f"{name}.yaml").write_text(yaml.safe_dump(spec))


def _raw(project, name: str, date: str, *rows: str) -> None:
    folder = project / "raw" / name / date
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-1.csv").write_text("\n".join([HEADER, *rows]) + "\n")


def _run(project, capsys, *args) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = execute(["run", str(project / "jobs"), "--profile", "test", "--output", "json", *args])
    return code, json.loads(capsys.readouterr().out)["runs"]


def _lineage(spark, project, name: str) -> list[tuple]:
    history = spark.sql(f"DESCRIBE HISTORY delta.`{project}/lake/{name}`").orderBy("version").collect()
    return [(h["version"], json.loads(h["userMetadata"])["lakehouse"]["job"],
             json.loads(h["userMetadata"])["lakehouse"]["run_date"]) for h in history]


def test_parallel_jobs_keep_their_own_lineage(spark, project, capsys):
    for name in ("a", "b", "c"):
        _job(project, name)
        for date in (D1, D2):
            _raw(project, name, date, f"1,{name}-{date},{date},{date[-1]},I")
    code, runs = _run(project, capsys, "--from", D1, "--to", D2, "--parallel", "3")
    assert code == 0
    assert [(r["job"], r["run_date"], r["outcome"]) for r in runs] == [
        (n, d, "loaded") for d in (D1, D2) for n in ("a", "b", "c")]
    for name in ("a", "b", "c"):
        assert _lineage(spark, project, name) == [(0, name, D1), (1, name, D2)]
        assert [r["name"] for r in spark.read.format("delta").load(f"{project}/lake/{name}").collect()] == [
            f"{name}-{D2}"]
    code, runs = _run(project, capsys, "--from", D1, "--to", D2, "--parallel", "3")
    assert code == 0 and {r["outcome"] for r in runs} == {"skipped"}


def test_a_failure_stops_the_jobs_later_dates_not_the_other_jobs(spark, project, capsys):
    for name in ("a", "b"):
        _job(project, name)
    _raw(project, "a", D2, f"1,x,{D2},1,I")  # a has no file for D1
    for date in (D1, D2):
        _raw(project, "b", date, f"1,y,{date},{date[-1]},I")
    code, runs = _run(project, capsys, "--from", D1, "--to", D2)
    assert code == 3
    assert [(r["job"], r["run_date"], r["outcome"]) for r in runs] == [
        (str(project / "jobs" / "a.yaml"), D1, "failed"), ("b", D1, "loaded"),
        ("a", D2, "not run"), ("b", D2, "loaded")]
    assert runs[0]["error"]["exit_code"] == 3 and runs[2]["reason"] == f"a {D1} failed"
    assert _lineage(spark, project, "b") == [(0, "b", D1), (1, "b", D2)]


def test_catch_up_runs_the_dates_after_the_last_loaded_one(spark, project, capsys):
    for name in ("a", "b"):
        _job(project, name)
        for date in (D1, D2, D3):
            _raw(project, name, date, f"1,{name},{date},{date[-1]},I")
    assert _run(project, capsys, "--date", D1, "--select", "a")[0] == 0
    code, runs = _run(project, capsys, "--catch-up", "--date", D3)
    assert code == 0
    assert [(r["job"], r["run_date"], r["outcome"]) for r in runs] == [
        ("a", D2, "loaded"), ("a", D3, "loaded"), ("b", D3, "loaded")]  # b never loaded: only --date
    assert _lineage(spark, project, "a") == [(0, "a", D1), (1, "a", D2), (2, "a", D3)]
    assert _run(project, capsys, "--catch-up", "--date", D3) == (0, [])  # up to date: nothing runs
