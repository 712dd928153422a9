"""The building blocks of every spec model: the strict base :class:`Model`, column names,
and the rules for paths below a root and for table names.  No Spark import here."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import string
from typing import Annotated, Union

from pydantic import AfterValidator, BaseModel, ConfigDict

from lakehouse._sql import IDENTIFIER_RE, TABLE_NAME_RE


def _identifier(name: str) -> str:
    if not IDENTIFIER_RE.match(name):
        raise ValueError(
            f"{name!r} is not a valid column name (letters, digits and _, not starting with a digit)")
    return name


def unique(names: list[str]) -> list[str]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return names


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a path below its root (not empty, not absolute, not a URI, no `..`), or None."""
    if not path:
        return "must not be empty"
    if path.startswith("/") or ".." in path.split("/") or "://" in path:
        return "must be relative to its root, without '..' (roots are set in the profile)"
    return None


def _relative_path(path: str) -> str:
    """A path below its root (see :func:`_path_problem`)."""
    problem = _path_problem(path)
    if problem:
        raise ValueError(f"{path!r} {problem}" if path else problem)
    return path


def folder_below_root(path: str) -> str:
    """A table folder: a relative path that, normalised, still names a folder below the root (not `.`)."""
    if posixpath.normpath(_relative_path(path)) == ".":
        raise ValueError(f"{path!r} must name a folder below its root, not the root itself")
    return path


SAMPLE_RUN_DATE = dt.date(2024, 12, 31)
"""The run date a source path is formatted with when a spec is validated (each run checks its own)."""


def run_date_path(template: str, run_date: dt.date) -> str:
    """``template`` with ``{run_date}`` filled in; a ValueError unless the RESULT is a path below
    its root (so a format such as ``{run_date:..}`` cannot lead outside the root)."""
    path = template.format(run_date=run_date)
    problem = _path_problem(path)
    if problem and path != template:
        raise ValueError(f"{template!r} becomes {path!r} for run date {run_date}, which {problem}")
    return _relative_path(path)


def source_path(template: str) -> str:
    """A source path template whose result, for a sample run date, is a relative path."""
    run_date_path(template, SAMPLE_RUN_DATE)
    return template


def table_name(name: str) -> str:
    if not TABLE_NAME_RE.match(name):
        raise ValueError(f"{name!r} is not a valid table name (table, schema.table or catalog.schema.table)")
    return name


def delta_property(name: str) -> str:
    if not re.match(r"^delta\.[A-Za-z0-9_.-]+$", name):
        raise ValueError(f"{name!r} is not a Delta table property: only `delta.*` properties can be set")
    return name


def run_date_template(path: str) -> str:
    for _, field, _, _ in string.Formatter().parse(path):
        if field not in (None, "run_date"):
            raise ValueError(f"unknown placeholder {{{field}}} in path; only {{run_date}} is supported")
    return path


Identifier = Annotated[str, AfterValidator(_identifier)]
"""A column name: letters, digits and underscores, not starting with a digit."""


class _SqlExpressionMark:
    """The mark of :data:`SqlExpression` in a field's type."""

    def __repr__(self) -> str:
        return "SQL_EXPRESSION"


SQL_EXPRESSION = _SqlExpressionMark()
SqlExpression = Annotated[str, SQL_EXPRESSION]
"""One Spark SQL expression, e.g. ``"op = 'D'"``.  Every field of this type, wherever it sits in
a spec (in a list, a mapping, an optional field), is parsed by ``lakehouse validate`` without a
JVM (:func:`lakehouse.spec.sql.sql_expressions` finds them by walking the model)."""

OptionValue = Union[str, bool, int, float]


class Model(BaseModel):
    """Base of every spec model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
