"""`lakehouse validate` and `lakehouse run` end to end, in process, on the shared session."""

import subprocess
import sys

import yaml
from delta.tables import DeltaTable

from lakehouse.cli.main import execute
from tests.jobs import merge_spec, raw, table_path

D1, D2 = "2024-01-01", "2024-01-02"


def _job(project, spec=None):
    path = project / "jobs" / "things.yaml"
    path.write_text(yaml.safe_dump(spec or merge_spec(sequence_by="seq", delete_when="op = 'D'")))
    return str(path)


def _run(job, date, *extra):
    return execute(["run", job, "--date", date, "--profile", "test", *extra])


def test_validate_needs_no_spark_and_reports_one_line(project, capsys):
    good, bad = _job(project), project / "jobs" / "bad.yaml"
    bad.write_text("name: bad\nsource: {format: csv, path: x, schema: 'a INT', colour: red}\n"
                   "target: {path: t, mode: append}\n")
    check = "import sys; from lakehouse.cli.main import execute; rc = execute(['validate', sys.argv[1]]); " \
            "sys.exit(rc or ('pyspark' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", check, good], capture_output=True).returncode == 0
    assert execute(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {bad}:2: source.colour: unknown key\n"


def test_run_prints_summary_and_dry_run_commits_nothing(spark, project, capsys):
    job = _job(project)
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    assert _run(job, D1) == 0
    raw(project, D2, "1,A,2024-01-01,2,U", "2,b,2024-01-01,2,D", "3,c,2024-01-02,2,I", "3,c,2024-01-02,1,I")
    capsys.readouterr()
    assert _run(job, D2, "--dry-run") == 0
    dry = capsys.readouterr().out
    assert "would write 1 inserted, 1 updated, 1 deleted" in dry
    assert "partitions  2 touched: 2024-01-01, 2024-01-02" in dry
    assert DeltaTable.forPath(spark, table_path(project)).history().count() == 1
    assert _run(job, D2) == 0
    out = capsys.readouterr().out
    assert "read        4 rows, 1 superseded duplicates resolved" in out
    assert "wrote       1 inserted, 1 updated, 1 deleted" in out
    assert "version     1 (" in out


def test_user_mistakes_exit_1_with_one_line_and_write_nothing(spark, project, capsys):
    job = _job(project, merge_spec())
    assert _run(job, "2024-13-01") == 2
    assert _run(job, D1) == 3  # no raw files yet
    raw(project, D1, "1,a,2024-01-01,1,I", "1,b,2024-01-01,2,I")
    assert _run(job, D1) == 3  # duplicate keys, no sequence_by
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == ("error: lakehouse run: argument --date: run date '2024-13-01' is not a date (YYYY-MM-DD, "
                        "today, yesterday or today-N) (see lakehouse run --help)")
    assert lines[1].startswith(f"error: {job}: source.path: no files match ")
    assert lines[2].startswith(f"error: {job}: target.merge.keys: duplicate keys in the increment, e.g. (id=1);")
    assert len(lines) == 3 and not (project / "lake" / "things").exists()


def test_bad_sql_expression_names_the_field(spark, project, capsys):
    spec = merge_spec()
    spec["transform"] = {"derive": {"big": "seq >"}}
    raw(project, D1, "1,a,2024-01-01,1,I")
    assert _run(_job(project, spec), D1) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {project}/jobs/things.yaml: transform.derive.big: [PARSE_SYNTAX_ERROR] "
                          "Syntax error at or near end of input.")
    assert "Traceback" not in err


def test_validate_checks_that_the_sql_file_exists(project, capsys):
    spec = merge_spec()
    spec["transform"] = {"sql": "missing.sql"}
    job = _job(project, spec)
    assert execute(["validate", job]) == 2
    assert capsys.readouterr().err == f"error: {job}: transform.sql: SQL file not found: {project}/sql/missing.sql\n"
