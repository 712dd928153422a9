"""The demo's "run that adds a column": examples/shop/revisions/orders_channel.yaml on 2024-03-04."""

from __future__ import annotations

import shutil

from chispa import assert_df_equality

from lakehouse.cli.main import execute
from lakehouse.spec.load import load_job
from tests.jobs import SHOP

REVISED = SHOP / "revisions" / "orders_channel.yaml"


def test_the_revised_orders_job_differs_from_the_job_only_by_the_new_column():
    original, revised = load_job(SHOP / "jobs" / "orders.yaml"), load_job(REVISED)
    assert revised.source.schema_ == original.source.schema_ + ", channel STRING"
    assert (revised.transform.sql, revised.target.on_schema_change) == ("orders_clean_channel.sql", "add_columns")
    assert revised.model_copy(update={
        "source": original.source, "transform": revised.transform.model_copy(update={"sql": original.transform.sql}),
        "target": revised.target.model_copy(update={"on_schema_change": "fail"})}) == original
    sql = (SHOP / "sql" / "orders_clean.sql").read_text().split("\n", 1)[1]
    assert (SHOP / "sql" / "orders_clean_channel.sql").read_text().split("\n", 1)[1] == sql.replace(
        "  upper(op) AS op\n", "  upper(op) AS op,\n  lower(trim(channel)) AS channel\n")


def test_the_demo_adds_the_channel_column_on_2024_03_04(spark, tmp_path, capsys):
    shutil.copy(SHOP / "lakehouse.yaml", tmp_path)
    for folder in ("jobs", "conf", "sql", "revisions", "data/raw/orders"):
        shutil.copytree(SHOP / folder, tmp_path / folder)
    jobs = ["--select", "orders", "order_events"]
    assert execute(["run", str(tmp_path / "jobs"), "--from", "2024-03-01", "--to", "2024-03-03", *jobs]) == 0
    capsys.readouterr()
    assert execute(["run", str(tmp_path / "jobs" / "orders.yaml"), "--date", "2024-03-04"]) == 3  # not declared
    assert "not declared channel" in capsys.readouterr().err
    assert execute(["run", str(tmp_path / "revisions" / "orders_channel.yaml"), "--date", "2024-03-04"]) == 0
    assert "  schema      added columns: channel STRING\n" in capsys.readouterr().out
    assert execute(["run", str(tmp_path / "jobs"), "--date", "2024-03-04", "--select", "order_events"]) == 0

    orders = spark.read.format("delta").load(str(tmp_path / "data" / "lake" / "orders"))
    assert_df_equality(orders.filter("channel IS NOT NULL").select("order_id", "status", "channel"),
                       spark.createDataFrame([(1011, "shipped", "web"), (1013, "placed", "app"),
                                              (1014, "placed", "store")], "order_id BIGINT, status STRING, channel STRING"),
                       ignore_row_order=True, ignore_nullable=True)
    assert orders.filter("channel IS NULL").count() == orders.count() - 3
    events = spark.read.format("delta").load(str(tmp_path / "data" / "lake" / "order_events"))
    assert events.filter("orders_version = 3").count() == 3  # the downstream job reads the new version's changes
