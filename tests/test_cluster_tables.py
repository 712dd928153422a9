"""Metastore targets (`target.table`): the first run creates a Delta table, later runs merge."""

import pytest
from chispa import assert_df_equality

from lakehouse.spec.load import load_job, load_profile
from lakehouse.run.runner import run_job
from tests.conftest import write_spec
from tests.jobs import expected, merge_spec, raw

D1, D2 = "2024-01-01", "2024-01-02"


def _table_spec(name: str) -> dict:
    spec = merge_spec()
    spec["target"] = {"table": name, "partition_by": ["day"], "mode": "merge",
                      "properties": {"delta.checkpointInterval": "5"}, "merge": {"keys": ["id"]}}
    return spec


@pytest.fixture
def tables(spark):
    """Names of tables the test creates; dropped afterwards (the catalog lives as long as the session)."""
    created: list[str] = []
    yield created
    for name in created:
        spark.sql(f"DROP TABLE IF EXISTS {name}")


def _run_twice(run, project, spec):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    first = run(spec, D1)
    raw(project, D2, "2,B,2024-01-01,2,U", "3,c,2024-01-02,2,I")
    return first, run(spec, D2)


def test_first_run_creates_a_managed_table_later_runs_merge(spark, project, run, tables):
    tables.append("sales.orders")
    first, second = _run_twice(run, project, _table_spec("sales.orders"))

    assert first.outcome.created and not second.outcome.created
    assert (second.outcome.inserted, second.outcome.updated) == (1, 1)
    assert_df_equality(spark.table("sales.orders"),
                       expected(spark, (1, "a", "2024-01-01", 1, "I"), (2, "B", "2024-01-01", 2, "U"),
                                (3, "c", "2024-01-02", 2, "I")), ignore_row_order=True)
    detail = spark.sql("DESCRIBE DETAIL sales.orders").first()
    assert detail["format"] == "delta" and detail["partitionColumns"] == ["day"]
    assert detail["properties"]["delta.checkpointInterval"] == "5"
    assert detail["properties"]["delta.enableChangeDataFeed"] == "true"
    table = spark.sql("DESCRIBE TABLE EXTENDED sales.orders").filter("col_name = 'Type'").first()
    assert table["data_type"] == "MANAGED"


def test_three_part_name_with_tables_root_creates_an_external_table(spark, project, tables):
    conf = project / "conf" / "test.yaml"
    conf.write_text(conf.read_text() + "tables_root: tables\n")
    profile = load_profile("test", project / "conf")
    job = load_job(write_spec(project, _table_spec("spark_catalog.sales_ext.orders")))
    tables.append("spark_catalog.sales_ext.orders")

    def run(_spec, run_date):
        return run_job(job, profile, run_date, project_dir=project, spark=spark)

    first, second = _run_twice(run, project, job)

    assert first.outcome.created and (second.outcome.inserted, second.outcome.updated) == (1, 1)
    detail = spark.sql("DESCRIBE DETAIL spark_catalog.sales_ext.orders").first()
    assert detail["location"].rstrip("/").endswith(str(project / "tables" / "sales_ext" / "orders"))
    assert detail["partitionColumns"] == ["day"] and detail["properties"]["delta.checkpointInterval"] == "5"
    table = spark.sql("DESCRIBE TABLE EXTENDED spark_catalog.sales_ext.orders").filter("col_name = 'Type'").first()
    assert table["data_type"] == "EXTERNAL"
