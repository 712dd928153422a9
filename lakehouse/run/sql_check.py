"""The one check of SQL from a spec, on the tree Spark's own parser returns (nothing resolved yet):

* a SQL file holds exactly one query (SELECT, WITH, VALUES, FROM-first, set
  operations); any other statement, or several, is refused;
* it reads only the source view (``transform.view``) and its own WITH queries: no
  tables, no other views (``global_temp`` ones included), no file paths, and no
  table-valued functions but the row generators of :data:`ROW_GENERATORS`;
  an expression (``derive``, ``filter``, ``merge.delete_when``) reads no table at all;
* no :data:`lakehouse._sql.FORBIDDEN_FUNCTIONS` (they call any Java static method by name) and no
  ``IDENTIFIER(...)`` clause (it names a table or function only when resolved).  From Spark 4.1 the
  parser itself resolves ``IDENTIFIER('name')`` of a literal into the plain name: the name is then
  checked like any other, and the clause is still refused by its text (the node's span in the query),
  so a SQL file is refused alike on every Spark line.

``lakehouse validate`` applies the same rules but the reads to sqlglot's tree of the text, without a
JVM (:mod:`lakehouse.spec.sql`); this check stays the one each run relies on, because it inspects
the tree Spark executes: where sqlglot's grammar and Spark's differ, Spark's decides.
"""

from __future__ import annotations

import re
from typing import Any

from py4j.java_gateway import JavaObject
from pyspark.sql import SparkSession

from lakehouse._sql import IDENTIFIER_CLAUSE, IDENTIFIER_RE, function_problem, quote_ident
from lakehouse.errors import LakehouseError
ROW_GENERATORS = frozenset({"explode", "explode_outer", "inline", "inline_outer", "posexplode",
                            "posexplode_outer", "json_tuple", "stack", "range"})
"""The table-valued functions a SQL file may use in FROM: they make rows from values, reading no table."""


_ANALYSIS = "org.apache.spark.sql.catalyst.analysis."
_WITH = "org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith"
_LEAVES = (_ANALYSIS + "UnresolvedAttribute", "org.apache.spark.sql.catalyst.expressions.Literal")
"""Tree nodes that hold only names or values, never other SQL."""
_IDENTIFIER_TEXT = re.compile(r"identifier\s*(/\*.*?\*/\s*|--[^\n]*\n\s*)*\(", re.IGNORECASE | re.DOTALL)
"""The text of a relation written as an ``IDENTIFIER(...)`` clause (Spark 4.1+ parses a literal one to a name)."""
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
        return IDENTIFIER_CLAUSE
    if cls == _ANALYSIS + "UnresolvedRelation":
        if _IDENTIFIER_TEXT.match(_text(node)):
            return IDENTIFIER_CLAUSE
        parts = [str(p) for p in _items(node.multipartIdentifier())]
        return None if len(parts) == 1 and parts[0].lower() in names else _read_problem(_dotted(parts), readable)
    if cls == _ANALYSIS + "UnresolvedTableValuedFunction":
        parts = [str(p) for p in _items(node.name())]
        if readable and len(parts) == 1 and parts[0].lower() in ROW_GENERATORS:
            return None
        return _read_problem(f"{_dotted(parts)}(...)", readable)
    if cls == _ANALYSIS + "UnresolvedFunction":
        return function_problem(str(node.nameParts().last()))
    if cls == _ANALYSIS + "UnresolvedGenerator":  # LATERAL VIEW f(...)
        return function_problem(str(node.name().funcName()))
    return None


def _text(node: JavaObject) -> str:
    """The part of the parsed text ``node`` was made from ("" where the parser kept no position)."""
    origin = node.origin()
    text, start, stop = origin.sqlText(), origin.startIndex(), origin.stopIndex()
    if text.isEmpty() or start.isEmpty() or stop.isEmpty():
        return ""
    return str(text.get())[int(start.get()):int(stop.get()) + 1]


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


def parser(spark: SparkSession) -> JavaObject:
    """Spark's SQL parser, reached through py4j.

    A Spark Connect session has no JVM to reach, so SQL could not be checked there; it is
    refused rather than run unchecked (lakehouse needs a classic session anyway, e.g. for
    :func:`lakehouse.table.ref.path_exists`)."""
    try:
        return spark._jsparkSession.sessionState().sqlParser()
    except AttributeError:
        raise LakehouseError("SQL in a job spec is checked with Spark's parser through py4j, which a "
                             "Spark Connect session does not offer; use a classic SparkSession") from None
