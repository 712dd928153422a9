"""A Delta table as a job's source: snapshots, and changes read exactly once without a checkpoint."""

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.errors import DataError
from lakehouse.run.runner import source_table, target_table
from lakehouse.spec.load import load_job
from lakehouse.run.delta_source import range_taken
from lakehouse.table.lineage import RunLineage, SourceVersions
from lakehouse.table.log import Commit, TableLog
from tests.conftest import write_spec
from tests.jobs import merge_spec, raw

D1, D2, D3, D4 = "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"
UPSTREAM = merge_spec(sequence_by="seq", delete_when="op = 'D'")  # lake/things, change data feed on by default
CHANGE_ROWS = "id BIGINT, name STRING, change_type STRING, source_version BIGINT"
RENAME = {"_change_type": "change_type", "_commit_version": "source_version", "_commit_timestamp": "committed_at"}
"""A target with the change data feed (the default) cannot hold Delta's reserved change columns."""
UPSTREAM_DAYS = {D1: ["1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I"],   # version 0
                 D2: ["1,A,2024-01-01,2,U", "3,c,2024-01-02,1,I"],   # version 1
                 D3: ["2,b,2024-01-01,2,D"]}                         # version 2


def changes_job(target: dict, **source) -> dict:
    return {"name": "thing_events", "source": {"format": "delta", "path": "things", "read": "changes", **source},
            "transform": {"rename": RENAME}, "target": target}


EVENTS = {"path": "thing_events", "mode": "append"}
MIRROR = {"path": "thing_mirror", "mode": "merge",
          "merge": {"keys": ["id"], "sequence_by": "source_version", "delete_when": "change_type = 'delete'"}}


def upstream(project, run, day):
    raw(project, day, *UPSTREAM_DAYS[day])
    return run(UPSTREAM, day)


def ranges(spark, project, folder):
    """(read, from, to) of each commit of the downstream table, oldest first."""
    history = DeltaTable.forPath(spark, str(project / "lake" / folder)).history().orderBy("version").collect()
    found = [RunLineage.from_user_metadata(r["userMetadata"]) for r in history]
    return [(v.read, v.from_version, v.to_version) for v in (f.source_versions for f in found if f)]


def rows(spark, project, folder):
    return spark.read.format("delta").load(str(project / "lake" / folder)).select(
        "id", "name", "change_type", "source_version")


def three_days(run, project, target):
    """Upstream loads D1..D3 (versions 0..2), each followed by the downstream job for the same date."""
    for day in (D1, D2, D3):
        upstream(project, run, day)
        assert run(changes_job(target), day).source.to_version == int(day[-1]) - 1


ALL_CHANGES = [(1, "a", "insert", 0), (2, "b", "insert", 0), (1, "A", "update_postimage", 1), (3, "c", "insert", 1),
               (2, "b", "delete", 2)]


def test_changes_read_only_the_new_changes_of_each_upstream_load(spark, project, run):
    three_days(run, project, EVENTS)
    empty = run(changes_job(EVENTS), D4)  # no new upstream version: an empty range, recorded
    assert empty.source.empty and empty.rows_read == 0 and empty.to_dict()["source"]["from_version"] == 3
    assert ranges(spark, project, "thing_events") == [("changes", 0, 0), ("changes", 1, 1), ("changes", 2, 2),
                                                      ("changes", 3, 2)]
    assert_df_equality(rows(spark, project, "thing_events"), spark.createDataFrame(ALL_CHANGES, CHANGE_ROWS),
                       ignore_row_order=True)


def test_rerun_is_skipped_and_a_forced_rerun_reads_the_same_range(spark, project, run):
    three_days(run, project, EVENTS)
    again = run(changes_job(EVENTS), D2)
    assert again.skipped and (again.source.from_version, again.source.to_version) == (1, 1)
    forced = run(changes_job(EVENTS), D2, force=True)
    assert (forced.source.from_version, forced.source.to_version, forced.rows_read) == (1, 1, 2)
    raw(project, D4, "4,d,2024-01-04,1,I")
    run(UPSTREAM, D4)  # upstream version 3
    assert run(changes_job(EVENTS), D4).source.from_version == 3  # the forced re-run moved nothing back
    assert ranges(spark, project, "thing_events") == [("changes", 0, 0), ("changes", 1, 1), ("changes", 2, 2),
                                                      ("changes", 1, 1), ("changes", 3, 3)]
    expected = ALL_CHANGES + [(1, "A", "update_postimage", 1), (3, "c", "insert", 1), (4, "d", "insert", 3)]
    assert_df_equality(rows(spark, project, "thing_events"), spark.createDataFrame(expected, CHANGE_ROWS),
                       ignore_row_order=True)


def test_restore_of_the_target_reads_again_from_the_restored_load(spark, project, run):
    three_days(run, project, MIRROR)
    DeltaTable.forPath(spark, str(project / "lake" / "thing_mirror")).restoreToVersion(0)  # undoes D2 and D3
    after = run(changes_job(MIRROR), D4)
    assert (after.source.from_version, after.source.to_version) == (1, 2)
    expected = [(1, "A", "update_postimage", 1), (3, "c", "insert", 1)]  # key 2 deleted in version 2
    assert_df_equality(rows(spark, project, "thing_mirror"), spark.createDataFrame(expected, CHANGE_ROWS),
                       ignore_row_order=True)


def test_snapshot_latest_and_as_of(spark, project, run):
    for day in (D1, D2):
        upstream(project, run, day)
    copy = {"name": "thing_copy", "source": {"format": "delta", "path": "things"}, "transform": {"rename": RENAME},
            "target": {"path": "thing_copy", "mode": "overwrite"}}
    assert run(copy, D1).source.to_version == 1
    latest = [(1, "A", "insert", 1), (2, "b", "insert", 1), (3, "c", "insert", 1)]
    assert_df_equality(rows(spark, project, "thing_copy"), spark.createDataFrame(latest, CHANGE_ROWS),
                       ignore_row_order=True)
    first = DeltaTable.forPath(spark, str(project / "lake" / "things")).history().where("version = 0").first()
    for day, as_of in ((D2, {"version": 0}), (D3, {"timestamp": first["timestamp"].isoformat(sep=" ")})):
        copy["source"]["as_of"] = as_of
        assert run(copy, day).source.to_version == 0
        assert_df_equality(rows(spark, project, "thing_copy"), spark.createDataFrame(
            [(1, "a", "insert", 0), (2, "b", "insert", 0)], CHANGE_ROWS), ignore_row_order=True)


def test_declared_schema_selects_and_checks_columns(spark, project, run):
    upstream(project, run, D1)
    copy = {"name": "thing_copy", "source": {"format": "delta", "path": "things", "schema": "name STRING, id BIGINT"},
            "transform": {"rename": RENAME}, "target": {"path": "thing_copy", "mode": "overwrite"}}
    run(copy, D1)
    assert spark.read.format("delta").load(str(project / "lake" / "thing_copy")).columns == [
        "name", "id", "change_type", "source_version", "committed_at"]
    copy["source"]["schema"] = "id INT"
    with pytest.raises(DataError, match=r"^source.schema: column id is BIGINT in table .*things, the spec declares"):
        run(copy, D2)


def test_a_gap_in_change_data_fails_then_a_snapshot_load_recovers(spark, project, run):
    no_cdf = {**UPSTREAM, "target": {**UPSTREAM["target"], "properties": {"delta.enableChangeDataFeed": "false"}}}
    raw(project, D1, *UPSTREAM_DAYS[D1])
    run(no_cdf, D1)
    with pytest.raises(DataError, match="change data was not recorded for version 0"):
        run(changes_job(MIRROR), D1)
    assert not (project / "lake" / "thing_mirror").exists()
    spark.sql(f"ALTER TABLE delta.`{project / 'lake' / 'things'}` SET TBLPROPERTIES "
              "(delta.enableChangeDataFeed = true)")  # version 1
    assert run(changes_job(MIRROR, read="snapshot"), D1).source.to_version == 1
    raw(project, D2, *UPSTREAM_DAYS[D2])
    run(UPSTREAM, D2)  # version 2
    assert ranges(spark, project, "thing_mirror")[-1] == ("snapshot", None, 1)
    assert run(changes_job(MIRROR), D2).source.from_version == 2  # after the snapshot's version


def test_source_table_names_the_upstream_target(project, profile):
    down = load_job(write_spec(project, changes_job(EVENTS), "down"))
    up = load_job(write_spec(project, UPSTREAM, "up"))
    assert source_table(down.source, profile) == target_table(up.target, profile)
    assert source_table(up.source, profile) is None


def test_a_range_read_by_a_concurrent_run_is_noticed_before_a_retry():
    def load(version: int, first: int, last: int) -> Commit:
        lineage = RunLineage(job="j", run_date=f"d{version}", run_id=str(version), mode="append",
                             source_versions=SourceVersions("t", "id", "changes", to_version=last, from_version=first))
        return Commit(version, version, "WRITE", user_metadata=lineage.to_json())

    mine = SourceVersions("t", "id", "changes", to_version=5, from_version=3)
    assert not range_taken(mine, TableLog("t", (load(0, 0, 2),)), "j")
    assert range_taken(mine, TableLog("t", (load(0, 0, 2), load(1, 3, 4))), "j")
    assert not range_taken(SourceVersions("t", "id", "changes", to_version=2, from_version=0), TableLog("t"), "j")


def test_a_run_of_many_jobs_runs_the_reader_after_the_writer(spark, project):
    from lakehouse.cli.main import execute

    write_spec(project, {**changes_job(EVENTS), "name": "a_events"}, "a_events")  # first by name, not by order
    write_spec(project, UPSTREAM, "things")
    raw(project, D1, *UPSTREAM_DAYS[D1])
    assert execute(["run", str(project / "jobs"), "--date", D1, "--profile", "test"]) == 0
    assert ranges(spark, project, "thing_events") == [("changes", 0, 0)]
