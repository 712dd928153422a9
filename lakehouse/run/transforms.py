"""The transform stage: ``DataFrame -> DataFrame`` functions applied with ``df.transform``.

Steps always run in the order of :class:`lakehouse.spec.job.Transform`:
``sql`` → ``rename`` → ``cast`` → ``derive`` → ``filter``.  A step that Spark
cannot parse or resolve raises a SpecError naming the spec field.

SQL from a spec is checked by :mod:`lakehouse.run.sql_check` before Spark runs or even
resolves it.

**Parameters.** SQL files and expressions see the run's parameters as Spark's named
parameter markers, bound by Spark with their types, never pasted into the text:
``:run_date`` is the run date (a ``DATE``), e.g. ``derive: {loaded_for: ":run_date"}`` or
``WHERE day <= :run_date``.  :func:`run_parameters` makes them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse._sql import ONLY_QUERIES, quote_ident
from lakehouse.errors import SpecError, spark_message
from lakehouse.run.sql_check import parser, sql_problem
from lakehouse.runtime.compat import parameterized_sql
from lakehouse.spec.job import Transform

Step = Callable[[DataFrame], DataFrame]


Params = Mapping[str, Any]
"""Named SQL parameters: name -> Python value (Spark binds ``datetime.date`` as a ``DATE``)."""


def run_parameters(run_date: dt.date) -> dict[str, Any]:
    """The parameters every SQL text of a job sees (``:run_date``)."""
    return {"run_date": run_date}


@dataclass(frozen=True)
class Transformed:
    """The transformed rows, and the rows ``transform.filter`` removed (counted by one aggregate)."""

    df: DataFrame
    filtered_out: int


def apply_transforms(df: DataFrame, spec: Transform, sql_dir: Path, params: Params) -> Transformed:
    """Apply every step ``spec`` declares to ``df``; the rows the filters remove are counted."""
    for field, step in _steps(spec, sql_dir, params):
        df = checked(field, df, step)
    kept = df
    for i, condition in enumerate(spec.filter):
        kept = checked(f"transform.filter[{i}]", kept, keep_where([condition], params))
    if not spec.filter:
        return Transformed(df=kept, filtered_out=0)
    rows, rows_kept = checked("transform.filter", df, _count_kept(spec.filter, params)).first()
    return Transformed(df=kept, filtered_out=rows - rows_kept)


def _steps(spec: Transform, sql_dir: Path, params: Params) -> list[tuple[str, Step]]:
    """The steps before ``filter``, in their fixed order."""
    steps: list[tuple[str, Step]] = []
    sql_path = spec.sql_path(sql_dir)
    if sql_path:
        steps.append(("transform.sql", sql_file(sql_path, spec.view, spec.sql, params)))
    steps += [(f"transform.rename.{old}", rename(old, new)) for old, new in spec.rename.items()]
    steps += [(f"transform.cast.{col}", cast(col, type_)) for col, type_ in spec.cast.items()]
    steps += [(f"transform.derive.{col}", derive(col, expr, params)) for col, expr in spec.derive.items()]
    return steps


def sql_file(path: Path, view: str, name: str, params: Params) -> Step:
    """Run the query in ``path`` (named ``name`` in errors) with the input registered as temporary
    view ``view``; the query is checked (see the module rules) before the view exists."""
    query = path.read_text(encoding="utf-8").strip().rstrip(";")

    def step(df: DataFrame) -> DataFrame:
        spark = df.sparkSession
        try:
            plan = parser(spark).parseQuery(query)  # only a query parses: no command, no second statement
        except ParseException as exc:
            raise SpecError(f"SQL file {name} is not a single query ({ONLY_QUERIES}): {spark_message(exc)}") from None
        problem = sql_problem(spark, plan, frozenset({view.lower()}))
        if problem:
            raise SpecError(f"SQL file {name}: {problem}")
        df.createOrReplaceTempView(view)
        try:
            out = parameterized_sql(spark, query, dict(params))
            out.schema  # noqa: B018 - analysed now, so the view can go
            return out
        finally:
            spark.catalog.dropTempView(view)  # leave no view behind in the user's session

    return step


def check_expression(spark: SparkSession, text: str) -> str:
    """``text`` if it is one Spark SQL expression that keeps the module rules.

    A refused expression raises a SpecError without a field: :func:`checked` names it."""
    problem = sql_problem(spark, parser(spark).parseExpression(text), frozenset())
    if problem:
        raise SpecError(problem)
    return text


def _select(df: DataFrame, items: list[str], params: Params, where: str | None = None) -> DataFrame:
    """``SELECT items FROM df [WHERE where]`` with ``params`` bound by Spark.  Every expression in
    ``items`` and ``where`` was checked by :func:`check_expression` and is set on lines of its own, so
    a trailing ``--`` comment ends with its line."""
    spark = df.sparkSession
    view = f"_lakehouse_step_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    try:
        out = parameterized_sql(spark, "SELECT " + ", ".join(items) + f" FROM {view} AS {view}"  # the alias: so
                                + (f" WHERE {where}" if where else ""), dict(params))  # `WHERE (` cannot parse as one
        out.schema  # noqa: B018 - analysed now, so the view can go
        return out
    finally:
        spark.catalog.dropTempView(view)


def _wrapped(text: str) -> str:
    return f"(\n{text}\n)"


def rename(old: str, new: str) -> Step:
    def step(df: DataFrame) -> DataFrame:
        if old not in df.columns:
            raise SpecError(f"no column {old!r} to rename (columns: {', '.join(df.columns)})",
                            field=f"transform.rename.{old}")
        return df.withColumnRenamed(old, new)

    return step


def cast(column: str, type_: str) -> Step:
    """Cast ``column`` to the Spark SQL type ``type_`` (parsed as a type: it cannot call a function)."""
    return lambda df: df.withColumn(column, F.col(quote_ident(column)).cast(type_))


def derive(column: str, expression: str, params: Params) -> Step:
    """Add (or replace, in place) ``column`` as ``expression``, which may use the parameters."""
    def step(df: DataFrame) -> DataFrame:
        value = f"{_wrapped(check_expression(df.sparkSession, expression))} AS {quote_ident(column)}"
        items = [value if c == column else quote_ident(c) for c in df.columns]
        return _select(df, items if column in df.columns else [*items, value], params)

    return step


def keep_where(conditions: list[str], params: Params) -> Step:
    """Keep the rows for which every condition is true (a NULL condition drops the row)."""
    return lambda df: _select(df, [quote_ident(c) for c in df.columns], params, _all_of(df, conditions))


def _count_kept(conditions: list[str], params: Params) -> Step:
    """One row: (rows, rows every condition keeps)."""
    return lambda df: _select(df, ["count(1)", f"count_if({_all_of(df, conditions)})"], params)


def _all_of(df: DataFrame, conditions: list[str]) -> str:
    return " AND ".join(_wrapped(check_expression(df.sparkSession, c)) for c in conditions)


def checked(field: str, df: DataFrame, step: Step) -> DataFrame:
    """``df.transform(step)``, analysed now; a Spark parse or analysis error, and a SpecError
    without a field, name ``field``."""
    try:
        out = df.transform(step)
        out.schema  # noqa: B018 - forces analysis, so errors surface here, naming the field
        return out
    except (ParseException, AnalysisException) as exc:
        raise SpecError(spark_message(exc), field=field) from None
    except SpecError as exc:
        if exc.field:
            raise
        raise SpecError(exc.message, file=exc.file, field=field, line=exc.line) from None
