"""Running a job twice for one run date leaves the table as after one run."""

import json

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.errors import DataError
from lakehouse.table.lineage import TXN_APP_ID, TXN_VERSION, USER_METADATA
from tests.jobs import merge_spec, raw, read_table, table_path, write_spec

D1, D2 = "2024-01-01", "2024-01-02"


def _versions(spark, project):
    return DeltaTable.forPath(spark, table_path(project)).history().count()


def _rerun_is_skipped(spark, project, run, spec):
    first = run(spec, D1)
    snapshot = read_table(spark, project).collect()
    second = run(spec, D1)
    assert second.skipped and second.outcome.skipped_for_version == first.outcome.version
    assert_df_equality(read_table(spark, project), spark.createDataFrame(snapshot, read_table(spark, project).schema),
                       ignore_row_order=True)
    return first, second


def test_merge_rerun_is_skipped(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(merge_spec(), D1)
    raw(project, D2, "1,b,2024-01-01,2,U", "2,c,2024-01-02,2,I")
    spec = merge_spec()
    run(spec, D2)
    again = run(spec, D2)
    assert again.skipped and again.outcome.skipped_for_version == 1
    assert _versions(spark, project) == 2


def test_append_rerun_does_not_double_write(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    _rerun_is_skipped(spark, project, run, write_spec("append"))
    assert read_table(spark, project).count() == 2
    raw(project, D2, "3,c,2024-01-02,1,I")
    assert not run(write_spec("append"), D2).skipped  # the next date still loads
    assert read_table(spark, project).count() == 3


def test_replace_partitions_rerun_and_forced_rerun(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")
    _rerun_is_skipped(spark, project, run, write_spec("replace_partitions"))
    raw(project, D1, "1,A,2024-01-01,2,U")  # corrected file for the same date, loaded with --force
    forced = run(write_spec("replace_partitions"), D1, force=True)
    assert not forced.skipped and forced.outcome.version == 1
    rows = {(r.id, r.name) for r in read_table(spark, project).collect()}
    assert rows == {(1, "A"), (2, "b")}  # only the partition present in the new data is replaced


def test_commit_settings_do_not_leak(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(merge_spec(), D1)
    assert [spark.conf.get(k, None) for k in (USER_METADATA, TXN_APP_ID, TXN_VERSION)] == [None, None, None]
    spark.range(1).write.format("delta").save(str(project / "lake" / "other"))
    assert DeltaTable.forPath(spark, str(project / "lake" / "other")).history(1).first()["userMetadata"] is None


def test_rerun_after_restore_loads_again(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I")
    run(write_spec("append"), D1)
    raw(project, D2, "2,b,2024-01-02,1,I")
    run(write_spec("append"), D2)
    DeltaTable.forPath(spark, table_path(project)).restoreToVersion(0)  # undoes the load of D2
    again = run(write_spec("append"), D2)
    assert not again.skipped and again.outcome.version == 3
    assert sorted(r.id for r in read_table(spark, project).collect()) == [1, 2]
    assert run(write_spec("append"), D2).skipped and run(write_spec("append"), D1).skipped


def test_overwrite_counts_replaced_rows_and_refuses_to_empty_the_table(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    run(write_spec("overwrite"), D1)
    raw(project, D2, "3,c,2024-01-02,1,I")
    dry = run(write_spec("overwrite"), D2, dry_run=True)
    real = run(write_spec("overwrite"), D2)
    assert (dry.outcome.inserted, dry.outcome.deleted) == (real.outcome.inserted, real.outcome.deleted) == (1, 2)
    spec = write_spec("overwrite")
    spec["transform"] = {"filter": ["id > 100"]}
    raw(project, "2024-01-03", "4,d,2024-01-03,1,I")
    with pytest.raises(DataError, match="overwrite would empty table"):
        run(spec, "2024-01-03")
    assert read_table(spark, project).count() == 1


def test_a_load_that_changes_nothing_is_recorded_not_reported_as_skipped(spark, project, run):
    spec = merge_spec(sequence_by="seq")
    raw(project, D1, "1,a,2024-01-01,5,I")
    run(spec, D1)
    raw(project, D2, "1,old,2024-01-01,3,U")  # older than the stored row: changes nothing
    stale = run(spec, D2)
    assert not stale.skipped and (stale.outcome.version, stale.outcome.inserted, stale.outcome.updated) == (1, 0, 0)
    lineage = json.loads(spark.sql(f"DESCRIBE HISTORY delta.`{table_path(project)}`").first()["userMetadata"])
    assert (lineage["lakehouse"]["run_date"], lineage["lakehouse"]["rows"]["read"]) == (D2, 1)
    again = run(spec, D2)
    assert again.skipped and again.outcome.skipped_for_version == 1
    assert [r["name"] for r in read_table(spark, project).collect()] == ["a"]
