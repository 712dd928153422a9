"""The quality stage: checks that run before anything is written.

Every check either returns a DataFrame fit for the writer or raises a
:class:`~lakehouse.errors.DataError` (or SpecError) before any commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError, SpecError
from lakehouse.spec import MergeOptions

SAMPLE_KEYS = 5
"""How many offending keys an error message names."""


@dataclass(frozen=True)
class KeyedIncrement:
    """An increment with at most one row per key and no null keys."""

    df: DataFrame
    null_keys_dropped: int
    duplicates_resolved: int


def require_columns(df: DataFrame, columns: list[str], field: str) -> None:
    """SpecError naming ``field`` if any of ``columns`` is not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SpecError(f"column {missing[0]!r} is not in the data (columns: {', '.join(df.columns)})",
                        field=field)


def one_row_per_key(df: DataFrame, merge: MergeOptions) -> KeyedIncrement:
    """Reject or drop null keys, then resolve (with ``sequence_by``) or reject duplicate keys."""
    require_columns(df, merge.keys, "target.merge.keys")
    if merge.sequence_by:
        require_columns(df, [merge.sequence_by], "target.merge.sequence_by")
    require_columns(df, merge.exclude_from_update, "target.merge.exclude_from_update")

    key_cols = [F.col(quote_ident(k)) for k in merge.keys]
    null_key = reduce(lambda a, b: a | b, [c.isNull() for c in key_cols])
    null_rows = df.filter(null_key).count()
    if null_rows and merge.null_keys == "fail":
        raise DataError(f"{null_rows} row{'s' if null_rows > 1 else ''} with a null key "
                        f"({', '.join(merge.keys)}); nothing was written (set target.merge.null_keys: "
                        "drop to drop and count them)")
    df = df.filter(~null_key) if null_rows else df

    before = df.count() if merge.sequence_by else 0
    if merge.sequence_by:
        df = _latest_per_key(df, merge.keys, merge.sequence_by)
    _reject_duplicates(df, merge)
    resolved = before - df.count() if merge.sequence_by else 0
    return KeyedIncrement(df=df, null_keys_dropped=null_rows, duplicates_resolved=resolved)


def _latest_per_key(df: DataFrame, keys: list[str], sequence_by: str) -> DataFrame:
    """Keep the row with the greatest ``sequence_by`` per key; exact duplicate rows collapse."""
    order = F.col(quote_ident(sequence_by)).desc_nulls_last()
    window = Window.partitionBy(*[quote_ident(k) for k in keys]).orderBy(order)
    ranked = df.dropDuplicates().withColumn("_lakehouse_rank", F.rank().over(window))
    return ranked.filter("_lakehouse_rank = 1").drop("_lakehouse_rank")


def _reject_duplicates(df: DataFrame, merge: MergeOptions) -> None:
    dupes = (df.groupBy(*[quote_ident(k) for k in merge.keys]).count()
             .filter("count > 1").drop("count").limit(SAMPLE_KEYS).collect())
    if not dupes:
        return
    sample = ", ".join("(" + ", ".join(f"{k}={row[k]!r}" for k in merge.keys) + ")" for row in dupes)
    hint = ("rows share the same sequence_by value" if merge.sequence_by
            else "set target.merge.sequence_by to keep the latest row per key")
    raise DataError(f"duplicate keys in the increment, e.g. {sample}; {hint}; nothing was written")
