"""History tables on the cases a property test rarely draws: a forced reload replacing its
date's events, a RESTORE undoing a load's events, and partition pruning."""

from chispa import assert_df_equality

from lakehouse.audit import read as audit
from tests.write.streams import DAYS, Project
from tests.write.test_scd2_properties import TARGET, TABLE_SCHEMA

P1, P2 = DAYS[0], DAYS[1]


def event(id, name, seq, day=P1, op="U"):
    return {"id": id, "name": name, "day": day, "seq": seq, "tb": None, "op": op}


def history(spark, project, rows):
    expected = spark.createDataFrame(rows, TABLE_SCHEMA)
    assert_df_equality(spark.read.format("delta").load(project.table), expected, ignore_row_order=True,
                       ignore_nullable=True)


def test_forced_reload_and_restore_rebuild_from_the_events_in_effect(spark, tmp_path):
    project = Project.create(tmp_path, TARGET)
    project.write_day(0, [event(1, "a", 2), event(2, "a", 2, day=P2)])
    project.write_day(1, [event(1, "b", 4), event(1, "z", 1)])  # z: older than the first version
    first = project.run(spark, 0)
    assert project.run(spark, 1).outcome.files_removed == 1  # only id 1's partition is rewritten
    history(spark, project, [
        (1, "z", P1, 1, None, "U", 1, 2, False), (1, "a", P1, 2, None, "U", 2, 4, False),
        (1, "b", P1, 4, None, "U", 4, None, True), (2, "a", P2, 2, None, "U", 2, None, True)])

    project.write_day(1, [event(1, "c", 3)])  # a corrected delivery of day 1 replaces its events
    project.run(spark, 1, force=True)
    history(spark, project, [
        (1, "a", P1, 2, None, "U", 2, 3, False), (1, "c", P1, 3, None, "U", 3, None, True),
        (2, "a", P2, 2, None, "U", 2, None, True)])

    audit.restore(spark, project.table, version=first.outcome.version, confirm=True, reason="test")
    project.write_day(2, [event(1, "d", 5), event(2, "a", 1, day=P2, op="D")])  # day 1's events no longer count
    project.run(spark, 2)
    history(spark, project, [
        (1, "a", P1, 2, None, "U", 2, 5, False), (1, "d", P1, 5, None, "U", 5, None, True),
        (2, "a", P2, 2, None, "U", 2, None, True)])  # a delete older than the first version changes nothing

    changes = audit.record_history(spark, project.table, {"id": 1}).filter("version = 1")
    assert sorted(tuple(r) for r in changes.select("valid_from", "change").collect()) == [
        (1, "insert"), (2, "update"), (4, "insert")]  # history --key: each interval of the key
