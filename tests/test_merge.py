"""Merge semantics, one behaviour per test."""

import pytest
from chispa import assert_df_equality

from lakehouse.errors import DataError, SpecError
from tests.jobs import expected, merge_spec, raw, read_table, table_path

D1, D2 = "2024-01-01", "2024-01-02"


def _assert_table(spark, project, *rows):
    assert_df_equality(read_table(spark, project), expected(spark, *rows), ignore_row_order=True)


def test_update_and_insert(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    run(merge_spec(), D1)
    raw(project, D2, "2,B,2024-01-01,2,U", "3,c,2024-01-02,2,I")
    summary = run(merge_spec(), D2)
    _assert_table(spark, project, (1, "a", "2024-01-01", 1, "I"), (2, "B", "2024-01-01", 2, "U"),
                  (3, "c", "2024-01-02", 2, "I"))
    assert (summary.outcome.inserted, summary.outcome.updated, summary.outcome.deleted) == (1, 1, 0)


def test_delete_when_removes_the_key(spark, project, run):
    spec = merge_spec(delete_when="op = 'D'", sequence_by="seq")
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    run(spec, D1)
    raw(project, D2, "1,a,2024-01-01,2,D", "9,z,2024-01-02,2,D")  # 9 is unknown: not inserted
    summary = run(spec, D2)
    _assert_table(spark, project, (2, "b", "2024-01-01", 1, "I"))
    assert (summary.outcome.inserted, summary.outcome.deleted) == (0, 1)


def test_duplicate_keys_resolved_by_sequence(spark, project, run):
    raw(project, D1, "1,old,2024-01-01,1,I", "1,new,2024-01-01,3,U", "1,mid,2024-01-01,2,U",
        "1,new,2024-01-01,3,U")
    summary = run(merge_spec(sequence_by="seq"), D1)
    _assert_table(spark, project, (1, "new", "2024-01-01", 3, "U"))
    assert summary.duplicates_resolved == 3


def test_duplicate_keys_without_sequence_fail_before_writing(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(merge_spec(), D1)
    raw(project, D2, "1,x,2024-01-01,2,U", "1,y,2024-01-01,3,U", "2,b,2024-01-02,1,I")
    with pytest.raises(DataError) as err:
        run(merge_spec(), D2)
    assert str(err.value) == ("target.merge.keys: duplicate keys in the increment, e.g. (id=1); set target.merge.sequence_by "
                              "to keep the latest row per key; nothing was written")
    _assert_table(spark, project, (1, "a", "2024-01-01", 1, "I"))


def test_stale_row_never_overwrites_newer_stored_row(spark, project, run):
    spec = merge_spec(sequence_by="seq", delete_when="op = 'D'")
    raw(project, D1, "1,current,2024-01-01,5,I", "2,current,2024-01-01,5,I")
    run(spec, D1)
    raw(project, D2, "1,late,2024-01-01,3,U", "2,late,2024-01-01,4,D")
    summary = run(spec, D2)
    _assert_table(spark, project, (1, "current", "2024-01-01", 5, "I"), (2, "current", "2024-01-01", 5, "I"))
    assert (summary.outcome.updated, summary.outcome.deleted) == (0, 0)


def test_null_keys_fail_the_run_before_writing(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", ",nokey,2024-01-01,1,I")
    with pytest.raises(DataError, match=r"^target.merge.keys: 1 row with a null key \(id\); nothing was written"):
        run(merge_spec(), D1)
    assert not (project / "lake" / "things").exists()


def test_null_keys_dropped_and_counted_when_asked(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", ",nokey,2024-01-01,1,I", ",nokey2,2024-01-01,1,I")
    summary = run(merge_spec(null_keys="drop"), D1)
    _assert_table(spark, project, (1, "a", "2024-01-01", 1, "I"))
    assert (summary.null_keys_dropped, summary.rows_rejected) == (2, 2)


def test_unchanged_rows_are_not_rewritten(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")
    run(merge_spec(sequence_by="seq"), D1)
    raw(project, D2, "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")  # delivered again, every column equal
    summary = run(merge_spec(sequence_by="seq"), D2)
    assert (summary.outcome.updated, summary.outcome.files_removed) == (0, 0)


def test_a_newer_sequence_alone_advances_the_stored_row(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")
    run(merge_spec(sequence_by="seq"), D1)
    raw(project, D2, "1,a,2024-01-01,2,I", "2,b,2024-01-02,1,I")  # only the sequence of 1 moved
    summary = run(merge_spec(sequence_by="seq"), D2)
    assert (summary.outcome.updated, summary.outcome.files_removed) == (1, 1)
    _assert_table(spark, project, (1, "a", "2024-01-01", 2, "I"), (2, "b", "2024-01-02", 1, "I"))


def test_excluded_columns_keep_their_stored_value(spark, project, run):
    raw(project, D1, "1,first,2024-01-01,1,I")
    run(merge_spec(exclude_from_update=["name"]), D1)
    raw(project, D2, "1,second,2024-01-01,2,U")
    run(merge_spec(exclude_from_update=["name"]), D2)
    _assert_table(spark, project, (1, "first", "2024-01-01", 2, "U"))


def test_table_columns_must_match(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(merge_spec(), D1)
    spec = merge_spec()
    spec["transform"] = {"derive": {"extra": "1"}}
    raw(project, D2, "2,b,2024-01-02,1,I")
    with pytest.raises(DataError, match=r"not in the table \['extra'\]; nothing was written"):
        run(spec, D2)
    assert spark.sql(f"DESCRIBE HISTORY delta.`{table_path(project)}`").count() == 1


def test_declared_partitioning_must_match_the_table(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(merge_spec(), D1)
    spec = merge_spec()
    spec["target"]["partition_by"] = []
    raw(project, D2, "2,b,2024-01-02,1,I")
    with pytest.raises(SpecError) as err:
        run(spec, D2)
    assert str(err.value) == f"<spec>: target.partition_by: table {table_path(project)} is partitioned by ['day'], " \
                             "the spec declares []"
