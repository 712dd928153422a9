"""Delta operation metrics under one set of names, for run summaries and ``history``.

Each operation reports under its own metric names (``MERGE``: ``numTargetRowsInserted``;
``WRITE``: ``numOutputRows``; ``RESTORE``: ``numRestoredFiles`` ...).  These tables
map them to ``inserted``, ``updated``, ``deleted``, ``files_added`` and ``files_removed``;
the first name an operation reports wins.  No Spark import.
"""

from __future__ import annotations

from typing import Mapping

WRITE_OPERATIONS = ("WRITE", "CREATE TABLE AS SELECT", "REPLACE TABLE AS SELECT",
                    "CREATE OR REPLACE TABLE AS SELECT", "STREAMING UPDATE")
"""Operations whose ``numOutputRows`` are inserted rows."""

ROW_METRICS = {
    "inserted": ("numTargetRowsInserted",),
    "updated": ("numTargetRowsUpdated", "numUpdatedRows"),
    "deleted": ("numTargetRowsDeleted", "numDeletedRows"),
}
FILE_METRICS = {
    "files_added": ("numTargetFilesAdded", "numFiles", "numAddedFiles", "numRestoredFiles"),
    "files_removed": ("numTargetFilesRemoved", "numRemovedFiles"),
}


def normalise(operation: str, metrics: Mapping[str, str]) -> dict[str, int | None]:
    """One commit's ``operationMetrics`` under the names above (None: not reported)."""
    def first(names: tuple[str, ...]) -> int | None:
        return next((int(metrics[n]) for n in names if n in metrics), None)

    values = {name: first(names) for name, names in {**ROW_METRICS, **FILE_METRICS}.items()}
    if values["inserted"] is None and operation in WRITE_OPERATIONS:
        values["inserted"] = first(("numOutputRows",))
    return values
