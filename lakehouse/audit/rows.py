"""The rows of ``history`` as plain Python values (no Spark), shared by the Spark and the delta-rs engines.

:func:`history_row` gives one commit's values in :data:`COLUMNS` order; :mod:`lakehouse.audit.history`
makes a DataFrame of them, :mod:`lakehouse.audit.deltars` prints them itself.

Example::

    history_row(log.commit(2), True)[:3]   # (2, 1733580000123000, 'MERGE')
"""

from __future__ import annotations

import dataclasses

from lakehouse.table import metrics
from lakehouse.table.log import Commit

SOURCE_VERSIONS = "struct<table: string, table_id: string, read: string, from_version: long, to_version: long>"
SCHEMA_CHANGES = "array<struct<column: string, change: string, type: string, from: string, to: string>>"
COLUMNS = ("version long, timestamp_micros long, operation string, rows_inserted long, rows_updated long, "
           "rows_deleted long, files_added long, files_removed long, restored_version long, restore_reason string, "
           "job string, run_date string, run_id string, source_files array<string>, "
           f"source_versions {SOURCE_VERSIONS}, rows_filtered_out long, readable boolean, "
           f"schema_changes {SCHEMA_CHANGES}")
"""The columns of :func:`history` (``timestamp`` is made from ``timestamp_micros``)."""


def history_row(c: Commit, readable: bool) -> tuple:
    """One history row of commit ``c`` in :data:`COLUMNS` order."""
    values = metrics.normalise(c.operation, c.metrics)
    counted = any(values[k] is not None for k in ("inserted", "updated", "deleted"))
    rows = [(values[k] or 0) if counted else None for k in ("inserted", "updated", "deleted")]
    lineage = c.lineage
    sources = dataclasses.asdict(lineage.source_versions) if lineage and lineage.source_versions else None
    filtered = lineage.rows["filtered_out"] if lineage and "filtered_out" in lineage.rows else None
    return (c.version, c.micros, c.operation, *rows, values["files_added"], values["files_removed"],
            c.restored_to, c.restore_reason,
            *((lineage.job, lineage.run_date, lineage.run_id, list(lineage.source_files)) if lineage else (None,) * 4),
            sources, filtered, readable, _schema_changes(lineage))


def _schema_changes(lineage) -> list[dict] | None:
    if lineage is None or not lineage.schema_changes:
        return None
    return [{k: change.get(k) for k in ("column", "change", "type", "from", "to")}  # a lineage record, not a spec
            for change in lineage.schema_changes]
