"""The schema evolution rules (lakehouse.write.evolve) as pure cases: two schemas in, a plan out; no Spark."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql.types import (ArrayType, ByteType, DataType, DateType, DecimalType, DoubleType, FloatType,
                               IntegerType, LongType, NullType, ShortType, StringType, StructField, StructType,
                               TimestampNTZType, TimestampType)

from lakehouse.errors import DataError, SpecError
from lakehouse.write.evolve import Change, check, compare, same_type, widens

TABLE = "id BIGINT, name STRING, n INT, amount DECIMAL(10,2), day DATE"
FIXED = ["id", "day"]


SIMPLE_TYPES = {"BIGINT": LongType(), "INT": IntegerType(), "SMALLINT": ShortType(), "STRING": StringType(),
                "DOUBLE": DoubleType(), "DATE": DateType(), "TIMESTAMP": TimestampType(), "VOID": NullType(),
                "ARRAY<INT>": ArrayType(IntegerType())}


def ddl(text: str) -> StructType:
    """``"id BIGINT, amount DECIMAL(10,2)"`` as a StructType, without a Spark session."""
    fields = []
    for part in re.split(r",\s*(?![^()]*\))", text):
        name, kind = part.split(None, 1)
        decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind)
        fields.append(StructField(name, DecimalType(*map(int, decimal.groups())) if decimal else SIMPLE_TYPES[kind]))
    return StructType(fields)


def plan(run: str, policy: str, table: str = TABLE, widening: bool = True):
    return compare(ddl(table), ddl(run), policy=policy, fixed=FIXED, type_widening=widening, name="lake/t")


def refusal(run: str, policy: str, **kw) -> str:
    refused = plan(run, policy, **kw).refused
    assert refused, "expected a refusal"
    return refused[0].message


# (run schema, policy) -> the changes of the plan; none of these is refused
ALLOWED = [
    (TABLE, "fail", []),
    (TABLE, "add_columns", []),
    (TABLE, "ignore_new", []),
    ("day DATE, amount DECIMAL(10,2), n INT, name STRING, id BIGINT", "fail", []),  # order is no difference
    (TABLE + ", channel STRING", "add_columns", [Change("channel", "added", type="STRING")]),
    (TABLE + ", channel STRING, x ARRAY<INT>", "add_columns",
     [Change("channel", "added", type="STRING"), Change("x", "added", type="ARRAY<INT>")]),
    (TABLE + ", channel STRING, x INT", "ignore_new",
     [Change("channel", "ignored", type="STRING"), Change("x", "ignored", type="INT")]),
    ("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE", "add_columns",
     [Change("n", "widened", from_type="INT", to_type="BIGINT")]),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(12,2), day DATE", "add_columns",
     [Change("amount", "widened", from_type="DECIMAL(10,2)", to_type="DECIMAL(12,2)")]),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(12,4), day DATE", "add_columns",
     [Change("amount", "widened", from_type="DECIMAL(10,2)", to_type="DECIMAL(12,4)")]),
    ("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE, c STRING", "add_columns",
     [Change("c", "added", type="STRING"), Change("n", "widened", from_type="INT", to_type="BIGINT")]),
]


@pytest.mark.parametrize("run, policy, changes", ALLOWED)
def test_allowed_differences_and_their_changes(run, policy, changes):
    result = check(plan(run, policy))
    assert list(result.changes) == changes
    assert result.evolves == any(c.change in ("added", "widened") for c in changes)


# (run schema, policy, kwargs) -> the first refusal's message
REFUSED = [
    (TABLE + ", channel STRING", "fail", {},
     "the run's columns do not match table lake/t: missing none, not in the table ['channel']; nothing was written"),
    ("id BIGINT, name STRING, n INT, day DATE", "fail", {},
     "the run's columns do not match table lake/t: missing ['amount'], not in the table none; nothing was written"),
    ("id BIGINT, name STRING, n INT, day DATE, c INT", "add_columns", {},
     "the run lacks column amount of table lake/t (target.on_schema_change never drops a column); nothing was "
     "written"),
    ("id BIGINT, n INT, day DATE", "ignore_new", {},
     "the run lacks columns name, amount of table lake/t (target.on_schema_change never drops a column); nothing "
     "was written"),
    ("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE", "fail", {},
     "column n is BIGINT in the run but INT in table lake/t; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE, x INT", "ignore_new", {},
     "column n is BIGINT in the run but INT in table lake/t; declare or cast it to the table's type"),
    ("id BIGINT, name INT, n INT, amount DECIMAL(10,2), day DATE", "add_columns", {},
     "column name is INT in the run but STRING in table lake/t: not a widening target.on_schema_change: "
     "add_columns applies; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n SMALLINT, amount DECIMAL(10,2), day DATE", "add_columns", {},  # narrower
     "column n is SMALLINT in the run but INT in table lake/t: not a widening target.on_schema_change: "
     "add_columns applies; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n DOUBLE, amount DECIMAL(10,2), day DATE", "add_columns", {},  # int -> double: manual
     "column n is DOUBLE in the run but INT in table lake/t: not a widening target.on_schema_change: "
     "add_columns applies; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(11,4), day DATE", "add_columns", {},  # scale up, no room
     "column amount is DECIMAL(11,4) in the run but DECIMAL(10,2) in table lake/t: not a widening "
     "target.on_schema_change: add_columns applies; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(10,2), day TIMESTAMP", "add_columns", {},
     "column day is TIMESTAMP in the run but DATE in table lake/t: not a widening target.on_schema_change: "
     "add_columns applies; declare or cast it to the table's type"),
    ("id DECIMAL(20,0), name STRING, n INT, amount DECIMAL(10,2), day DATE", "add_columns",
     {"table": "id INT, name STRING, n INT, amount DECIMAL(10,2), day DATE"},
     "column id is DECIMAL(20,0) in the run but INT in table lake/t: not a widening target.on_schema_change: "
     "add_columns applies; declare or cast it to the table's type"),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(10,2), day DATE", "add_columns",
     {"table": "id INT, name STRING, n INT, amount DECIMAL(10,2), day DATE"},
     "column id is BIGINT in the run but INT in table lake/t: a key, ordering or partition column cannot change "
     "type; cast it to the table's type"),
    ("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE", "add_columns", {"widening": False},
     "column n is BIGINT in the run but INT in table lake/t: widening it needs the table property "
     "delta.enableTypeWidening = 'true' (ALTER TABLE ... SET TBLPROPERTIES, or target.properties before the "
     "table is created)"),
    ("id BIGINT, name STRING, n INT, amount DECIMAL(10,2), day DATE", "add_columns",
     {"table": "name STRING, n INT, amount DECIMAL(10,2)"},
     "column id is a key, ordering or partition column but not in table lake/t; it cannot be added by a run"),
    (TABLE + ", Name STRING", "add_columns", {},
     "column Name of the run differs only in case from column name of table lake/t; rename it"),
    (TABLE + ", nothing VOID", "add_columns", {},
     "new column nothing has no type (NULL); cast it before it is added to table lake/t"),
]


@pytest.mark.parametrize("run, policy, kw, message", REFUSED)
def test_refused_differences_name_the_column_and_both_types(run, policy, kw, message):
    assert refusal(run, policy, **kw) == message


def test_check_raises_data_errors_for_missing_columns_and_spec_errors_for_types():
    with pytest.raises(DataError, match="the run lacks column amount"):
        check(plan("id BIGINT, name STRING, n INT, day DATE", "add_columns"))
    with pytest.raises(SpecError) as error:
        check(plan("id BIGINT, name STRING, n INT, amount STRING, day DATE", "add_columns"))
    assert error.value.field == "source.schema"
    with pytest.raises(SpecError) as error:
        check(plan("id BIGINT, name STRING, n BIGINT, amount DECIMAL(10,2), day DATE", "add_columns", widening=False))
    assert error.value.field == "target.properties"


def test_nullability_and_nested_nullability_are_no_difference():
    table = StructType([StructField("id", LongType(), False),
                        StructField("tags", ArrayType(StringType(), containsNull=False), False)])
    run = StructType([StructField("id", LongType(), True), StructField("tags", ArrayType(StringType()), True)])
    for policy in ("fail", "add_columns", "ignore_new"):
        assert compare(table, run, policy=policy) == compare(table, table, policy=policy)
        assert not compare(table, run, policy=policy).changes and not compare(table, run, policy=policy).refused


def test_lineage_records():
    result = plan(TABLE.replace("n INT", "n BIGINT") + ", channel STRING", "add_columns")
    assert result.records() == [{"column": "channel", "change": "added", "type": "STRING"},
                                {"column": "n", "change": "widened", "from": "INT", "to": "BIGINT"}]
    assert plan(TABLE + ", x INT", "ignore_new").ignored == ["x"]


# ------------------------------------------------------------------- properties

INTEGERS = [ByteType(), ShortType(), IntegerType(), LongType()]
SIMPLE = [*INTEGERS, FloatType(), DoubleType(), StringType(), DateType(), TimestampType(), TimestampNTZType()]
decimals = st.builds(lambda p, s: DecimalType(p, min(s, p)), st.integers(1, 38), st.integers(0, 38))
types = st.one_of(st.sampled_from(SIMPLE), decimals)


def _reference_widens(old: DataType, new: DataType) -> bool:
    """Delta 4.0's automatic widenings, spelt out: integer ranks, float to double, decimal with room."""
    if old in INTEGERS and new in INTEGERS:
        return INTEGERS.index(new) > INTEGERS.index(old)
    if isinstance(old, DecimalType) and isinstance(new, DecimalType):
        return (new.precision - old.precision >= new.scale - old.scale >= 0) and new != old
    return (old, new) == (FloatType(), DoubleType())


@settings(max_examples=300, deadline=None)
@given(old=types, new=types, policy=st.sampled_from(["fail", "add_columns", "ignore_new"]),
       fixed=st.booleans(), widening=st.booleans())
def test_a_type_change_is_widened_exactly_when_allowed(old, new, policy, fixed, widening):
    table = StructType([StructField("k", LongType()), StructField("c", old)])
    run = StructType([StructField("k", LongType()), StructField("c", new)])
    result = compare(table, run, policy=policy, fixed=["k", "c"] if fixed else ["k"], type_widening=widening)
    if same_type(old, new):
        assert not result.changes and not result.refused
        return
    allowed = policy == "add_columns" and _reference_widens(old, new) and widening and not fixed
    assert widens(old, new) == _reference_widens(old, new)
    assert [c.change for c in result.changes] == (["widened"] if allowed else [])
    assert len(result.refused) == (0 if allowed else 1)
    if not allowed:
        assert "column c is " in result.refused[0].message
        assert f"{new.simpleString().upper()} in the run but {old.simpleString().upper()}" in result.refused[0].message


names = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), unique=True, max_size=6)


@settings(max_examples=200, deadline=None)
@given(table=names, run=names, policy=st.sampled_from(["fail", "add_columns", "ignore_new"]))
def test_columns_added_ignored_or_refused(table, run, policy):
    schema = lambda cols: StructType([StructField(c, StringType()) for c in cols])  # noqa: E731
    result = compare(schema(table), schema(run), policy=policy)
    new, missing = [c for c in run if c not in table], [c for c in table if c not in run]
    assert bool(result.refused) == bool(missing or (new and policy == "fail"))
    if not result.refused:
        kind = {"add_columns": "added", "ignore_new": "ignored"}.get(policy)
        assert [(c.column, c.change) for c in result.changes] == [(c, kind) for c in new]


def test_unknown_policy_is_a_bug():
    with pytest.raises(ValueError):
        compare(StructType(), StructType(), policy="drop")


def test_void_type_is_not_a_widening():
    assert not widens(NullType(), IntegerType())
