"""The delta-rs audit path answers as the Spark path does, without importing Spark.

Both engines run through the CLI on the same real tables (tests/audit/conftest.py: the merge table of
tests/audit_data.py, a copy after RESTORE, a copy after VACUUM, a table with deletion vectors) and their
outputs (exit code, stdout, stderr) are compared as text.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("deltalake")
REPO = Path(__file__).resolve().parents[2]
FORMATS = ("table", "json", "csv")


def same(both, *argv):
    """Run ``argv`` on both engines in every format; the outputs are equal and the Spark run succeeded."""
    for fmt in FORMATS:
        spark_out, rs_out = both(*argv, "--format", fmt)
        assert spark_out[0] == 0, spark_out
        assert rs_out == spark_out, (argv, fmt)
    return spark_out


@pytest.mark.parametrize("name", ["merge", "restored", "vacuumed", "dv", "scd2"])
def test_history_is_the_same_text_in_every_format(both, tables, name):
    same(both, "history", tables[name])
    _, limited = both("history", tables[name], "--limit", "1", "--format", "csv")
    assert limited[1].count("\n") == 2


@pytest.mark.parametrize("name, version", [("merge", 0), ("merge", 2), ("restored", 3), ("vacuumed", 2)])
def test_show_a_version_is_the_same_text(both, tables, name, version):
    same(both, "show", tables[name], "--version", str(version))


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


@pytest.mark.parametrize("name, argv", [
    ("merge", []), ("merge", ["--from", "0"]), ("merge", ["--from", "0", "--to", "1"]),
    ("merge", ["--run-date", "2024-01-02"]), ("merge", ["--from", "0", "--key", "id=2"]),
    ("merge", ["--from", "1", "--to", "1"]), ("merge", ["--to", "0", "--keys", "id,day"]),
    ("restored", []), ("restored", ["--from", "1"]), ("scd2", ["--from", "0"]), ("vacuumed", []), ("vacuumed", ["--from", "2", "--to", "4"]),
])
def test_diff_is_the_same_text(both, tables, name, argv):
    out = same(both, "diff", tables[name], *argv)
    assert out[2].startswith("changes since ")


@pytest.mark.parametrize("name, argv", [
    ("merge", ["--to", "5"]), ("merge", ["--from", "2", "--to", "1"]), ("merge", ["--run-date", "2024-02-01"]),
    ("merge", ["--key", "id=x"]), ("merge", ["--key", "nope=1"]), ("merge", ["--keys", "nope"]),
    ("merge", ["--run-date", "2024-01-02", "--from", "1"]), ("vacuumed", ["--from", "0"]),
    ("restored", ["--run-date", "2024-01-03"]),
])
def test_diff_errors_are_the_same_line(both, tables, name, argv):
    spark_out, rs_out = both("diff", tables[name], *argv)
    assert spark_out[0] != 0 and spark_out[2].count("\n") == 1
    assert rs_out == spark_out


@pytest.mark.parametrize("name, key", [("merge", ["id=2"]), ("merge", ["id=3"]), ("merge", ["id=99"]),
                                       ("restored", ["id=2"]), ("vacuumed", ["id=5"]), ("scd2", ["id=1"])])
def test_a_record_history_is_the_same_text(both, tables, name, key):
    same(both, "history", tables[name], *[f"--key={k}" for k in key])


def test_where_is_translated_or_left_to_spark(both, tables, capsys):
    for where in ("id IN (1, 2) OR name = 'e'", "NOT (day >= '2024-01-02') AND seq <> 2", "name IS NOT NULL"):
        same(both, "show", tables["merge"], "--where", where)
    for where in ("name LIKE 'B%'", "id + 1 = 3", "nope = 1", "id ="):  # not translated: Spark under auto
        spark_out, auto_out = both("show", tables["merge"], "--where", where, engines=("spark", "auto"))
        assert auto_out == spark_out, where
        code, _, err = both("show", tables["merge"], "--where", where, engines=("delta-rs",))[0]
        assert code == 2 and err.count("\n") == 1 and "--engine delta-rs cannot read --where" in err, err


def test_deletion_vectors_are_read_by_spark_under_auto(both, tables):
    for argv in (["show", tables["dv"], "--version", "2"], ["diff", tables["dv"], "--keys", "id"],
                 ["history", tables["dv"], "--key", "id=5"]):
        spark_out, auto_out = both(*argv, engines=("spark", "auto"))
        assert spark_out[0] == 0 and auto_out == spark_out, argv
        code, _, err = both(*argv, engines=("delta-rs",))[0]
        assert code == 2 and err.count("\n") == 1, err
        assert "reader features delta-rs lacks (deletionVectors)" in err
    assert "5,x," in both("show", tables["dv"], "--format", "csv", engines=("spark",))[0][1]


@pytest.mark.parametrize("name, as_of, version", [
    ("plain", "2024-01-01T00:01:00Z", 0), ("plain", "2024-01-01T00:02:00Z", 1), ("plain", "2024-01-01 00:03:20", 2),
    ("skewed", "2024-01-01T00:04:00Z", None), ("skewed", "2999-01-01", 2)])
def test_as_of_uses_in_commit_timestamps_else_file_times(both, tables, name, as_of, version):
    spark_out, rs_out = both("show", tables[name], "--as-of", as_of, "--format", "csv")
    assert rs_out == spark_out
    if version is None:  # the skewed files say 2024, but the in-commit timestamps are today's
        assert spark_out[0] != 0 and "is before the first commit" in spark_out[2]
    else:
        assert spark_out[0] == 0 and f" at version {version}" in spark_out[2]


def test_the_delta_rs_path_imports_no_spark(audit_table, tmp_path):
    blocked = tmp_path / "blocked"
    for name in ("pyspark", "py4j", "delta"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    env = {"PYTHONPATH": f"{blocked}:{REPO}", "PATH": "/usr/bin:/bin"}
    conf = ["--profile", "test", "--conf-dir", str(audit_table.project / "conf")]
    for argv in (["history", audit_table.path], ["history", audit_table.path, "--key", "id=2"],
                 ["diff", audit_table.path, "--run-date", "2024-01-02"],
                 ["show", audit_table.path, "--where", "id <> 2"],
                 ["show", audit_table.path, "--version", "1", "--format", "csv"]):
        done = subprocess.run([sys.executable, "-m", "lakehouse", *argv, *conf], env=env, capture_output=True,
                              text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "blocked" not in done.stderr
    assert done.stdout.splitlines()[1:] == ["1,a,2024-01-01,1,I", "2,B,2024-01-01,2,U", "4,d,2024-01-02,2,I"]
