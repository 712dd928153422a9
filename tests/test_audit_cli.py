"""The audit commands end to end, in-process on the shared session and the audit test table."""

import json

import pytest

from lakehouse.cli.main import execute


@pytest.fixture
def cli(audit_table, capsys):
    """``cli(*argv)`` → (exit code, stdout, stderr), with the audit project's test profile."""
    def _cli(*argv):
        code = execute([*argv, "--profile", "test", "--conf-dir", str(audit_table.project / "conf")])
        out, err = capsys.readouterr()
        return code, out, err

    return _cli


def test_history_table(cli, audit_table):
    code, out, _ = cli("history", audit_table.path)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["version", "timestamp", "operation", "inserted", "updated", "deleted", "filtered",
                                "+files", "-files", "job", "run_date", "run_id", "readable", "source", "reason", "schema"]
    assert [line.split()[0] for line in lines[2:]] == ["2", "1", "0"]
    assert lines[3].split()[3:] == ["MERGE", "1", "1", "1", "0", "2", "2", "things", "2024-01-02", "run-2024-01-02",
                                    "true", "2024-01-02/part-1.csv"]


def test_history_json_and_record_history(cli, audit_table):
    code, out, _ = cli("history", audit_table.path, "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["version"], r["rows_deleted"], r["job"]) for r in rows] == [
        (2, 0, "things"), (1, 1, "things"), (0, 0, "things")]
    code, out, _ = cli("history", audit_table.path, "--key", "id=3", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("version,timestamp,operation,change,changed_columns,before,after,job")
    assert [(line.split(",")[0], line.split(",")[3]) for line in lines[1:]] == [("0", "insert"), ("1", "delete")]


def test_show_as_of_version_with_where(cli, audit_table):
    code, out, _ = cli("show", audit_table.path, "--version", "0", "--where", "id >= 2", "--format", "csv")
    assert (code, out) == (0, "id,name,day,seq,op\n2,b,2024-01-01,1,I\n3,c,2024-01-02,1,I\n")


def test_diff_one_key(cli, audit_table):
    code, out, _ = cli("diff", audit_table.path, "--from", "0", "--to", "2", "--key", "id=2")
    assert code == 0
    assert out.splitlines()[2].split(None, 2) == ["2", "update", "name: b → BB, seq: 1 → 3, op: I → U"]


@pytest.mark.parametrize("argv, message", [
    (["show", "{t}", "--version", "9"], "error: version 9 of {t} does not exist (versions 0 to 2)"),
    (["show", "{t}", "--as-of", "1999-01-01"], "error: 1999-01-01T00:00:00Z is before the first commit"),
    (["show", "{t}", "--version", "0", "--where", "nope > 1"], "error: --where 'nope > 1': "),
    (["diff", "{t}", "--from", "0", "--key", "id=x"], "error: --key 'id=x': 'x' is not a bigint"),
    (["restore", "{t}", "--version", "0"], "error: restore replaces the current data of {t}; add --yes"),
    (["vacuum", "{t}", "--retain-hours", "24"], "error: refusing to vacuum {t} keeping only 24 hours"),
    (["history", "{t}-nope"], "error: no Delta table at {t}-nope"),
])
def test_user_mistakes_give_one_line_and_exit_2(cli, audit_table, argv, message):
    code, out, err = cli(*[a.format(t=audit_table.path) for a in argv])
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith(message.format(t=audit_table.path))


def test_restore(cli, audit_table):  # vacuum itself is exercised in test_audit.py (it is slow)
    path = audit_table.copy("cli-restored")
    code, out, _ = cli("restore", path, "--version", "0", "--yes", "--reason", "test")
    assert code == 0 and out.startswith(f"restored {path} to version 0: new version 3 (run ")
    code, out, _ = cli("show", path, "--version", "3", "--format", "csv")
    assert out.splitlines()[1:] == ["1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I", "3,c,2024-01-02,1,I"]
