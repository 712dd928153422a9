"""The delta-rs audit path (lakehouse.audit.deltars) answers as the Spark path does, without importing Spark.

Both engines run through the CLI on the same real tables (the audit table of tests/audit_data.py: a merge
job partitioned by day; a copy after RESTORE; a copy after VACUUM) and their outputs are compared as text.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.audit import read as audit
from lakehouse.cli.main import execute

pytest.importorskip("deltalake")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables(spark, audit_table):
    """name → path: the plain merge table, a copy after a RESTORE, a copy after VACUUM."""
    restored = audit_table.copy("deltars_restored")
    audit.restore(spark, restored, version=0, confirm=True, reason="bad load")
    vacuumed = audit_table.copy("deltars_vacuumed")
    audit.vacuum(spark, vacuumed, 0, audit_window_days=30, force=True)
    return {"merge": audit_table.path, "restored": restored, "vacuumed": vacuumed}


@pytest.fixture
def both(audit_table, capsys):
    """``both(*argv)`` → the (exit code, stdout, stderr) of the Spark engine and of delta-rs."""
    def _run(*argv):
        out = []
        for engine in ("spark", "delta-rs"):
            code = execute([*argv, "--engine", engine, "--profile", "test",
                            "--conf-dir", str(audit_table.project / "conf")])
            out.append((code, *capsys.readouterr()))
        return out

    return _run


@pytest.mark.parametrize("name", ["merge", "restored", "vacuumed"])
def test_history_is_the_same_text_in_every_format(both, tables, name):
    for fmt in ("table", "json", "csv"):
        spark_out, rs_out = both("history", tables[name], "--format", fmt)
        assert spark_out[0] == 0 and rs_out == spark_out, fmt
    _, limited = both("history", tables[name], "--limit", "1", "--format", "csv")
    assert limited[1].count("\n") == 2


@pytest.mark.parametrize("name, version", [("merge", 0), ("merge", 2), ("restored", 3), ("vacuumed", 2)])
def test_show_a_version_is_the_same_text(both, tables, name, version):
    for fmt in ("table", "json", "csv"):
        spark_out, rs_out = both("show", tables[name], "--version", str(version), "--format", fmt)
        assert spark_out[0] == 0 and rs_out == spark_out, fmt


def test_show_by_run_date_and_time_and_the_errors_match(both, tables):
    assert len({o for o in both("show", tables["merge"], "--run-date", "2024-01-02")}) == 1
    assert len({o for o in both("show", tables["merge"], "--as-of", "2999-01-01", "--format", "json")}) == 1
    for argv in (["--version", "9"], ["--as-of", "1999-01-01"], ["--run-date", "2024-01-02"]):
        path = tables["vacuumed"] if argv[0] == "--version" else tables["restored"]
        spark_out, rs_out = both("show", path, *argv)
        assert spark_out[0] == 1 or spark_out[0] == 2
        assert rs_out == spark_out, argv
    spark_out, rs_out = both("show", tables["vacuumed"], "--version", "0")
    assert spark_out[0] != 0 and rs_out == spark_out


def test_where_and_key_need_spark(audit_table, capsys):
    conf = ["--profile", "test", "--conf-dir", str(audit_table.project / "conf")]
    assert execute(["show", audit_table.path, "--where", "id = 1", "--engine", "delta-rs", *conf]) == 2
    assert "--engine delta-rs cannot read --where" in capsys.readouterr().err
    assert execute(["show", audit_table.path, "--where", "id = 1", "--format", "csv", *conf]) == 0  # auto: Spark
    assert capsys.readouterr().out.splitlines()[1].startswith("1,a,")


def test_the_delta_rs_path_imports_no_spark(audit_table, tmp_path):
    blocked = tmp_path / "blocked"
    for name in ("pyspark", "py4j", "delta"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    env = {"PYTHONPATH": f"{blocked}:{REPO}", "PATH": "/usr/bin:/bin"}
    conf = ["--profile", "test", "--conf-dir", str(audit_table.project / "conf")]
    for argv in (["history", audit_table.path], ["show", audit_table.path, "--version", "1", "--format", "csv"]):
        done = subprocess.run([sys.executable, "-m", "lakehouse", *argv, *conf], env=env, capture_output=True,
                              text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "blocked" not in done.stderr
    assert done.stdout.splitlines()[1:] == ["1,a,2024-01-01,1,I", "2,B,2024-01-01,2,U", "4,d,2024-01-02,2,I"]
