"""``lakehouse run --output json`` and ``--log-format json``: one object per run, structured log lines."""

import json

import yaml

from lakehouse.cli.main import execute
from tests.jobs import merge_spec, raw

D1 = "2024-01-01"
RUN_KEYS = {"job", "run_date", "run_id", "table", "mode", "outcome", "counts", "version", "skipped_for_version",
            "files", "partitions", "attempts", "seconds", "error", "source", "expectations", "quarantine",
            "schema_changes"}


def _job(project) -> str:
    path = project / "jobs" / "things.yaml"
    path.write_text(yaml.safe_dump(merge_spec(sequence_by="seq", delete_when="op = 'D'")))
    return str(path)


def _run(job, *extra):
    return execute(["run", job, "--date", D1, "--profile", "test", "--output", "json", *extra])


def test_a_run_prints_one_json_object(spark, project, capsys):
    job = _job(project)
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    assert _run(job) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == RUN_KEYS
    assert (out["job"], out["run_date"], out["outcome"], out["version"], out["error"]) == ("things", D1, "loaded",
                                                                                           0, None)
    assert out["counts"] == {"read": 3, "malformed_dropped": 0, "filtered_out": 0, "null_keys_dropped": 0,
                             "duplicates_resolved": 1,
                             "inserted": 2, "updated": 0, "deleted": 0, "tombstones": 0, "expect_dropped": 0,
                             "quarantined": 0}
    assert out["files"]["added"] >= 1 and out["attempts"] == 1
    assert _run(job) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["outcome"], again["skipped_for_version"], again["counts"]["read"]) == ("skipped", 0, 0)


def test_a_failed_run_prints_its_error_as_json_and_exits_with_its_code(spark, project, capsys):
    job = _job(project)
    assert _run(job) == 3
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out == {"job": job, "run_date": D1, "run_id": out["run_id"], "outcome": "failed",
                   "error": {"class": "DataError", "condition": None, "exit_code": 3,
                             "message": f"{job}: source.path: no files match {project}/raw/things/{D1}/*.csv"}}
    assert captured.err == f"error: {out['error']['message']}\n"


def test_log_format_json_writes_structured_lines(spark, project, capsys):
    job = _job(project)
    raw(project, D1, "1,a,2024-01-01,1,I")
    assert execute(["--log-format", "json", "run", job, "--date", D1, "--profile", "test"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["level"], line["stage"]) for line in lines] == [("INFO", "check"), ("INFO", "read")]
    assert all(line["job"] == "things" and line["run_date"] == D1 and line["logger"] == "lakehouse.run.runner"
               for line in lines)
    assert execute(["--log-format", "json", "run", job, "--date", "2024-01-09", "--profile", "test"]) == 3
    (error,) = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert (error["level"], error["error_class"], error["exit_code"], error["condition"]) == ("ERROR", "DataError",
                                                                                             3, None)
    assert error["message"].endswith("source.path: no files match "
                                     f"{project}/raw/things/2024-01-09/*.csv")
