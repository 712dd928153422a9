"""``show --where`` on delta-rs keeps exactly the rows Spark's filter keeps (lakehouse.audit.where).

A hypothesis property drives random conditions of the translated grammar (comparisons either way round,
IN, NOT IN, IS [NOT] NULL, AND, OR, NOT) over a real Delta table with NULLs in every column, and compares
the rows pyarrow keeps with the rows Spark's ``filter`` keeps on the same version.
"""

import datetime as dt
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("deltalake")

from lakehouse.audit.deltars import read_rows  # noqa: E402
from lakehouse.audit.engine import arrow_schema  # noqa: E402
from lakehouse.audit.where import translate  # noqa: E402

SCHEMA = "id BIGINT, name STRING, day DATE, seq INT, amount DECIMAL(10,2), flag BOOLEAN"
ROWS = [(1, "a", dt.date(2024, 1, 1), 1, Decimal("1.50"), True), (2, "B", dt.date(2024, 1, 2), None, Decimal("2"), False),
        (3, None, dt.date(2024, 1, 3), 3, None, None), (None, "b", None, 2, Decimal("-1.25"), True),
        (5, "bb", dt.date(2024, 1, 1), -1, Decimal("0.10"), False), (6, "", dt.date(2024, 1, 2), 0, Decimal("3"), None)]
LITERALS = {"id": st.sampled_from(["-1", "0", "1", "2", "3", "6", "9"]),
            "seq": st.sampled_from(["-1", "0", "1", "2", "3"]),
            "name": st.sampled_from(["'a'", "'B'", "'b'", "'bb'", "''", "'z'"]),
            "day": st.sampled_from(["'2024-01-01'", "'2024-01-02'", "'2024-01-03'"]),
            "amount": st.sampled_from(["1.5", "1.50", "2", "-1.25", "0.1", "3.001"]),
            "flag": st.sampled_from(["TRUE", "FALSE"])}
COLUMNS = st.sampled_from(sorted(LITERALS))


@st.composite
def atoms(draw):
    column = draw(COLUMNS)
    shown = draw(st.sampled_from([column, column.upper()]))  # Spark resolves names in any case
    literal = LITERALS[column]
    form = draw(st.sampled_from(["cmp", "flipped", "in", "not in", "null"]))
    op = draw(st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="]))
    if form == "cmp":
        return f"{shown} {op} {draw(literal)}"
    if form == "flipped":
        return f"{draw(literal)} {op} {shown}"
    if form in ("in", "not in"):
        values = draw(st.lists(literal, min_size=1, max_size=3))
        return f"{shown} {form.upper()} ({', '.join(values)})"
    return f"{shown} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"


conditions = st.recursive(atoms(), lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda c: f"NOT ({c})")), max_leaves=4)


@pytest.fixture(scope="module")
def nulls_table(spark, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("where") / "t")
    spark.createDataFrame(ROWS, SCHEMA).write.format("delta").save(path)
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=conditions)
def test_translated_conditions_keep_the_rows_spark_keeps(spark, nulls_table, condition):
    from deltalake import DeltaTable

    expression, why = translate(condition, arrow_schema(DeltaTable(nulls_table)))
    assert why is None, condition
    kept = read_rows(nulls_table, 0, expression).to_pylist()
    expected = spark.read.format("delta").load(nulls_table).filter(condition)
    assert_df_equality(spark.createDataFrame([tuple(r.values()) for r in kept], expected.schema), expected,
                       ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize("condition", ["name LIKE 'a%'", "id + 1 = 2", "id = seq", "id = NULL", "id = '1'",
                                       "seq = 1.5", "day = '2024-1-1'", "upper(name) = 'A'", "t.id = 1",
                                       "id IN (SELECT 1)", "amount = 1e0", "flag", "id <=> 1", "nope = 1", "id ="])
def test_other_conditions_are_left_to_spark(nulls_table, condition):
    from deltalake import DeltaTable

    expression, why = translate(condition, arrow_schema(DeltaTable(nulls_table)))
    assert expression is None and why
