"""What a write did: its :class:`Outcome`, read from the commit the run made (found by its run id)."""

from __future__ import annotations

from dataclasses import dataclass

from delta.tables import DeltaTable

from lakehouse.table import metrics
from lakehouse.table import log as table_log
from lakehouse.table.lineage import RunLineage
from lakehouse.table.log import Commit, TableLog
from lakehouse.write.before import TableState
from lakehouse.write.evolve import Change


@dataclass(frozen=True)
class Outcome:
    """What a write did (or, for a plan, would do)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    files_added: int | None = None
    files_removed: int | None = None
    version: int | None = None
    created: bool = False
    skipped_for_version: int | None = None
    """Set when the run date was already loaded: the version that loaded it."""
    tombstones: int = 0
    """Tombstones the run wrote (merge with deletes and ``sequence_by``)."""
    schema_changes: tuple[Change, ...] = ()
    """Columns the run added, widened or ignored (:mod:`lakehouse.write.evolve`)."""


def loaded_concurrently(table: DeltaTable, lineage: RunLineage, before: TableState) -> int | None:
    """The version in which a concurrent run loaded this run date since ``before`` (None: none did)."""
    load = TableLog(before.log.table, tuple(newest(table, 50))).load(lineage.job, lineage.run_date)
    newer = load is not None and (before.version is None or load.version > before.version)
    return load.version if newer else None


def newest(delta: DeltaTable, n: int) -> list[Commit]:
    """The ``n`` newest commits, oldest first (Delta's history of the last few: no full log read)."""
    return table_log.newest(delta.history(n).collect())


def own_commit(delta: DeltaTable, lineage: RunLineage, *, after: int | None, look: int = 20) -> Commit | None:
    """The commit this run made after version ``after`` (None if Delta skipped it), found by run id
    among the newest commits: a concurrent writer may have committed just after it."""
    commits = newest(delta, look)
    for c in reversed(commits):
        if after is not None and c.version <= after:
            return None
        if c.lineage is not None and c.lineage.run_id == lineage.run_id:
            return c
    if len(commits) == look:  # a very busy table: look further back
        return own_commit(delta, lineage, after=after, look=look * 10)
    return None


def from_commit(commit: Commit, *, created: bool, planned: Outcome | None) -> Outcome:
    """The run's outcome from its commit's operation metrics (a WRITE does not report replaced rows)."""
    values = metrics.normalise(commit.operation, commit.metrics)
    if planned is not None and values["deleted"] is None:
        values["deleted"] = planned.deleted
    rows = {k: values[k] or 0 for k in ("inserted", "updated", "deleted")}
    return Outcome(version=commit.version, created=created, files_added=values["files_added"],
                   files_removed=values["files_removed"], tombstones=planned.tombstones if planned else 0, **rows)
