"""``expect`` rules end to end: counts, dropped rows and the quarantine table of real runs."""

import datetime as dt
import os

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.errors import DataError
from lakehouse.table.lineage import RunLineage
from tests.jobs import SCHEMA, expected, merge_spec, raw, read_table, table_path

D1, D2 = "2024-01-01", "2024-01-02"
RULES = [{"name": "named", "condition": "name IS NOT NULL", "action": "warn"},
         {"name": "positive", "condition": "seq > 0", "action": "quarantine"},
         {"name": "not_x", "condition": "coalesce(name, '') <> 'x'", "action": "drop"}]
QUARANTINE_SCHEMA = (f"{SCHEMA}, _rejected_by ARRAY<STRING>, _raw_record STRING, _job STRING, _run_id STRING, "
                     "_run_date DATE")


def spec(rules=RULES, **merge):
    return {**merge_spec(sequence_by="seq", **merge), "expect": rules}


def quarantine_path(project):
    return table_path(project) + "_quarantine"


def quarantined(spark, project):
    return spark.read.format("delta").load(quarantine_path(project))


def quarantine_rows(spark, run_id, run_date, *rows):
    """Quarantine rows: (id, name, day, seq, op, rejected_by, raw_record) plus the run's columns."""
    data = [(i, n, None if d is None else dt.date.fromisoformat(d), s, o, r, w, "things", run_id,
             dt.date.fromisoformat(run_date)) for i, n, d, s, o, r, w in rows]
    return spark.createDataFrame(data, QUARANTINE_SCHEMA)


def test_rules_warn_drop_and_quarantine(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,,2024-01-01,1,I", "3,b,2024-01-01,-1,I", "4,x,2024-01-01,1,I",
        "5,x,2024-01-01,,I", "6,,2024-01-01,0,I")
    summary = run(spec(null_keys="drop"), D1)
    assert_df_equality(read_table(spark, project), expected(spark, (1, "a", D1, 1, "I"), (2, None, D1, 1, "I")),
                       ignore_row_order=True)
    # a NULL condition fails the rule: row 5 (seq NULL) fails `positive`, row 6 fails `named` and `positive`
    assert_df_equality(quarantined(spark, project), quarantine_rows(
        spark, summary.run_id, D1, (3, "b", D1, -1, "I", ["positive"], None),
        (5, "x", D1, None, "I", ["positive", "not_x"], None), (6, None, D1, 0, "I", ["named", "positive"], None)),
        ignore_row_order=True, ignore_nullable=True)
    assert summary.expectations == {"named": {"action": "warn", "failed": 2},
                                    "positive": {"action": "quarantine", "failed": 3},
                                    "not_x": {"action": "drop", "failed": 2}}
    assert (summary.expect_dropped, summary.quarantined, summary.outcome.inserted) == (1, 3, 2)
    assert summary.quarantine_table == quarantine_path(project) and summary.quarantine_version == 0
    text = summary.render()
    assert "  expect      named: 2 failed (warn)\n              positive: 3 failed (quarantine)" in text
    assert f"  quarantine  wrote 3 rows to {quarantine_path(project)}, version 0" in text
    for path in (table_path(project), quarantine_path(project)):  # both commits carry the counts
        lineage = RunLineage.from_user_metadata(DeltaTable.forPath(spark, path).history(1).first()["userMetadata"])
        assert (lineage.run_id, lineage.expectations) == (summary.run_id, summary.expectations)
        assert (lineage.rows["quarantined"], lineage.rows["expect_dropped"]) == (3, 1)
    assert DeltaTable.forPath(spark, quarantine_path(project)).detail().first()["partitionColumns"] == ["_run_date"]


def test_forced_rerun_replaces_the_dates_quarantine_rows(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,-1,I")
    run(spec(), D1)
    raw(project, D2, "2,b,2024-01-02,-2,I")
    second = run(spec(), D2)
    assert run(spec(), D2).skipped and quarantined(spark, project).count() == 2  # a skipped re-run writes nothing
    forced = run(spec(), D2, force=True)
    assert forced.quarantine_version == 2
    assert_df_equality(quarantined(spark, project).filter("_run_date = '2024-01-02'"), quarantine_rows(
        spark, forced.run_id, D2, (2, "b", D2, -2, "I", ["positive"], None)), ignore_nullable=True)
    assert second.run_id != forced.run_id and quarantined(spark, project).count() == 2
    raw(project, D2, "2,b,2024-01-02,2,I")  # corrected: a forced re-run clears the date
    cleared = run(spec(), D2, force=True)
    assert (cleared.quarantined, cleared.quarantine_version) == (0, 3)
    assert [r["_run_date"] for r in quarantined(spark, project).collect()] == [dt.date(2024, 1, 1)]
    raw(project, "2024-01-03", "3,c,2024-01-03,3,I")  # no bad rows and none before: no quarantine commit
    assert run(spec(), "2024-01-03").quarantine_version is None
    assert DeltaTable.forPath(spark, quarantine_path(project)).history().count() == 4


def test_fail_rule_stops_the_run_before_any_write(spark, project, run):
    rules = [*RULES, {"name": "small", "condition": "id < 3", "action": "fail"}]
    raw(project, D1, "1,a,2024-01-01,-1,I", "3,b,2024-01-01,1,I", "4,c,2024-01-01,1,I", "5,d,2024-01-01,1,I",
        "6,e,2024-01-01,1,I")
    with pytest.raises(DataError, match=r"^expect\[3\]: 4 rows fail rule small \(id < 3\), e\.g\. \(id=\d\), "
                                        r"\(id=\d\), \(id=\d\); nothing was written$"):
        run(spec(rules), D1)
    assert not (project / "lake" / "things").exists() and not (project / "lake" / "things_quarantine").exists()
    assert os.listdir(project / "lake") == []


def test_dry_run_counts_and_writes_nothing(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,-1,I", "2,b,2024-01-01,1,I")
    dry = run(spec(), D1, dry_run=True)
    assert (dry.quarantined, dry.quarantine_version, dry.outcome.inserted) == (1, None, 1)
    assert "  quarantine  would write 1 rows\n" in dry.render()
    assert list((project / "lake").iterdir()) == []
