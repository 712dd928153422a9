"""The audit API on one table built by three job runs (tests/audit_data.py)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable
from pyspark.sql import functions as F

from lakehouse.audit import read as audit, timetravel
from lakehouse.errors import LakehouseError, TableError
from lakehouse.runtime.compat import READ_OLD_VERSIONS
from tests.audit_data import snapshot

D = dt.date.fromisoformat


def _commit_micros(spark, path):
    rows = DeltaTable.forPath(spark, path).history().select("version", F.unix_micros("timestamp")).collect()
    return {r[0]: r[1] for r in rows}


def _plain(df):
    return sorted((r.asDict(recursive=True) for r in df.collect()), key=lambda r: tuple(map(str, r.values())))


@pytest.mark.parametrize("version", [0, 1, 2])
def test_as_of_each_version(spark, audit_table, version):
    assert_df_equality(audit.as_of(spark, audit_table.path, version=version), snapshot(spark, version),
                       ignore_row_order=True)


def test_as_of_each_commit_timestamp(spark, audit_table):
    for version, micros in _commit_micros(spark, audit_table.path).items():
        at = timetravel.iso(timetravel.from_epoch_micros(micros))
        assert_df_equality(audit.as_of(spark, audit_table.path, timestamp=at), snapshot(spark, version),
                           ignore_row_order=True)
        just_before = timetravel.from_epoch_micros(micros - 1000)
        if version:
            assert audit.version_at(spark, audit_table.path, just_before) == version - 1
        else:
            with pytest.raises(TableError, match=r"is before the first commit of .* \(version 0 at "):
                audit.as_of(spark, audit_table.path, timestamp=just_before)


def test_as_of_refuses_unknown_versions_and_ambiguous_requests(spark, audit_table):
    with pytest.raises(TableError, match=r"version 7 of .* does not exist \(versions 0 to 2\)"):
        audit.as_of(spark, audit_table.path, version=7)
    with pytest.raises(LakehouseError, match="only one of a version, a timestamp or a run date"):
        audit.as_of(spark, audit_table.path, version=1, timestamp="2024-01-01")
    with pytest.raises(TableError, match="no Delta table at"):
        audit.as_of(spark, audit_table.path + "-missing", version=0)


def test_history_has_metrics_lineage_and_readability(spark, audit_table):
    rows = audit.history(spark, audit_table.path).collect()
    assert [(r.version, r.operation, r.rows_inserted, r.rows_updated, r.rows_deleted, r.job, r.run_date,
             r.run_id, r.readable) for r in rows] == [
        (2, "MERGE", 1, 1, 0, "things", "2024-01-03", "run-2024-01-03", True),
        (1, "MERGE", 1, 1, 1, "things", "2024-01-02", "run-2024-01-02", True),
        (0, "WRITE", 3, 0, 0, "things", "2024-01-01", "run-2024-01-01", True)]
    assert all(r.files_added >= 1 for r in rows)
    assert rows[2].source_files[0].endswith("things/2024-01-01/part-1.csv")


EXPECTED_0_TO_2 = [
    {"id": 2, "change": "update", "changed_columns": ["name", "seq", "op"],
     "before": {"name": "b", "day": D("2024-01-01"), "seq": 1, "op": "I"},
     "after": {"name": "BB", "day": D("2024-01-01"), "seq": 3, "op": "U"}},
    {"id": 3, "change": "delete", "changed_columns": ["name", "day", "seq", "op"],
     "before": {"name": "c", "day": D("2024-01-02"), "seq": 1, "op": "I"}, "after": None},
    {"id": 4, "change": "insert", "changed_columns": ["name", "day", "seq", "op"], "before": None,
     "after": {"name": "d", "day": D("2024-01-02"), "seq": 2, "op": "I"}},
    {"id": 5, "change": "insert", "changed_columns": ["name", "day", "seq", "op"], "before": None,
     "after": {"name": "e", "day": D("2024-01-03"), "seq": 3, "op": "I"}},
]


def test_changes_from_change_feed_and_snapshots_agree(spark, audit_table):
    cdf = audit.changes(spark, audit_table.path, 0, 2, keys=["id"], method="cdf")
    snap = audit.changes(spark, audit_table.path, 0, 2, keys=["id"], method="snapshot")
    assert _plain(cdf) == EXPECTED_0_TO_2
    assert_df_equality(cdf, snap, ignore_row_order=True)
    recorded = audit.changes(spark, audit_table.path, 0, 2)  # keys from the merge runs' lineage
    assert_df_equality(recorded, cdf, ignore_row_order=True)
    one = audit.changes(spark, audit_table.path, 1, 2, key_filter={"id": 2})  # keys from the filter
    assert [(r.id, r.change, r.changed_columns) for r in one.collect()] == [(2, "update", ["name", "seq"])]


def test_changes_fall_back_to_snapshots_without_change_feed(spark, tmp_path):
    path = str(tmp_path / "plain")
    spark.createDataFrame([(1, "a"), (2, "b")], "k INT, v STRING").write.format("delta").save(path)
    spark.createDataFrame([(1, "A")], "k INT, v STRING").write.format("delta").mode("overwrite").save(path)
    with pytest.raises(TableError, match="change data feed of .* does not cover versions 1 to 1"):
        audit.changes(spark, path, 0, 1, keys=["k"], method="cdf")
    rows = audit.changes(spark, path, 0, 1, keys=["k"]).orderBy("k").collect()
    assert [(r.k, r.change, r.changed_columns) for r in rows] == [(1, "update", ["v"]), (2, "delete", ["v"])]
    with pytest.raises(LakehouseError, match="which columns identify a row"):
        audit.changes(spark, path, 0, 1)


def test_record_history_lists_exactly_the_versions_that_touched_the_key(spark, audit_table):
    rows = audit.record_history(spark, audit_table.path, {"id": 2}).collect()
    assert [(r.version, r.change, r.changed_columns, r.after.name, r.run_date, r.run_id) for r in rows] == [
        (0, "insert", ["name", "day", "seq", "op"], "b", "2024-01-01", "run-2024-01-01"),
        (1, "update", ["name", "seq", "op"], "B", "2024-01-02", "run-2024-01-02"),
        (2, "update", ["name", "seq"], "BB", "2024-01-03", "run-2024-01-03")]
    cdf = audit.record_history(spark, audit_table.path, {"id": 3}, method="cdf")
    snap = audit.record_history(spark, audit_table.path, {"id": 3}, method="snapshot")
    assert [(r.version, r.change) for r in cdf.collect()] == [(0, "insert"), (1, "delete")]
    assert_df_equality(cdf, snap)


def test_restore_needs_confirmation_and_records_lineage(spark, audit_table):
    path = audit_table.copy("restored")
    with pytest.raises(LakehouseError, match="confirm it"):
        audit.restore(spark, path, version=1)
    done = audit.restore(spark, path, version=1, confirm=True, reason="bad load", run_id="fix-1")
    assert (done.restored_version, done.version) == (1, 3)
    assert_df_equality(audit.as_of(spark, path, version=3), snapshot(spark, 1), ignore_row_order=True)
    row = audit.history(spark, path, 1).first()
    assert (row.operation, row.restored_version, row.job, row.run_id) == ("RESTORE", 1, "restore", "fix-1")


def test_versions_older_than_the_file_retention_are_read_and_restored(spark, tmp_path):
    """Delta 4.4 refuses time travel past ``delta.deletedFileRetentionDuration`` (7 days) by commit time alone;
    lakehouse checks the files itself, so a year-old load reads and restores as on Delta 3.3 and 4.0.
    No in-commit timestamps here: the commit files' times are the commit times."""
    path = str(tmp_path / "aged")
    for i in range(2):
        spark.range(i * 10, i * 10 + 3).write.format("delta").mode("append").save(path)
    year_ago = dt.datetime.now(dt.timezone.utc).timestamp() - 365 * 86400
    for commit in sorted(Path(path, "_delta_log").glob("*.json")):
        os.utime(commit, (year_ago, year_ago))
        year_ago += 60
    assert_df_equality(audit.as_of(spark, path, version=0), spark.range(3), ignore_row_order=True, ignore_nullable=True)
    assert audit.restore(spark, path, version=0, confirm=True).version == 2
    assert_df_equality(audit.as_of(spark, path, version=2), spark.range(3), ignore_row_order=True, ignore_nullable=True)
    assert all(spark.conf.get(key, None) is None for key in READ_OLD_VERSIONS)  # set for those calls only


def test_vacuum_guard_and_the_error_for_a_vacuumed_version(spark, audit_table):
    path = audit_table.copy("vacuumed")
    with pytest.raises(LakehouseError, match=r"refusing to vacuum .* keeping only 1 hours: the audit window is 30"):
        audit.vacuum(spark, path, 1, audit_window_days=30)
    done = audit.vacuum(spark, path, 0, audit_window_days=30, force=True)
    assert done.deleted_files > 0
    assert spark.conf.get(audit.RETENTION_CHECK, None) is None  # the override ended with the call
    with pytest.raises(TableError, match="version 0 of .* can no longer be read: its data files were removed by VACUUM"):
        audit.as_of(spark, path, version=0)
    readable = {r.version: r.readable for r in audit.history(spark, path).collect()}
    assert (readable[0], readable[1], readable[2]) == (False, False, True)
    assert_df_equality(audit.as_of(spark, path, version=2), snapshot(spark, 2), ignore_row_order=True)
