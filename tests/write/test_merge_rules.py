"""The ordering rules of MergeOptions, one regression example each (the property suite covers the rest)."""

import datetime as dt

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.errors import DataError
from tests.jobs import expected, merge_spec, raw, read_table, table_path

CDC = merge_spec(sequence_by="seq", delete_when="op = 'D'")


def _days(n: int) -> list[str]:
    return [(dt.date(2024, 2, 1) + dt.timedelta(days=i)).isoformat() for i in range(n)]


def _assert_table(spark, project, *rows):
    assert_df_equality(read_table(spark, project), expected(spark, *rows), ignore_row_order=True)


def test_a_late_row_never_overwrites_a_newer_sequence_only_update(spark, project, run):
    d1, d2, d3 = _days(3)
    raw(project, d1, "1,PAID,2024-02-01,2,U")
    run(CDC, d1)
    raw(project, d2, "1,PAID,2024-02-01,5,U")  # re-sent: only the sequence moved, the table must follow
    assert run(CDC, d2).outcome.updated == 1
    raw(project, d3, "1,CANCELLED,2024-02-01,3,U")  # late: older than 5, newer than 2
    assert run(CDC, d3).outcome.updated == 0
    _assert_table(spark, project, (1, "PAID", "2024-02-01", 5, "U"))


def test_a_deleted_key_stays_deleted_until_a_newer_row(spark, project, run):
    d1, d2, d3, d4 = _days(4)
    raw(project, d1, "1,NEW,2024-02-01,1,I", "2,NEW,2024-02-01,1,I")
    run(CDC, d1)
    raw(project, d2, "1,x,2024-02-01,8,D")
    assert run(CDC, d2).outcome.tombstones == 1
    raw(project, d3, "1,LATE,2024-02-01,6,U")  # happened before the delete
    assert (run(CDC, d3).outcome.inserted, read_table(spark, project).count()) == (0, 1)
    raw(project, d4, "1,BACK,2024-02-01,9,I")  # newer than the delete
    assert run(CDC, d4).outcome.inserted == 1
    _assert_table(spark, project, (1, "BACK", "2024-02-01", 9, "I"), (2, "NEW", "2024-02-01", 1, "I"))


def test_a_delete_before_its_insert_keeps_the_key_out(spark, project, run):
    d1, d2 = _days(2)
    raw(project, d1, "1,x,2024-02-01,5,D", "2,NEW,2024-02-01,1,I")
    assert run(CDC, d1).outcome.tombstones == 1
    raw(project, d2, "1,OLD,2024-02-01,3,I")
    run(CDC, d2)
    _assert_table(spark, project, (2, "NEW", "2024-02-01", 1, "I"))


def test_tombstones_expire_after_their_window(spark, project, run):
    spec = merge_spec(sequence_by="seq", delete_when="op = 'D'", tombstone_days=1)
    d1, _, d3 = _days(3)
    raw(project, d1, "1,x,2024-02-01,8,D", "2,NEW,2024-02-01,1,I")
    run(spec, d1)
    raw(project, d3, "1,OLD,2024-02-01,6,I")  # two run days later: the tombstone no longer applies
    assert run(spec, d3).outcome.inserted == 1


def test_ties_in_the_increment(spark, project, run):
    d1, d2 = _days(2)
    raw(project, d1, "1,a,2024-02-01,1,I", "1,a,2024-02-01,1,I", "2,b,2024-02-01,4,U", "2,gone,2024-02-01,4,D")
    summary = run(CDC, d1)  # identical rows collapse; a delete beats an update of equal order
    assert (summary.outcome.inserted, summary.duplicates_resolved, summary.outcome.tombstones) == (1, 2, 1)
    raw(project, d2, "3,c,2024-02-01,1,I", "3,C,2024-02-01,1,I")
    with pytest.raises(DataError, match=r"rows of equal order \(seq\) with different values for one key in the "
                                        r"increment, e.g. \(id=3\); nothing was written"):
        run(CDC, d2)
    _assert_table(spark, project, (1, "a", "2024-02-01", 1, "I"))


def test_tie_breaker_orders_equal_sequences(spark, project, run):
    spec = merge_spec(sequence_by="seq", tie_breaker="name")
    raw(project, _days(1)[0], "1,b,2024-02-01,1,U", "1,a,2024-02-01,1,U")
    run(spec, _days(1)[0])
    _assert_table(spark, project, (1, "b", "2024-02-01", 1, "U"))


def test_ties_with_the_table(spark, project, run):
    d1, d2, d3 = _days(3)
    raw(project, d1, "1,a,2024-02-01,5,I", "2,b,2024-02-01,5,I")
    run(CDC, d1)
    raw(project, d2, "1,a,2024-02-01,5,I", "2,B,2024-02-01,5,U")
    with pytest.raises(DataError, match=r"values different from the stored row, e\.g\. \(id=2\)"):
        run(CDC, d2)
    raw(project, d3, "1,a,2024-02-01,5,I", "2,b,2024-02-01,5,D")  # identical: no-op; delete: deletes
    summary = run(CDC, d3)
    assert (summary.outcome.updated, summary.outcome.deleted) == (0, 1)
    _assert_table(spark, project, (1, "a", "2024-02-01", 5, "I"))


def test_null_sequence_fails_naming_the_key(spark, project, run):
    raw(project, _days(1)[0], "7,a,2024-02-01,,I")
    with pytest.raises(DataError, match=r"rows with a null seq \(sequence_by\), e\.g\. \(id=7\)"):
        run(CDC, _days(1)[0])
    assert not (project / "lake" / "things").exists()


def test_a_partition_move_leaves_one_row(spark, project, run):
    d1, d2 = _days(2)
    raw(project, d1, "1,a,2024-02-01,1,I", "2,b,2024-02-01,1,I")
    run(CDC, d1)
    raw(project, d2, "1,moved,2024-02-02,2,U")
    summary = run(CDC, d2)
    assert (summary.outcome.updated, summary.outcome.inserted) == (1, 0)
    _assert_table(spark, project, (1, "moved", "2024-02-02", 2, "U"), (2, "b", "2024-02-01", 1, "I"))


def test_restore_undoes_the_tombstones_of_the_runs_it_undoes(spark, project, run):
    d1, d2, d3 = _days(3)
    raw(project, d1, "1,a,2024-02-01,1,I")
    run(CDC, d1)
    raw(project, d2, "1,x,2024-02-01,8,D")
    run(CDC, d2)
    DeltaTable.forPath(spark, table_path(project)).restoreToVersion(0)  # key 1 is back, its delete undone
    raw(project, d3, "1,b,2024-02-01,6,U")  # older than the undone delete, newer than the stored row
    assert run(CDC, d3).outcome.updated == 1
    _assert_table(spark, project, (1, "b", "2024-02-01", 6, "U"))


def test_dry_run_force_reports_what_a_forced_load_would_write(spark, project, run):
    d1, d2 = _days(2)
    raw(project, d1, "1,a,2024-02-01,1,I", "2,b,2024-02-01,1,I")
    run(CDC, d1)
    raw(project, d2, "1,A,2024-02-01,2,U", "2,x,2024-02-01,2,D", "3,c,2024-02-02,1,I")
    run(CDC, d2)
    assert run(CDC, d2, dry_run=True).skipped  # the same files: loaded already
    raw(project, d2, "1,AA,2024-02-01,3,U", "3,c,2024-02-02,1,I", "4,d,2024-02-02,1,I")  # corrected file
    with pytest.raises(DataError, match=r"^run date 2024-02-02 was loaded in version 1, but its source files "
                                        r"changed since \(changed: file:///.*/2024-02-02/part-1.csv\); run with "
                                        r"--force to load it again$"):
        run(CDC, d2, dry_run=True)
    dry = run(CDC, d2, dry_run=True, force=True)
    forced = run(CDC, d2, force=True)
    counts = lambda o: (o.inserted, o.updated, o.deleted)  # noqa: E731
    assert not dry.skipped and counts(dry.outcome) == counts(forced.outcome) == (1, 1, 0)


def test_a_null_tie_breaker_is_the_oldest_in_the_commit_too(spark, project, run):
    spec = merge_spec(sequence_by="seq", tie_breaker="name", delete_when="op = 'D'")
    d1, d2 = _days(2)
    raw(project, d1, "1,,2024-02-01,5,I", "2,b,2024-02-01,5,I")
    run(spec, d1)
    raw(project, d2, "1,x,2024-02-02,5,D")  # equal sequence, tie breaker x > NULL; stored in another partition
    assert run(spec, d2).outcome.deleted == 1
    _assert_table(spark, project, (2, "b", "2024-02-01", 5, "I"))


def test_vacuum_keeps_the_tombstones_working(spark, project, run):
    from lakehouse.audit import read as audit

    d1, d2 = _days(2)
    raw(project, d1, "1,x,2024-02-01,8,D", "2,b,2024-02-01,1,I")
    run(CDC, d1)
    audit.vacuum(spark, table_path(project), 0, audit_window_days=30, force=True)
    raw(project, d2, "1,OLD,2024-02-01,6,I")
    assert run(CDC, d2).outcome.inserted == 0
    assert (project / "lake" / "things" / "_lakehouse_tombstones" / "_delta_log").is_dir()


def test_a_tombstone_log_left_without_a_commit_does_not_stop_the_job(spark, project, run):
    """A kill during the first tombstone write can leave `_lakehouse_tombstones/_delta_log/` empty."""
    d1, d2 = _days(2)
    raw(project, d1, "1,a,2024-02-01,1,I", "2,b,2024-02-01,1,I")
    run(CDC, d1)
    (project / "lake" / "things" / "_lakehouse_tombstones" / "_delta_log").mkdir(parents=True)
    raw(project, d2, "1,a,2024-02-01,2,D")
    assert (run(CDC, d2).outcome.deleted, run(CDC, d2).skipped) == (1, True)
    _assert_table(spark, project, (2, "b", "2024-02-01", 1, "I"))
