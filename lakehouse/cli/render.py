"""DataFrames as text for the CLI: aligned columns for people, JSON lines or CSV for machines.

Values are turned into text by Spark (timestamps in the session time zone, nested
values as JSON), so the Python process's local time zone never shows through.
``render`` returns a string; only the CLI prints.
"""

from __future__ import annotations

import csv
import io

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, NumericType, StructType

from lakehouse.cli.text import FORMATS, NULL, table

__all__ = ["FORMATS", "NULL", "render", "table", "text_rows"]


def render(df: DataFrame, fmt: str, *, limit: int | None = None) -> str:
    """``df`` as ``table`` (aligned columns), ``json`` (one object per line) or ``csv``."""
    if fmt == "json":
        rows = df.select(F.to_json(F.struct(*[_col(c) for c in df.columns]), {"ignoreNullFields": "false"}))
        return "\n".join(r[0] for r in _rows(rows, limit))
    columns, rows = text_rows(df, limit)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return out.getvalue().rstrip("\n")
    numeric = [isinstance(f.dataType, NumericType) for f in df.schema.fields]
    return table(columns, rows, numeric)


def text_rows(df: DataFrame, limit: int | None = None) -> tuple[list[str], list[list[str | None]]]:
    """Column names and every value as text (``None`` for NULL), converted by Spark."""
    texts = df.select(*[_text(_col(f.name), f.dataType).alias(f.name) for f in df.schema.fields])
    return list(df.columns), [list(r) for r in _rows(texts, limit)]


def _col(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def _text(col: Column, data_type: DataType) -> Column:
    if isinstance(data_type, (StructType, ArrayType, MapType)):
        return F.to_json(col)
    return col.cast("string")


def _rows(df: DataFrame, limit: int | None) -> list:
    return (df.limit(limit) if limit is not None else df).collect()
