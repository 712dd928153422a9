"""The transform stage: ``DataFrame -> DataFrame`` functions applied with ``df.transform``.

Steps always run in the order of :class:`lakehouse.spec.job.Transform`:
``sql`` → ``rename`` → ``cast`` → ``derive`` → ``filter``.  A step that Spark
cannot parse or resolve raises a SpecError naming the spec field.

SQL from a spec is parsed by Spark's own parser and checked before Spark runs or
even resolves it (:func:`sql_problem`, the one check):

* a SQL file holds exactly one query (SELECT, WITH, VALUES, FROM-first, set
  operations); any other statement, or several, is refused;
* it reads only the source view (``transform.view``) and its own WITH queries: no
  tables, no other views (``global_temp`` ones included), no file paths, and no
  table-valued functions but the row generators of :data:`ROW_GENERATORS`;
  an expression (``derive``, ``filter``, ``merge.delete_when``) reads no table at all;
* no :data:`FORBIDDEN_FUNCTIONS` (they call any Java static method by name) and no
  ``IDENTIFIER(...)`` clause (it names a table or function only when resolved).

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

from py4j.java_gateway import JavaObject
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse._sql import IDENTIFIER_RE, quote_ident
from lakehouse.errors import LakehouseError, SpecError, spark_message
from lakehouse.spec.job import Transform

Step = Callable[[DataFrame], DataFrame]

FORBIDDEN_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})
"""Functions that call an arbitrary Java static method by name: refused in every SQL text of a spec."""
ROW_GENERATORS = frozenset({"explode", "explode_outer", "inline", "inline_outer", "posexplode",
                            "posexplode_outer", "json_tuple", "stack", "range"})
"""The table-valued functions a SQL file may use in FROM: they make rows from values, reading no table."""


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
            plan = _parser(spark).parseQuery(query)  # only a query parses: no command, no second statement
        except ParseException as exc:
            raise SpecError(f"SQL file {name} is not a single query (only SELECT/WITH/VALUES queries are "
                            f"allowed): {spark_message(exc)}") from None
        problem = sql_problem(spark, plan, frozenset({view.lower()}))
        if problem:
            raise SpecError(f"SQL file {name}: {problem}")
        df.createOrReplaceTempView(view)
        try:
            out = spark.sql(query, args=dict(params))
            out.schema  # noqa: B018 - analysed now, so the view can go
            return out
        finally:
            spark.catalog.dropTempView(view)  # leave no view behind in the user's session

    return step


def check_expression(spark: SparkSession, text: str) -> str:
    """``text`` if it is one Spark SQL expression that keeps the module rules.

    A refused expression raises a SpecError without a field: :func:`checked` names it."""
    problem = sql_problem(spark, _parser(spark).parseExpression(text), frozenset())
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
        out = spark.sql("SELECT " + ", ".join(items) + f" FROM {view} AS {view}"  # the alias: so `WHERE (`
                        + (f" WHERE {where}" if where else ""), args=dict(params))    # cannot parse as one
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


# ------------------------------------------------------------------- the SQL check

_ANALYSIS = "org.apache.spark.sql.catalyst.analysis."
_WITH = "org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith"
_LEAVES = (_ANALYSIS + "UnresolvedAttribute", "org.apache.spark.sql.catalyst.expressions.Literal")
"""Tree nodes that hold only names or values, never other SQL."""
_UNRESOLVED_IDENTIFIER = (_ANALYSIS + "PlanWithUnresolvedIdentifier", _ANALYSIS + "ExpressionWithUnresolvedIdentifier")


def sql_problem(spark: SparkSession, tree: JavaObject, readable: frozenset[str]) -> str | None:
    """What breaks the module's SQL rules in ``tree``, a plan or expression as Spark's parser returns
    it (nothing resolved yet), or None.  ``readable``: the lower-case names it may read.

    Every object inside the tree is visited (children, expressions, subqueries, WITH queries,
    window definitions), so no part of the text escapes the check."""
    kinds = _Kinds(spark)
    todo: list[tuple[Any, frozenset[str]]] = [(tree, readable)]
    while todo:
        obj, names = todo.pop()
        if not isinstance(obj, JavaObject):
            continue  # py4j hands strings, numbers and booleans over as Python values
        cls = obj.getClass().getName()
        problem = _node_problem(cls, obj, names, readable)
        if problem:
            return problem
        if cls == _WITH:  # each WITH query sees the ones before it; the main query sees all
            ctes = obj.cteRelations()
            seen = names
            for i in range(ctes.length()):
                todo.append((ctes.apply(i)._2(), seen))
                seen = seen | {ctes.apply(i)._1().lower()}
            todo.append((obj.child(), seen))
            continue
        todo += [(part, names) for part in kinds.parts(cls, obj)]
    return None


def _node_problem(cls: str, node: JavaObject, names: frozenset[str], readable: frozenset[str]) -> str | None:
    """The rule ``node`` (of class ``cls``) breaks by itself, or None; ``names`` it may read."""
    if cls in _UNRESOLVED_IDENTIFIER:
        return "IDENTIFIER(...) is not allowed: spell the name out"
    if cls == _ANALYSIS + "UnresolvedRelation":
        parts = [str(p) for p in _items(node.multipartIdentifier())]
        return None if len(parts) == 1 and parts[0].lower() in names else _read_problem(_dotted(parts), readable)
    if cls == _ANALYSIS + "UnresolvedTableValuedFunction":
        parts = [str(p) for p in _items(node.name())]
        if readable and len(parts) == 1 and parts[0].lower() in ROW_GENERATORS:
            return None
        return _read_problem(f"{_dotted(parts)}(...)", readable)
    if cls == _ANALYSIS + "UnresolvedFunction":
        return _function_problem(str(node.nameParts().last()))
    if cls == _ANALYSIS + "UnresolvedGenerator":  # LATERAL VIEW f(...)
        return _function_problem(str(node.name().funcName()))
    return None


def _function_problem(name: str) -> str | None:
    """Why calling function ``name`` is refused, or None."""
    if name.lower() in FORBIDDEN_FUNCTIONS:
        return f"{name.lower()}() is not allowed (it calls arbitrary Java methods)"
    return None


def _dotted(parts: list[str]) -> str:
    """A multi-part name as SQL spells it (``global_temp.v``, ``parquet.`/data/x```)."""
    return ".".join(part if IDENTIFIER_RE.match(part) else quote_ident(part) for part in parts)


def _read_problem(what: str, readable: frozenset[str]) -> str:
    """Why reading ``what`` is refused where only ``readable`` may be read."""
    if not readable:
        return f"cannot read {what}: an expression reads no table"
    views = " or ".join(repr(name) for name in sorted(readable))
    return f"cannot read {what}: a SQL file reads only the view {views} and its own WITH queries"


class _Kinds:
    """Sorts JVM objects by class, once per class: collections are walked by their items, Catalyst
    tree nodes and other Scala products (tuples, options, case classes) by their fields.  Scala
    singletons (``Nil``, ``None``, data types) and :data:`_LEAVES` hold no SQL and are skipped."""

    def __init__(self, spark: SparkSession) -> None:
        forname = spark.sparkContext._jvm.java.lang.Class.forName
        self._types = [("items", forname("scala.collection.Iterable")), ("fields", forname("scala.Product"))]
        self._kind: dict[str, str | None] = {cls: None for cls in _LEAVES}

    def parts(self, cls: str, obj: JavaObject) -> list[Any]:
        """The objects directly inside ``obj`` (of class ``cls``)."""
        if cls not in self._kind:
            self._kind[cls] = None if cls.endswith("$") else next(
                (kind for kind, type_ in self._types if type_.isInstance(obj)), None)
        kind = self._kind[cls]
        if kind == "fields":
            return [obj.productElement(i) for i in range(obj.productArity())]
        return _items(obj) if kind == "items" else []


def _items(iterable: JavaObject) -> list[Any]:
    """The items of a Scala collection."""
    seq = iterable.toSeq()
    return [seq.apply(i) for i in range(seq.length())]


def _parser(spark: SparkSession) -> JavaObject:
    """Spark's SQL parser, reached through py4j.

    A Spark Connect session has no JVM to reach, so SQL could not be checked there; it is
    refused rather than run unchecked (lakehouse needs a classic session anyway, e.g. for
    :func:`lakehouse.table.ref.path_exists`)."""
    try:
        return spark._jsparkSession.sessionState().sqlParser()
    except AttributeError:
        raise LakehouseError("SQL in a job spec is checked with Spark's parser through py4j, which a "
                             "Spark Connect session does not offer; use a classic SparkSession") from None
