"""The SQL of a job, checked without a JVM: what ``lakehouse validate`` adds to loading the spec.

Every :data:`~lakehouse.spec.fields.SqlExpression` of the spec (found by walking the model:
``transform.derive`` values, ``transform.filter`` items, ``target.merge.delete_when``, and any
field given that type) and the SQL file of ``transform.sql`` are parsed with sqlglot's Spark
dialect, and must keep these rules:

* an expression is exactly one expression: no alias, no ``;``, no bare query (a subquery is
  written in parentheses);
* a SQL file holds exactly one query (SELECT, WITH, VALUES, FROM-first, set operations,
  ``TABLE name``): no other statement, and no second one;
* neither calls :data:`lakehouse._sql.FORBIDDEN_FUNCTIONS` nor uses an ``IDENTIFIER(...)`` clause.

A mistake is a :class:`~lakehouse.errors.SpecError` naming the YAML file, the field's line and
path, e.g. ``jobs/orders.yaml:17: transform.filter[0]: syntax error at or near 'AND'``; for a SQL
file, the SQL file and the line in it.  Each run checks the same SQL again with Spark's own
parser (:mod:`lakehouse.run.sql_check`), which decides where the two grammars differ: sqlglot
does not know ``>>>`` (write ``shiftrightunsigned(a, n)``).  No Spark import here.
"""

from __future__ import annotations

import logging
import re
import types
from pathlib import Path
from typing import Annotated, Any, Iterator, Union, get_args, get_origin

import sqlglot
from pydantic import BaseModel
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from lakehouse._sql import IDENTIFIER_CLAUSE, ONLY_QUERIES, function_problem
from lakehouse.errors import SpecError
from lakehouse.spec.fields import SQL_EXPRESSION
from lakehouse.spec.job import JobSpec
from lakehouse.spec.load import field_line, format_loc, read_text

SPARK = sqlglot.Dialect.get_or_raise("spark")
logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns of statements it keeps as mere commands

Loc = tuple[str | int, ...]


def check_job_sql(path: Path, spec: JobSpec, sql_dir: Path) -> None:
    """Check every expression of ``spec`` (read from ``path``) and its SQL file in ``sql_dir``;
    a SpecError for the first mistake (see the module rules)."""
    for loc, text in sql_expressions(spec):
        problem = expression_problem(text)
        if problem:
            raise SpecError(problem, file=str(path), field=format_loc(loc), line=field_line(path, loc))
    sql_path = spec.transform.sql_path(sql_dir)
    if sql_path is not None:
        found = query_problem(read_text(sql_path))
        if found:
            line, problem = found
            raise SpecError(problem, file=str(sql_path), line=line)


def sql_expressions(model: BaseModel) -> list[tuple[Loc, str]]:
    """Every :data:`~lakehouse.spec.fields.SqlExpression` in ``model`` with its field path as written
    in YAML, e.g. ``(("transform", "filter", 0), "amount >= 0")``."""
    return list(_walk(model, type(model), ()))


def _walk(value: Any, annotation: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            typ = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            yield from _walk(getattr(value, name), typ, (*loc, field.alias or name))
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        if isinstance(value, str) and any(mark is SQL_EXPRESSION for mark in args[1:]):
            yield loc, value
        else:
            yield from _walk(value, args[0], loc)
    elif origin in (Union, types.UnionType):
        for member in args:  # the first member that finds expressions in the value
            found = list(_walk(value, member, loc))
            if found:
                yield from found
                return
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, args[0] if args else Any, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, args[1] if len(args) == 2 else Any, (*loc, key))


# ------------------------------------------------------------------------- parsing

def expression_problem(text: str) -> str | None:
    """Why ``text`` is not one Spark SQL expression that keeps the module rules, or None."""
    try:
        tokens = SPARK.tokenize(text)
    except TokenError as exc:
        return _token_problem(exc, text)[1]
    semicolon = next((t for t in tokens if t.token_type == TokenType.SEMICOLON), None)
    if semicolon is not None:
        return "syntax error at ';': an expression is not a statement, it has no ';'"
    if not tokens:
        return "syntax error: the expression is empty"
    problem = _call_problem(tokens)
    if problem:
        return problem[1]
    try:
        SPARK.parser().parse_into(exp.Condition, tokens, text)
    except ParseError as exc:
        return _parse_problem(exc, text, "of the expression")[1]
    return None


def query_problem(text: str) -> tuple[int, str] | None:
    """(line, why) if ``text``, a SQL file, is not one Spark SQL query that keeps the module rules."""
    try:
        tokens = SPARK.tokenize(text)
    except TokenError as exc:
        return _token_problem(exc, text)
    try:
        trees = SPARK.parser().parse(tokens, text)
    except ParseError as exc:
        return _parse_problem(exc, text)
    statements = _statements(tokens)
    if not statements:
        return 1, f"not a single query ({ONLY_QUERIES}): the file holds no SQL"
    if len(statements) > 1:
        return statements[1][0].line, f"not a single query ({ONLY_QUERIES}): a second statement starts here"
    first = statements[0][0]
    tree = next((tree for tree in trees if tree is not None), None)
    if not (isinstance(tree, (exp.Query, exp.Values)) or first.text.upper() == "TABLE"):
        return first.line, f"not a single query ({ONLY_QUERIES}): {first.text.upper()} is not a query"
    return _call_problem(tokens)


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """The tokens split at ``;``, empty statements left out."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def _call_problem(tokens: list[Token]) -> tuple[int, str] | None:
    """(line, why) for the first call of a forbidden function or ``IDENTIFIER(...)`` clause.  Read from
    the tokens, so it holds whatever tree sqlglot makes of the call (``reflect`` and ```reflect```)."""
    for token, after in zip(tokens, tokens[1:]):
        if after.token_type != TokenType.L_PAREN or token.token_type == TokenType.STRING:
            continue
        if token.text.upper() == "IDENTIFIER":
            return token.line, IDENTIFIER_CLAUSE
        problem = function_problem(token.text)
        if problem:
            return token.line, problem
    return None


def _parse_problem(exc: ParseError, text: str, lines: str = "") -> tuple[int, str]:
    """(line, why) of a syntax error; ``lines``: what the line counts in, where it is not the file's."""
    error = exc.errors[0] if exc.errors else {}
    line, near = error.get("line") or 1, (error.get("highlight") or "").strip()
    if not near:
        return line, f"syntax error: {str(exc).splitlines()[0]}"
    where = f"line {line} {lines}, " if lines and "\n" in text.strip() else ""
    return line, f"syntax error at or near {near!r} ({where}column {error['col']})"


def _token_problem(exc: TokenError, text: str) -> tuple[int, str]:
    """(line, why) of a text sqlglot cannot split into tokens: an unclosed quote, mostly."""
    cause = re.match(r"Missing (\S+) from \d+:(\d+)", str(exc.__cause__ or ""))  # from <line>:<offset>
    if cause:
        return text.count("\n", 0, int(cause[2])) + 1, f"syntax error: unclosed {cause[1]}"
    return 1, "syntax error: an unclosed quote or comment"

