"""Aligned text columns (no Spark): what :mod:`lakehouse.cli.render` and the delta-rs audit path print.

Example::

    >>> print(table(["id", "name"], [["1", None]], [True, False]))
    id  name
    --  ----
     1  NULL
"""

from __future__ import annotations

FORMATS = ("table", "json", "csv")
NULL = "NULL"


def table(columns: list[str], rows: list[list[str | None]], numeric: list[bool] | None = None) -> str:
    """Aligned columns under a header and a rule; numbers right-aligned."""
    numeric = numeric or [False] * len(columns)
    cells = [[NULL if v is None else v for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])
