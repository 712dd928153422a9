"""SQL from a spec is one query that reads only its source view, and no spec SQL calls Java by name.

Each refused input must fail with a SpecError naming the field, before anything runs: no
command is executed, no temporary view is left behind.
"""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from lakehouse.errors import SpecError
from lakehouse.spec.job import Transform
from lakehouse.run.transforms import apply_transforms, checked, derive, run_parameters

NOT_A_QUERY = ("SQL file bad.sql is not a single query (only SELECT/WITH/VALUES queries are allowed): "
               "[PARSE_SYNTAX_ERROR] Syntax error at or near ")
READS_ONLY = "a SQL file reads only the view 'source' and its own WITH queries"
JAVA = "is not allowed (it calls arbitrary Java methods)"
PARAMS = run_parameters(dt.date(2024, 3, 1))


@pytest.fixture
def df(spark):
    return spark.createDataFrame([(1, "a", [1, 2]), (2, "b", [3])], "id INT, name STRING, arr ARRAY<INT>")


def _run_sql(df, tmp_path, text: str, view: str = "source"):
    (tmp_path / "bad.sql").write_text(text)
    return apply_transforms(df, Transform(sql="bad.sql", view=view), tmp_path, PARAMS).df


def _refusal(call) -> tuple[str | None, str]:
    with pytest.raises(SpecError) as err:
        call()
    return err.value.field, err.value.message


def _rows(df) -> list[tuple]:
    return sorted(tuple(r) for r in df.collect())


# ------------------------------------------------------------------- SQL files

@pytest.mark.parametrize("text, near", [
    ("DELETE FROM source WHERE id = 1", "'DELETE'."),
    ("INSERT INTO source SELECT * FROM source", "'INSERT'."),
    ("CREATE TEMP VIEW leaked AS SELECT * FROM source", "'CREATE'."),
    ("CREATE OR REPLACE GLOBAL TEMP VIEW leaked AS SELECT 1", "'CREATE'."),
    ("CACHE TABLE leaked AS SELECT * FROM source", "'CACHE'."),
    ("SET lakehouse.leaked = true", "'SET'."),
    ("SELECT * FROM source; DROP VIEW source", "';'."),
    ("SELECT * FROM source;\nSELECT 1;", "';'."),
])
def test_a_sql_file_must_be_a_single_query(spark, df, tmp_path, text, near):
    assert _refusal(lambda: _run_sql(df, tmp_path, text)) == ("transform.sql", NOT_A_QUERY + near)
    assert not spark.catalog.tableExists("leaked") and not spark.catalog.tableExists("source")
    assert spark.conf.get("lakehouse.leaked", None) is None


@pytest.mark.parametrize("text, rows", [
    ("SELECT id, upper(name) AS name FROM source;", [(1, "A"), (2, "B")]),
    ("WITH a AS (SELECT id, name FROM source), b AS (SELECT * FROM a WHERE id > 1) SELECT * FROM b", [(2, "b")]),
    ("FROM source SELECT id, name WHERE id = 1", [(1, "a")]),
    ("SELECT id, name FROM source UNION ALL VALUES (3, 'c')", [(1, "a"), (2, "b"), (3, "c")]),
    ("SELECT id, x FROM source, LATERAL explode(arr) AS t(x) WHERE id = 1", [(1, 1), (1, 2)]),
    ("SELECT s.id, s.name FROM SOURCE AS s WHERE s.id IN (SELECT id FROM source WHERE name = 'b')", [(2, "b")]),
])
def test_queries_on_the_source_view_run(spark, df, tmp_path, text, rows):
    assert _rows(_run_sql(df, tmp_path, text)) == rows
    assert not spark.catalog.tableExists("source")  # the view is gone again


def test_the_view_is_the_one_the_spec_names(df, tmp_path):
    assert _rows(_run_sql(df, tmp_path, "SELECT id FROM raw_things", view="raw_things")) == [(1,), (2,)]
    assert _refusal(lambda: _run_sql(df, tmp_path, "SELECT id FROM source", view="raw_things")) == (
        "transform.sql",
        "SQL file bad.sql: cannot read source: a SQL file reads only the view 'raw_things' and its own WITH queries")


@pytest.mark.parametrize("text, what", [
    ("SELECT * FROM global_temp.things", "global_temp.things"),
    ("SELECT * FROM source JOIN other USING (id)", "other"),
    ("SELECT * FROM source WHERE EXISTS (SELECT 1 FROM spark_catalog.default.other)", "spark_catalog.default.other"),
    ("SELECT * FROM parquet.`/etc/data`", "parquet.`/etc/data`"),
    ("SELECT * FROM delta.`/data/lake/orders` VERSION AS OF 0", "delta.`/data/lake/orders`"),
    ("SELECT * FROM table_changes('orders', 0)", "table_changes(...)"),
    ("WITH b AS (SELECT * FROM a), a AS (SELECT * FROM source) SELECT * FROM b", "a"),  # a WITH query seen too early
    ("SELECT * FROM (WITH a AS (SELECT * FROM source) SELECT * FROM a) JOIN a USING (id)", "a"),  # out of scope
])
def test_a_sql_file_reads_only_its_view(spark, df, tmp_path, text, what):
    spark.range(1).createOrReplaceGlobalTempView("things")
    try:
        assert _refusal(lambda: _run_sql(df, tmp_path, text)) == (
            "transform.sql", f"SQL file bad.sql: cannot read {what}: {READS_ONLY}")
    finally:
        spark.catalog.dropGlobalTempView("things")


@pytest.mark.parametrize("text, function", [
    ("SELECT reflect('java.lang.System', 'setProperty', 'lakehouse.pwned', 'yes') AS x FROM source", "reflect"),
    ("SELECT id FROM source WHERE name IN (SELECT JAVA_METHOD('java.lang.System', 'getenv', 'HOME'))", "java_method"),
    ("SELECT transform(arr, x -> system.builtin.reflect('java.lang.String', 'valueOf', x)) FROM source", "reflect"),
    ("SELECT sum(id) OVER w FROM source WINDOW w AS (PARTITION BY try_reflect('java.util.UUID', 'randomUUID'))",
     "try_reflect"),
    ("WITH a AS (SELECT java_method('java.lang.Math', 'random') AS r) SELECT * FROM source, a", "java_method"),
    ("SELECT * FROM source LATERAL VIEW java_method('java.lang.Math', 'random') t AS r", "java_method"),
])
def test_sql_files_cannot_call_java(spark, df, tmp_path, text, function):
    assert _refusal(lambda: _run_sql(df, tmp_path, text)) == ("transform.sql", f"SQL file bad.sql: {function}() {JAVA}")
    assert spark.sparkContext._jvm.java.lang.System.getProperty("lakehouse.pwned") is None


@pytest.mark.parametrize("text", ["SELECT * FROM IDENTIFIER('source')", "SELECT IDENTIFIER('reflect')('a', 'b')",
                                  "SELECT * FROM source JOIN identifier /* c */ ('source') AS s ON true"])
def test_identifier_clauses_are_refused(df, tmp_path, text):
    assert _refusal(lambda: _run_sql(df, tmp_path, text)) == (
        "transform.sql", "SQL file bad.sql: IDENTIFIER(...) is not allowed: spell the name out")


# ---------------------------------------------------------------- expressions

@pytest.mark.parametrize("transform, field, message", [
    ({"derive": {"x": "reflect('java.lang.System', 'getProperty', 'user.dir')"}}, "transform.derive.x",
     f"reflect() {JAVA}"),
    ({"derive": {"x": "upper(name)", "y": "transform(arr, v -> java_method('java.lang.Math', 'abs', v))"}},
     "transform.derive.y", f"java_method() {JAVA}"),
    ({"filter": ["id > 0", "name = (SELECT max(name) FROM global_temp.things)"]}, "transform.filter[1]",
     "cannot read global_temp.things: an expression reads no table"),
    ({"filter": ["id IN (SELECT id FROM range(3))"]}, "transform.filter[0]",
     "cannot read range(...): an expression reads no table"),
    ({"filter": ["IDENTIFIER('reflect')('java.lang.Math', 'random') > 0"]}, "transform.filter[0]",
     "IDENTIFIER(...) is not allowed: spell the name out"),
])
def test_expressions_cannot_call_java_or_read_tables(df, tmp_path, transform, field, message):
    assert _refusal(lambda: apply_transforms(df, Transform(**transform), tmp_path, PARAMS)) == (field, message)


def test_good_expressions_still_work(df, tmp_path):
    out = apply_transforms(df, Transform(derive={"n": "size(arr) * 10 + id"}, filter=["n > 20"], cast={"id": "BIGINT"}),
                           tmp_path, PARAMS).df
    assert _rows(out.select("id", "n")) == [(1, 21)]


def test_the_merge_delete_condition_uses_the_same_check(df):
    def flag(d):
        return derive("deleted", "java_method('java.lang.Math', 'random') > 0", PARAMS)(d)

    assert _refusal(lambda: checked("target.merge.delete_when", df, flag)) == (
        "target.merge.delete_when", f"java_method() {JAVA}")
    ok = checked("target.merge.delete_when", df, derive("deleted", "name = 'b'", PARAMS))
    assert _rows(ok.select("id", "deleted")) == [(1, False), (2, True)]


def test_a_syntax_error_in_an_expression_names_the_field(df, tmp_path):
    field, message = _refusal(lambda: apply_transforms(df, Transform(derive={"x": "id +"}), tmp_path, PARAMS))
    assert (field, message.split(" ")[0]) == ("transform.derive.x", "[PARSE_SYNTAX_ERROR]")


def test_column_api_steps_are_untouched(df):
    assert checked("transform.cast.id", df, lambda d: d.withColumn("id", F.col("id") + 1)).first()["id"] == 2
