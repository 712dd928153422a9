"""The order of rows and the column expressions the merge rules are built from.

A row's order is ``(sequence_by, tie_breaker)``, compared lexicographically with NULL
as the oldest value (:func:`newer`).  A :data:`Side` names one row of a comparison: the
increment row, its stored row or its tombstone, as plain, prefixed or aliased columns.
No rule lives here; :mod:`.increment` and :mod:`.merge` apply them.
"""

from __future__ import annotations

from functools import reduce
from typing import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.spec.target import MergeOptions

DELETE_FLAG = "_lakehouse_delete"
"""Boolean column the runner adds to a merge increment when `merge.delete_when` is set."""

SAMPLE = 5
"""How many keys an error message names."""


def col(name: str, alias: str | None = None) -> Column:
    return F.col(f"{alias}.{quote_ident(name)}" if alias else quote_ident(name))


Side = Callable[[str], Column]
"""One row of a comparison: column name -> Column (the increment row, its stored row ...)."""

def side(prefix: str = "", alias: str | None = None) -> Side:
    return lambda name: col(prefix + name, alias)


def all_of(conditions: list[Column]) -> Column:
    return reduce(lambda a, b: a & b, conditions, F.lit(True))


def any_of(conditions: list[Column]) -> Column:
    return reduce(lambda a, b: a | b, conditions, F.lit(False))


def newer(a: Side, b: Side, ordering: list[str]) -> Column:
    """Row ``a``'s order is greater than row ``b``'s (lexicographic; NULL is the oldest)."""
    terms = []
    for i, c in enumerate(ordering):
        greater = F.coalesce(a(c) > b(c), F.lit(False)) | (a(c).isNotNull() & b(c).isNull())  # never NULL
        terms.append(all_of([a(p).eqNullSafe(b(p)) for p in ordering[:i]] + [greater]))
    return any_of(terms)


def update_columns(columns: list[str], m: MergeOptions) -> list[str]:
    """The columns an update writes: all but the keys and ``exclude_from_update``."""
    return [c for c in columns if c not in (*m.keys, *m.exclude_from_update) and not c.startswith("_lakehouse")]


def is_delete(row: Side, m: MergeOptions) -> Column:
    return row(DELETE_FLAG) if m.delete_when else F.lit(False)


def sorted_partitions(values) -> list[tuple]:
    return sorted((tuple(v) for v in values), key=lambda t: tuple((x is None, str(x)) for x in t))


def keys_text(rows, m: MergeOptions) -> str:
    return ", ".join("(" + ", ".join(f"{k}={r[k]!r}" for k in m.keys) + ")" for r in rows)


def in_key_ranges(df: DataFrame, ranges: dict[str, tuple]) -> DataFrame:
    """Rows of ``df`` whose keys fall in ``ranges``: Delta skips files by their min/max stats."""
    if any(low is None for low, _ in ranges.values()):
        return df.filter(F.lit(False))
    return df.filter(all_of([col(k).between(F.lit(low), F.lit(high)) for k, (low, high) in ranges.items()]))


def in_partitions(row: Side, columns: list[str], values: list[tuple]) -> Column:
    """``row``'s partition columns hold one of ``values`` (IN for one column); never NULL."""
    if not values:
        return F.lit(False)
    if len(columns) == 1:
        present = [v[0] for v in values if v[0] is not None]
        test = row(columns[0]).isin(present) if present else F.lit(False)
        test = test | row(columns[0]).isNull() if len(present) < len(values) else test
        return F.coalesce(test, F.lit(False))
    return any_of([all_of([row(c).isNull() if v is None else F.coalesce(row(c) == F.lit(v), F.lit(False))
                       for c, v in zip(columns, row_values)]) for row_values in values])
