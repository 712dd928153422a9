"""Safe spelling of identifiers and literals for the few SQL strings lakehouse builds.

Column names from specs are validated by :data:`lakehouse.spec.fields.Identifier`; they are
still quoted here before they reach SQL.  Nothing in this module imports Spark.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TABLE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")

# The rules for SQL from a spec that both checkers apply: `lakehouse validate` on sqlglot's tree
# (lakehouse.spec.sql), each run on Spark's own (lakehouse.run.sql_check).
FORBIDDEN_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})
"""Functions that call an arbitrary Java static method by name: refused in every SQL text of a spec."""
ONLY_QUERIES = "only SELECT/WITH/VALUES queries are allowed"
"""Why a SQL file holding anything but one query is refused."""
IDENTIFIER_CLAUSE = "IDENTIFIER(...) is not allowed: spell the name out"
"""Why an ``IDENTIFIER(...)`` clause is refused (it names a table or function only when resolved)."""


def function_problem(name: str) -> str | None:
    """Why calling function ``name`` is refused, or None."""
    if name.lower() in FORBIDDEN_FUNCTIONS:
        return f"{name.lower()}() is not allowed (it calls arbitrary Java methods)"
    return None


def quote_ident(name: str) -> str:
    """Return ``name`` quoted with backticks (a backtick inside is doubled)."""
    return "`" + name.replace("`", "``") + "`"


def quote_table_name(name: str) -> str:
    """Quote each part of a ``schema.table`` or ``catalog.schema.table`` name."""
    return ".".join(quote_ident(part) for part in name.split("."))


def sql_literal(value: object) -> str:
    """Spell a Python value (as collected from a Spark row) as a Spark SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        # PySpark collects timestamps as naive local time of this Python process; with an
        # explicit offset the literal means the same instant whatever the session time zone.
        return f"TIMESTAMP'{value.astimezone(dt.timezone.utc).isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(f"cannot spell {type(value).__name__} value {value!r} as a SQL literal")


def partition_predicate(columns: list[str], values: list[tuple]) -> str:
    """``(a = 1 AND b = 'x') OR (...)`` for each tuple of partition values."""
    if not values:
        return "FALSE"
    terms = []
    for row in values:
        parts = []
        for col, val in zip(columns, row):
            ident = quote_ident(col)
            parts.append(f"{ident} IS NULL" if val is None else f"{ident} = {sql_literal(val)}")
        terms.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(terms)
