"""Reading raw files: explicit schema, malformed records, JSON and Parquet, transforms."""

import datetime as dt
import json

import pytest
from chispa import assert_df_equality

from lakehouse.errors import DataError
from tests.jobs import SCHEMA, expected, raw, read_table, write_spec

D1 = "2024-01-01"


def test_malformed_csv_fails_by_default(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,not-a-date,1,I")
    with pytest.raises(DataError, match=r"^source: file:.*things/2024-01-01/part-1.csv: a value does not match source.schema "
                       r"\(Text 'not-a-date' could not be parsed at index 0\) \(set source.on_malformed: drop"):
        run(write_spec("append"), D1)
    assert not (project / "lake" / "things").exists()


def test_malformed_csv_dropped_and_counted(spark, project, run):
    raw(project, D1, "1,a,2024-01-01,1,I", "2,b,not-a-date,1,I", "3,c,2024-01-01,x,I")
    spec = write_spec("append")
    spec["source"]["on_malformed"] = "drop"
    summary = run(spec, D1)
    assert (summary.rows_read, summary.malformed_dropped, summary.rows_rejected) == (1, 2, 2)
    assert_df_equality(read_table(spark, project), expected(spark, (1, "a", "2024-01-01", 1, "I")))


def test_json_source_with_sql_and_transforms(spark, project, run):
    path = project / "raw" / "things" / D1 / "a.json"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(json.dumps(r) for r in [
        {"ID": 1, "label": " A ", "ts": "2024-01-01T10:00:00", "seq": 1, "op": "i"},
        {"ID": 2, "label": "b", "ts": "2024-01-02T23:30:00", "seq": "2", "op": "i"},
        {"ID": 3, "label": "gone", "ts": "2024-01-02T01:00:00", "seq": 1, "op": "x"}]))
    (project / "sql" / "clean.sql").write_text("SELECT ID, lower(trim(label)) AS name, ts, seq, upper(op) AS op\n"
                                                "FROM raw_things WHERE op <> 'x';\n")
    spec = write_spec("append")
    spec["source"] = {"format": "json", "path": "things/{run_date}/*.json",
                      "schema": "ID BIGINT, label STRING, ts TIMESTAMP, seq STRING, op STRING"}
    spec["transform"] = {"sql": "clean.sql", "view": "raw_things", "rename": {"ID": "id"},
                         "cast": {"seq": "INT"}, "derive": {"day": "to_date(ts)"}, "filter": ["id > 0"]}
    run(spec, D1)
    table = read_table(spark, project).select("id", "name", "day", "seq", "op")
    assert_df_equality(table, expected(spark, (1, "a", "2024-01-01", 1, "I"), (2, "b", "2024-01-02", 2, "I")),
                       ignore_row_order=True, ignore_nullable=True)


def test_parquet_source(spark, project, run):
    rows = [(1, "a", dt.date(2024, 1, 1), 1, "I")]
    spark.createDataFrame(rows, SCHEMA).write.parquet(str(project / "raw" / "things" / D1))
    spec = write_spec("overwrite")
    spec["source"] = {"format": "parquet", "path": "things/{run_date}", "schema": SCHEMA}
    summary = run(spec, D1)
    assert summary.outcome.inserted == 1
    assert_df_equality(read_table(spark, project), spark.createDataFrame(rows, SCHEMA))
