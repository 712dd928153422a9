"""The quality stage: checks that run before anything is written.

Every check raises a :class:`~lakehouse.errors.SpecError` before any commit.  The key
checks of a merge (null keys, duplicates, ties) follow the merge rules and live with
them in :mod:`lakehouse.write.merge`.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse.errors import SpecError


def require_columns(df: DataFrame, columns: list[str], field: str) -> None:
    """SpecError naming ``field`` if any of ``columns`` is not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SpecError(f"column {missing[0]!r} is not in the data (columns: {', '.join(df.columns)})",
                        field=field)
