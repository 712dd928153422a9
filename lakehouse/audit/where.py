"""``show --where`` for the delta-rs path: a Spark SQL condition translated to a pyarrow filter, or why not.

Only conditions whose answer is certainly Spark's are translated; anything else is left to Spark
(:func:`lakehouse.audit.engine.choose`).  Parsed with sqlglot's Spark dialect.

Rules:

* Comparisons (``= <> != < <= > >=``) of a column with a literal (either side), ``col IN (literals)``,
  ``col NOT IN (literals)``, ``col IS [NOT] NULL``, ``AND``, ``OR``, ``NOT`` and parentheses.
* A column is named as Spark resolves it: exactly, else the one column of that name in any case.
* A literal must be of the column's kind: a whole number (within BIGINT) for an integer column, a number
  for a decimal column, a quoted string for a string column, ``'YYYY-MM-DD'`` for a date column, ``TRUE``
  or ``FALSE`` for a boolean column.  Anything else (functions, ``LIKE``, arithmetic, casts, ``NULL``
  compared with ``=``, timestamp and floating-point columns, other columns) is not translated.
* NULLs follow SQL: a comparison with NULL is unknown, and ``AND``/``OR``/``NOT`` are three-valued
  (pyarrow's Kleene kernels), ``x IN (a, b)`` is ``x = a OR x = b``; the rows kept are those where the
  condition is true, as Spark's filter keeps them.

Example::

    translate("id IN (1, 2) AND NOT name IS NULL", schema)   # (Expression, None)
    translate("name LIKE 'a%'", schema)                      # (None, "LIKE is not translated")
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from lakehouse.audit.arrow_text import kind_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BIGINT = (-(2 ** 63), 2 ** 63 - 1)


class Untranslated(Exception):
    """The condition is not one this module translates (the message says which part)."""


def translate(text: str, schema) -> tuple[object | None, str | None]:
    """(the pyarrow filter of Spark SQL condition ``text`` on arrow ``schema``, None) or (None, why not)."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        tree = sqlglot.parse_one(text, read="spark")
    except (ParseError, TokenError):
        return None, "it does not parse"
    try:
        return _condition(tree, schema), None
    except Untranslated as exc:
        return None, str(exc)


def _condition(node, schema):
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _condition(node.this, schema)
    if isinstance(node, exp.And):
        return _condition(node.left, schema) & _condition(node.right, schema)
    if isinstance(node, exp.Or):
        return _condition(node.left, schema) | _condition(node.right, schema)
    if isinstance(node, exp.Not):
        inner = node.this
        if isinstance(inner, exp.In):
            return ~_in(inner, schema)
        return ~_condition(inner, schema)
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise Untranslated("IS is translated only as IS [NOT] NULL")
        field, _ = _column(node.this, schema)
        return field.is_null()
    if isinstance(node, exp.In):
        return _in(node, schema)
    ops = {exp.EQ: "==", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    op = ops.get(type(node))
    if op is None:
        raise Untranslated(f"{node.key.upper()} is not translated")
    left, right = node.left, node.right
    if not isinstance(left, exp.Column) and isinstance(right, exp.Column):  # a literal first: swap the sides
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
        left, right, op = right, left, flipped.get(op, op)
    field, kind = _column(left, schema)
    value = _literal(right, kind)
    return {"==": field.__eq__, "!=": field.__ne__, ">": field.__gt__, ">=": field.__ge__,
            "<": field.__lt__, "<=": field.__le__}[op](value)


def _in(node, schema):
    if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
        raise Untranslated("IN is translated only with a list of literals")
    field, kind = _column(node.this, schema)
    values = [_literal(v, kind) for v in node.expressions]
    if not values:
        raise Untranslated("IN () is not translated")
    found = field == values[0]
    for value in values[1:]:
        found = found | (field == value)
    return found


def _column(node, schema):
    """(the pyarrow field, its kind) of a column reference, resolved as Spark does (case-insensitively)."""
    import pyarrow.compute as pc
    from sqlglot import exp

    if not isinstance(node, exp.Column) or node.table:
        raise Untranslated(f"{node.sql(dialect='spark')} is not a column of the table")
    names = schema.names
    name = node.name
    matches = [name] if name in names else [n for n in names if n.lower() == name.lower()]
    if len(matches) != 1:
        raise Untranslated(f"{name} is not a column of the table")
    kind = kind_of(schema.field(matches[0]).type)
    if kind not in ("long", "decimal", "string", "date", "boolean"):
        raise Untranslated(f"column {matches[0]} of type {schema.field(matches[0]).type} is not translated")
    return pc.field(matches[0]), kind


def _literal(node, kind: str):
    """The value of a literal, of the column's ``kind`` (see the module rules)."""
    import pyarrow as pa
    from sqlglot import exp

    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if isinstance(node, exp.Boolean) and kind == "boolean" and not negative:
        return bool(node.this)
    if isinstance(node, exp.Literal):
        text = node.this
        if node.is_string and not negative:
            if kind == "string":
                return text
            if kind == "date" and _DATE.match(text):
                try:
                    return dt.date.fromisoformat(text)
                except ValueError:
                    pass
        elif not node.is_string and kind in ("long", "decimal") and re.match(r"^\d+(\.\d*)?$", text):
            if kind == "long" and text.isdigit():
                value = -int(text) if negative else int(text)
                if _BIGINT[0] <= value <= _BIGINT[1]:
                    return value
            if kind == "decimal" and len(text.replace(".", "").lstrip("0")) <= 38:  # else Spark reads a DOUBLE
                try:
                    return pa.scalar(-Decimal(text) if negative else Decimal(text))
                except (InvalidOperation, pa.ArrowInvalid):
                    pass
    raise Untranslated(f"{node.sql(dialect='spark')} is not a literal of the column's type")
