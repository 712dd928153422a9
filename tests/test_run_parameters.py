"""The run date inside transforms (`:run_date`, bound by Spark) and the rows filters remove."""

import datetime as dt
import json

import pytest
from chispa import assert_df_equality

from lakehouse.errors import SpecError
from tests.jobs import SCHEMA, raw, read_table, write_spec

D1 = "2024-03-01"
ROWS = ("1,a,2024-02-28,1,I", "2,b,2024-03-01,1,I", "3,c,2024-03-02,1,I", "4,d,,1,I")


def _spec(**transform) -> dict:
    spec = write_spec("append")
    spec["target"]["partition_by"] = []
    spec["transform"] = transform
    return spec


def _expected(spark, *rows):
    return spark.createDataFrame(
        [(i, n, dt.date.fromisoformat(d), 1, "I", dt.date(2024, 3, 1)) for i, n, d in rows],
        f"{SCHEMA}, loaded_for DATE")


def test_derive_and_filter_see_the_run_date_as_a_date(spark, project, run):
    raw(project, D1, *ROWS)
    summary = run(_spec(derive={"loaded_for": ":run_date -- the run date, bound by Spark"},
                        filter=["day <= :run_date", "id > 1"]), D1)
    assert_df_equality(read_table(spark, project), _expected(spark, (2, "b", "2024-03-01")), ignore_row_order=True)
    assert (summary.rows_read, summary.filtered_out, summary.outcome.inserted) == (4, 3, 1)
    assert summary.to_dict()["counts"]["filtered_out"] == 3
    commit = spark.sql(f"DESCRIBE HISTORY delta.`{project}/lake/things`").first()
    assert json.loads(commit["userMetadata"])["lakehouse"]["rows"]["filtered_out"] == 3


def test_a_filter_on_a_boolean_column_alone(spark, project, run):
    raw(project, D1, *ROWS)
    summary = run(_spec(derive={"recent": "day >= DATE'2024-03-01'", "loaded_for": ":run_date"},
                        filter=["recent"]), D1)
    assert sorted(r["id"] for r in read_table(spark, project).collect()) == [2, 3]
    assert summary.filtered_out == 2


def test_a_sql_file_sees_the_run_date(spark, project, run):
    (project / "sql" / "upto.sql").write_text("SELECT *, :run_date AS loaded_for FROM source WHERE day < :run_date")
    raw(project, D1, *ROWS)
    summary = run(_spec(sql="upto.sql"), D1)
    assert_df_equality(read_table(spark, project), _expected(spark, (1, "a", "2024-02-28")))
    assert summary.filtered_out == 0  # a SQL file's WHERE is the query's own business


def test_an_unknown_parameter_names_the_field(project, run):
    raw(project, D1, *ROWS)
    with pytest.raises(SpecError) as err:
        run(_spec(derive={"x": ":run_day"}), D1)
    assert err.value.field == "transform.derive.x" and "run_day" in err.value.message
