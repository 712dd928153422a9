"""target.on_schema_change in real runs: the source gains a column, or a column's type widens."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

from lakehouse.audit import read as audit
from lakehouse.cli.main import execute
from lakehouse.errors import SpecError
from lakehouse.table.lineage import RunLineage
from tests.jobs import SCHEMA, merge_spec, read_table, table_path, write_spec

D1, D2, D3 = "2024-01-01", "2024-01-02", "2024-01-03"
WIDE = SCHEMA + ", channel STRING"
"""The source after it gained a column."""


def _raw(project, run_date: str, header: str, *rows: str) -> None:
    path = project / "raw" / "things" / run_date / "part-1.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")


def _with_channel(spec: dict, policy: str) -> dict:
    spec = copy.deepcopy(spec)
    spec["source"]["schema"] = WIDE
    spec["target"]["on_schema_change"] = policy
    return spec


def _rows(spark, schema: str, *rows: tuple):
    def value(v):
        return dt.date.fromisoformat(v) if isinstance(v, str) and v[:4] == "2024" else v
    return spark.createDataFrame([tuple(value(v) for v in row) for row in rows], schema)


def _commits(spark, project) -> list:
    return DeltaTable.forPath(spark, table_path(project)).history().orderBy("version").collect()


def _lineage(commit) -> RunLineage:
    return RunLineage.from_user_metadata(commit["userMetadata"])


@pytest.mark.parametrize("partition_by", [["day"], []], ids=["partitioned", "unpartitioned"])
def test_merge_adds_the_new_column_in_the_same_commit_and_old_rows_read_null(spark, project, run, partition_by):
    spec = merge_spec()
    spec["target"]["partition_by"] = partition_by
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "2,b,2024-01-02,2,U,web", "3,c,2024-01-02,1,I,shop")
    summary = run(_with_channel(spec, "add_columns"), D2)

    assert (summary.outcome.inserted, summary.outcome.updated) == (1, 1)
    assert "  schema      added columns: channel STRING" in summary.render()
    assert_df_equality(read_table(spark, project), _rows(spark, WIDE, (1, "a", "2024-01-01", 1, "I", None),
                                                         (2, "b", "2024-01-02", 2, "U", "web"),
                                                         (3, "c", "2024-01-02", 1, "I", "shop")),
                       ignore_row_order=True, ignore_nullable=True)
    commits = _commits(spark, project)
    assert [(c["version"], c["operation"]) for c in commits] == [(0, "WRITE"), (1, "MERGE")]  # one commit per run
    assert _lineage(commits[1]).schema_changes == [{"column": "channel", "change": "added", "type": "STRING"}]
    assert _lineage(commits[0]).schema_changes == []


def test_a_matched_row_whose_new_column_is_null_is_left_alone(spark, project, run):
    spec = merge_spec()
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "1,a,2024-01-01,1,I,", "2,b,2024-01-01,1,I,web")
    summary = run(_with_channel(spec, "add_columns"), D2)
    assert (summary.outcome.inserted, summary.outcome.updated) == (0, 1)  # row 1 equals its stored row


def test_append_adds_the_new_column_and_rerunning_the_date_is_idempotent(spark, project, run):
    spec = write_spec("append")
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "2,b,2024-01-02,1,I,web")
    wide = _with_channel(spec, "add_columns")
    assert run(wide, D2).outcome.inserted == 1
    expected = _rows(spark, WIDE, (1, "a", "2024-01-01", 1, "I", None), (2, "b", "2024-01-02", 1, "I", "web"))
    assert_df_equality(read_table(spark, project), expected, ignore_row_order=True, ignore_nullable=True)

    again = run(wide, D2)  # the same files: skipped, nothing written
    assert again.skipped and again.outcome.skipped_for_version == 1
    assert_df_equality(read_table(spark, project), expected, ignore_row_order=True, ignore_nullable=True)
    assert len(_commits(spark, project)) == 2

    _raw(project, D3, "id,name,day,seq,op,channel", "3,c,2024-01-03,1,I,shop")
    later = run(wide, D3)  # the column exists now: no schema change
    assert later.outcome.schema_changes == () and "  schema " not in later.render()
    assert _lineage(_commits(spark, project)[2]).schema_changes == []


def test_replace_partitions_adds_the_new_column(spark, project, run):
    spec = write_spec("replace_partitions")
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I", "2,b,2024-01-02,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "3,c,2024-01-02,1,I,web")
    assert run(_with_channel(spec, "add_columns"), D2).outcome.deleted == 1
    expected = _rows(spark, WIDE, (1, "a", "2024-01-01", 1, "I", None), (3, "c", "2024-01-02", 1, "I", "web"))
    assert_df_equality(read_table(spark, project), expected, ignore_row_order=True, ignore_nullable=True)


def test_ignore_new_drops_the_new_column_and_says_so(spark, project, run):
    spec = merge_spec()
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "2,b,2024-01-02,1,I,web")
    summary = run(_with_channel(spec, "ignore_new"), D2)

    assert "  schema      ignored new columns: channel" in summary.render()
    assert summary.to_dict()["schema_changes"] == [{"column": "channel", "change": "ignored", "type": "STRING"}]
    assert_df_equality(read_table(spark, project), _rows(spark, SCHEMA, (1, "a", "2024-01-01", 1, "I"),
                                                         (2, "b", "2024-01-02", 1, "I")),
                       ignore_row_order=True, ignore_nullable=True)
    assert _lineage(_commits(spark, project)[1]).schema_changes == [
        {"column": "channel", "change": "ignored", "type": "STRING"}]


def test_merge_widens_int_to_bigint_and_decimal_10_2_to_12_2(spark, project, run):
    narrow = "id BIGINT, qty INT, amount DECIMAL(10,2), day DATE"
    wide = "id BIGINT, qty BIGINT, amount DECIMAL(12,2), day DATE"
    spec = merge_spec()
    spec["source"]["schema"] = narrow
    spec["target"]["properties"] = {"delta.enableTypeWidening": "true"}
    spec["target"]["on_schema_change"] = "add_columns"
    _raw(project, D1, "id,qty,amount,day", "1,5,12.50,2024-01-01", "2,6,1.00,2024-01-01")
    run(spec, D1)
    spec["source"]["schema"] = wide
    _raw(project, D2, "id,qty,amount,day", "2,5000000000,1234567890.25,2024-01-01")
    summary = run(spec, D2)

    assert "  schema      widened: qty INT to BIGINT, amount DECIMAL(10,2) to DECIMAL(12,2)" in summary.render()
    assert_df_equality(read_table(spark, project),
                       _rows(spark, wide, (1, 5, Decimal("12.50"), "2024-01-01"),
                             (2, 5000000000, Decimal("1234567890.25"), "2024-01-01")),
                       ignore_row_order=True, ignore_nullable=True)
    assert _lineage(_commits(spark, project)[1]).schema_changes == [
        {"column": "qty", "change": "widened", "from": "INT", "to": "BIGINT"},
        {"column": "amount", "change": "widened", "from": "DECIMAL(10,2)", "to": "DECIMAL(12,2)"}]


def test_a_widening_without_the_table_property_is_refused_before_writing(spark, project, run):
    spec = write_spec("append")
    run_with = lambda schema, day: (spec["source"].update(schema=schema), run(spec, day))  # noqa: E731
    spec["target"]["on_schema_change"] = "add_columns"
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I")
    run_with(SCHEMA, D1)
    _raw(project, D2, "id,name,day,seq,op", "2,b,2024-01-02,7,I")
    with pytest.raises(SpecError, match="column seq is BIGINT in the run but INT in table .*: widening it needs "
                                        "the table property delta.enableTypeWidening"):
        run_with(SCHEMA.replace("seq INT", "seq BIGINT"), D2)
    assert len(_commits(spark, project)) == 1


def test_dry_run_reports_the_plan_and_writes_nothing(spark, project, run):
    spec = merge_spec()
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "1,a,2024-01-01,2,U,web")
    summary = run(_with_channel(spec, "add_columns"), D2, dry_run=True)
    assert "  schema      would add columns: channel STRING" in summary.render()
    assert summary.outcome.updated == 1
    assert len(_commits(spark, project)) == 1 and "channel" not in read_table(spark, project).columns


def test_history_shows_the_schema_change(spark, project, run, capsys):
    spec = merge_spec()
    _raw(project, D1, "id,name,day,seq,op", "1,a,2024-01-01,1,I")
    run(spec, D1)
    _raw(project, D2, "id,name,day,seq,op,channel", "2,b,2024-01-02,1,I,web")
    run(_with_channel(spec, "add_columns"), D2)

    rows = audit.history(spark, table_path(project)).collect()
    assert [r["schema_changes"] and [c.asDict() for c in r["schema_changes"]] for r in rows] == [
        [{"column": "channel", "change": "added", "type": "STRING", "from": None, "to": None}], None]
    capsys.readouterr()
    assert execute(["history", table_path(project)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "schema"
    assert lines[2].endswith("added channel STRING") and lines[3].rstrip().endswith("part-1.csv")
