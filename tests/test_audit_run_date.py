"""Audit by run date, and what one read of the log tells: the audit table of tests/audit_data.py
(three merge runs: run date 2024-01-0N made version N-1)."""

import json
import shutil

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.audit import history as audit_history
from lakehouse.audit import read as audit
from lakehouse.cli.audit_text import history_table as _history_table
from lakehouse.cli.main import execute
from lakehouse.errors import TableError
from lakehouse.table import log as table_log
from lakehouse.table.lineage import RunLineage, SourceVersions
from lakehouse.table.log import Commit, TableLog
from lakehouse.table.readability import Readability, log_readable, missing_spans
from lakehouse.table.ref import TableRef
from tests.audit_data import snapshot


@pytest.fixture
def cli(audit_table, capsys):
    def _cli(*argv):
        code = execute([*argv, "--profile", "test", "--conf-dir", str(audit_table.project / "conf")])
        out, err = capsys.readouterr()
        return code, out, err

    return _cli


def test_as_of_a_run_date_is_the_version_its_load_made(spark, audit_table):
    for version, day in enumerate(["2024-01-01", "2024-01-02", "2024-01-03"]):
        found = audit.at(spark, audit_table.path, run_date=day)
        assert found.version == version and f"run date {day}" in found.description
        assert_df_equality(found.df, snapshot(spark, version), ignore_row_order=True)
    assert audit.at(spark, audit_table.path).version == 2  # nothing given: the latest
    with pytest.raises(TableError, match=r"no load of run date 2024-05-01 in .* \(loaded run dates: 2024-01-01 to "
                                         r"2024-01-03\)"):
        audit.as_of(spark, audit_table.path, run_date="2024-05-01")


def test_changes_of_a_run_date_are_its_version_against_the_one_before(spark, audit_table):
    assert_df_equality(audit.changes(spark, audit_table.path, run_date="2024-01-02"),
                       audit.changes(spark, audit_table.path, 0, 1), ignore_row_order=True)
    assert_df_equality(audit.changes(spark, audit_table.path), audit.changes(spark, audit_table.path, 1, 2),
                       ignore_row_order=True)  # nothing given: what the latest version changed
    first = audit.changes(spark, audit_table.path, run_date="2024-01-01", method="snapshot")
    assert sorted((r.id, r.change) for r in first.collect()) == [(1, "insert"), (2, "insert"), (3, "insert")]
    assert_df_equality(audit.changes(spark, audit_table.path, run_date="2024-01-01", method="cdf"), first,
                       ignore_row_order=True)


def test_restore_by_run_date_undoes_that_load_and_records_why(spark, audit_table):
    path = audit_table.copy("undone")
    done = audit.restore(spark, path, run_date="2024-01-02", confirm=True)
    assert (done.restored_version, done.version, done.undone) == (0, 3, 1)
    newest = audit.history(spark, path, 1).first()
    assert (newest.operation, newest.restored_version, newest.restore_reason) == (
        "RESTORE", 0, "undo the load of run date 2024-01-02 (version 1)")
    with pytest.raises(TableError, match=r"the load of run date 2024-01-02 in .* \(version 1\) was undone by the "
                                         r"RESTORE of version 3"):
        audit.as_of(spark, path, run_date="2024-01-02")
    with pytest.raises(TableError, match="made version 0, the oldest version of .*: there is no version before it"):
        audit.restore(spark, path, run_date="2024-01-01", confirm=True)
    assert DeltaTable.forPath(spark, path).history().count() == 4  # nothing written by the refused restore


def test_history_shows_filtered_rows_delta_source_versions_and_restore_reasons(spark):
    read = SourceVersions("lake/orders", "id-1", "changes", to_version=5, from_version=3)
    job = RunLineage(job="events", run_date="2024-01-02", run_id="r1", mode="append", rows={"filtered_out": 4},
                     source_versions=read)
    restore = {**json.loads(RunLineage(job="restore", run_date="2024-01-03", run_id="r2", mode="restore").to_json()),
               "restore": {"version": 0, "reason": "bad load"}}
    commits = (Commit(0, 1_000, "WRITE", metrics={"numOutputRows": "3"}),
               Commit(1, 2_000, "WRITE", metrics={"numOutputRows": "2"}, user_metadata=job.to_json()),
               Commit(2, 3_000, "RESTORE", parameters={"version": "0"}, user_metadata=json.dumps(restore)))
    log = TableLog("t", commits, Readability([0, 1, 2], log_readable([0, 1, 2], {}), ()))
    df = audit_history.frame(spark, log, commits)
    rows = {r.version: r for r in df.collect()}
    assert (rows[1].rows_filtered_out, rows[1].source_versions.asDict(), rows[2].restore_reason) == (
        4, {"table": "lake/orders", "table_id": "id-1", "read": "changes", "from_version": 3, "to_version": 5},
        "bad load")
    assert (rows[0].rows_filtered_out, rows[0].source_versions, rows[0].restore_reason) == (None, None, None)
    lines = _history_table(df).splitlines()
    assert lines[0].split()[-4:] == ["readable", "source", "reason", "schema"]
    assert "RESTORE to v0" in lines[2] and lines[2].endswith("  bad load")
    assert "changes of versions 3 to 5 of lake/orders" in lines[3] and " 4 " in lines[3]


def test_readability_is_one_pass_over_log_and_listing():
    assert log_readable([0, 1, 2, 3], {}) == {0, 1, 2, 3}
    assert log_readable([2, 3, 4], {}) == frozenset()  # commits 0 and 1 gone, no checkpoint
    assert log_readable([2, 3, 4], {3: True}) == {3, 4}
    assert log_readable([2, 3, 4], {3: False}) == frozenset()  # an incomplete multi-part checkpoint
    actions = [(0, "add", "a", ("a",)), (0, "add", "b", ("b",)), (1, "remove", "a", ("a",)),
               (2, "remove", "b", ("b",)), (2, "add", "b+dv", ("b", "dv")), (3, "remove", "x", ("x",))]
    gone = missing_spans(actions, lambda f: f not in ("a", "dv", "x"))
    r = Readability([0, 1, 2, 3], log_readable([0, 1, 2, 3], {}), gone)
    assert sorted(r.unreadable) == [0, 1, 2, 3]  # a: version 0; x: live before the first commit read up to 3;
    assert r.earliest is None                     # dv: from 2 on
    assert r.problem(3) == "its data files were removed by VACUUM (1 missing, e.g. dv)"
    r = Readability([0, 1, 2, 3], log_readable([0, 1, 2, 3], {}), missing_spans(actions[:5], lambda f: f != "a"))
    assert (sorted(r.unreadable), r.earliest) == ([0], 1)


def test_vacuumed_deletion_vectors_make_exactly_their_versions_unreadable(spark, tmp_path):
    path = str(tmp_path / "dv table")
    rows = spark.range(60).selectExpr("id", "'a b' AS part")
    rows.write.format("delta").partitionBy("part").option("delta.enableDeletionVectors", "true").save(path)
    table = DeltaTable.forPath(spark, path)
    table.delete("id < 10")  # version 1: a deletion vector
    table.delete("id < 20")  # version 2: a new deletion vector replaces it
    spark.conf.set(audit.RETENTION_CHECK, "false")
    try:
        table.vacuum(0)  # deletes the deletion vector of version 1 only
    finally:
        spark.conf.unset(audit.RETENTION_CHECK)
    log = table_log.read(spark, TableRef(path=path), readability=True)
    readable = {c.version: log.readable(c.version) for c in log.commits}
    assert readable == {0: True, 1: False, 2: True, 3: True, 4: True}  # 3, 4: VACUUM START and END
    with pytest.raises(Exception):
        spark.read.format("delta").option("versionAsOf", 1).load(path).collect()
    assert spark.read.format("delta").option("versionAsOf", 0).load(path).count() == 60


def test_show_diff_and_restore_by_run_date(cli, audit_table):
    code, out, err = cli("show", audit_table.path, "--run-date", "2024-01-02", "--format", "csv")
    assert (code, out.splitlines()[1:]) == (0, ["1,a,2024-01-01,1,I", "2,B,2024-01-01,2,U", "4,d,2024-01-02,2,I"])
    assert err.startswith(f"{audit_table.path} at version 1 (committed ") and "run date 2024-01-02" in err
    code, out, err = cli("show", audit_table.path, "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 5 and " at version 2, the latest " in err
    code, out, err = cli("diff", audit_table.path, "--run-date", "2024-01-03", "--format", "csv")
    assert code == 0 and [line.split(",")[:2] for line in out.splitlines()[1:]] == [["2", "update"], ["5", "insert"]]
    assert err.startswith(f"changes since version 1: {audit_table.path} at version 2")
    path = audit_table.copy("cli-undone")
    code, out, _ = cli("restore", path, "--run-date", "2024-01-03", "--yes")
    assert code == 0 and out.startswith(f"restored {path} to version 1, before the load of run date 2024-01-03 "
                                        "(version 2): new version 3 (run ")
    code, out, _ = cli("history", path, "--limit", "1", "--format", "json")
    row = json.loads(out)
    assert (row["operation"], row["restored_version"], row["restore_reason"]) == (
        "RESTORE", 1, "undo the load of run date 2024-01-03 (version 2)")
    code, out, _ = cli("history", path, "--limit", "1")
    assert out.splitlines()[2].endswith("undo the load of run date 2024-01-03 (version 2)")


@pytest.mark.parametrize("argv, message", [
    (["show", "{t}", "--run-date", "2024-05-01"],
     "error: no load of run date 2024-05-01 in {t} (loaded run dates: 2024-01-01 to 2024-01-03)"),
    (["show", "{t}", "--run-date", "2024-13-01"], "error: argument --run-date: run date '2024-13-01' is not a date"),
    (["diff", "{t}", "--run-date", "2024-01-02", "--from", "0"], "error: give a run date or versions to compare"),
    (["restore", "{t}", "--run-date", "2024-05-01", "--yes"], "error: no load of run date 2024-05-01 in {t}"),
    (["restore", "{t}", "--run-date", "2024-01-01", "--yes"], "error: the load of run date 2024-01-01 made version 0"),
])
def test_run_date_mistakes_give_one_line_exit_2_and_write_nothing(spark, cli, audit_table, argv, message):
    path = audit_table.copy(f"mistake-{abs(hash(tuple(argv)))}")
    try:
        code, out, err = cli(*[a.format(t=path) for a in argv])
        assert (code, out) == (2, "")
        assert len(err.splitlines()) == 1 and err.startswith(message.format(t=path))
        assert len(table_log.read(spark, TableRef(path=path)).commits) == 3
    finally:
        shutil.rmtree(path)

