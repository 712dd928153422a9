"""The quality stage: checks that run before anything is written, and the rows they reject.

Every check raises a :class:`~lakehouse.errors.SpecError` or a
:class:`~lakehouse.errors.DataError` before any commit.  The key checks of a merge (null keys,
duplicates, ties) follow the merge rules and live with them in :mod:`lakehouse.write.merge`;
the ``expect`` rules live in :mod:`lakehouse.run.expectations`.  :class:`Quarantined` gathers
the rows of the quarantine table (malformed records, rule failures, null keys) and writes them
just before the target commit (:mod:`lakehouse.write.quarantine`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pyspark.sql import DataFrame

from lakehouse.errors import SpecError
from lakehouse.run.expectations import Checked
from lakehouse.run.sources import SourceData
from lakehouse.table.ref import TableRef
from lakehouse.write import commit, quarantine


def require_columns(df: DataFrame, columns: list[str], field: str) -> None:
    """SpecError naming ``field`` if any of ``columns`` is not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SpecError(f"column {missing[0]!r} is not in the data (columns: {', '.join(df.columns)})",
                        field=field)


@dataclass(frozen=True)
class Quarantined:
    """The run's rows for the quarantine table, how many, and the version that stored them."""

    table: TableRef
    df: DataFrame | None
    rows: int
    version: int | None = None
    """The quarantine table's version the run wrote (None: not written)."""

    @classmethod
    def of(cls, table: TableRef, source: SourceData, checked: Checked, *,
           null_keys: tuple[int, DataFrame | None]) -> "Quarantined":
        """The rows of the run reading ``source`` and writing ``table``; ``null_keys``: how many
        rows have a null key, and the rows when ``null_keys: quarantine``."""
        null_count, null_rows = null_keys
        rows = checked.quarantined_rows + (source.malformed if source.rejected is not None else 0) \
            + (null_count if null_rows is not None else 0)
        return cls(table=quarantine.quarantine_table(table), rows=rows,
                   df=quarantine.rows(checked.kept.schema, failed=checked.quarantined, null_keys=null_rows,
                                      malformed=source.rejected))

    def write(self, w: commit.Write) -> "Quarantined":
        """Write the rows of the run date (before ``w``, the target commit, is committed)."""
        version = quarantine.write(w.spark, self.table, self.df, self.rows, w.lineage,
                                   commit.table_properties(w.target, w.retention_days))
        return dataclasses.replace(self, version=version)
