"""The one reader of a Delta table's log: its commits, their lineage, restores and readability.

Writers (:mod:`lakehouse.write.before`, the runner) and audit (:mod:`lakehouse.audit`) read a
table's history through :func:`read` only, once per command (a writer re-reads once per commit
attempt), and ask the :class:`TableLog` it returns.

Rules:

* **Commits.** One per ``_delta_log/NNNNNNNNNNNNNNNNNNNN.json`` file still in the log, oldest first,
  read in one Spark job (the JSON reader, no ``DESCRIBE HISTORY``).  A commit's time is its
  in-commit timestamp when it has one (lakehouse tables do), else the commit file's modification
  time, made strictly increasing as Delta's own history does: the times ``DESCRIBE HISTORY`` shows.
* **In effect.** A commit is undone when a later ``RESTORE`` went back to a version before it;
  every other commit is in effect.  Lineage (:class:`~lakehouse.table.lineage.RunLineage`) is
  parsed once per commit; a restore made by lakehouse also records its reason.
* **Readability** (``read(..., readability=True)``): a version is readable when its snapshot can be
  rebuilt from the log (a checkpoint at or before it, or version 0, and every commit file after
  that) and every data file and deletion vector it needs still exists.  It is computed in one pass:
  the add and remove actions give the versions each file is live in, and one listing of the table
  folder (a second Spark job, run while the log is read) says which files are gone.  Files of the
  newest checkpoint that no later commit removed are taken to exist.

Example::

    log = read(spark, TableRef(path="data/lake/orders"), readability=True)
    log.latest                      # 2
    log.load("orders", "2024-03-02")  # Load(version=1, in_effect=True, lineage=RunLineage(...))
    log.problem(0)                  # None, or why version 0 cannot be read
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable

from lakehouse.table.lineage import RunLineage
from lakehouse.table.readability import Listing, Readability, file_actions, log_readable, missing_spans

if TYPE_CHECKING:  # Spark only when read() runs: lakehouse.table.pylog builds the same TableLog without it
    from pyspark.sql import SparkSession

    from lakehouse.table.ref import TableRef

COMMIT_FILE = re.compile(r"^(\d{20})\.json$")
_DV = "STRUCT<storageType: STRING, pathOrInlineDv: STRING, offset: INT>"
_ACTIONS = (f"commitInfo STRING, add STRUCT<path: STRING, deletionVector: {_DV}>, "
            f"remove STRUCT<path: STRING, deletionVector: {_DV}>")


@dataclass(frozen=True)
class Commit:
    """One commit: ``millis`` is its time (ms since the epoch, see the module rules)."""

    version: int
    millis: int
    operation: str
    parameters: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)
    user_metadata: str | None = None

    @property
    def micros(self) -> int:
        return self.millis * 1000

    @cached_property
    def lineage(self) -> RunLineage | None:
        """The run lineage lakehouse wrote into the commit (None: not a lakehouse commit)."""
        return RunLineage.from_user_metadata(self.user_metadata)

    @property
    def restored_to(self) -> int | None:
        """The version a ``RESTORE`` went back to (None for other commits, or a restore by time)."""
        value = self.parameters.get("version") if self.operation == "RESTORE" else None  # Delta's own map
        return int(value) if value else None

    @cached_property
    def restore_reason(self) -> str | None:
        """The reason a lakehouse restore recorded (None for other commits)."""
        try:
            restore = json.loads(self.user_metadata or "")["restore"]
            return str(restore["reason"])
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Load:
    """The latest commit of a job for one run date, whether a RESTORE undid it since, and its lineage."""

    version: int
    in_effect: bool
    lineage: RunLineage


@dataclass(frozen=True)
class TableLog:
    """A table's commits, oldest first (none: the table does not exist), and what :func:`read` found."""

    table: str
    commits: tuple[Commit, ...] = ()
    readability: Readability | None = None
    """Which versions can be read (None: not asked for)."""

    @property
    def latest(self) -> int | None:
        return self.commits[-1].version if self.commits else None

    @property
    def first(self) -> int | None:
        """The oldest version the log still lists."""
        return self.commits[0].version if self.commits else None

    def newest_first(self) -> Iterable[Commit]:
        return reversed(self.commits)

    def commit(self, version: int) -> Commit | None:
        i = bisect_left(self.commits, version, key=lambda c: c.version)
        return self.commits[i] if i < len(self.commits) and self.commits[i].version == version else None

    @cached_property
    def _undone(self) -> frozenset[int]:
        """Versions a later RESTORE went back before (one pass, newest first)."""
        lowest, undone = None, set()
        for c in self.newest_first():
            if lowest is not None and lowest < c.version:
                undone.add(c.version)
            if c.restored_to is not None:
                lowest = c.restored_to if lowest is None else min(lowest, c.restored_to)
        return frozenset(undone)

    def in_effect(self, version: int) -> bool:
        """No later RESTORE went back to a version before ``version``."""
        return version not in self._undone

    # ------------------------------------------------------------------ lineage questions

    def _runs(self) -> Iterable[tuple[Commit, RunLineage]]:
        """Commits with lakehouse lineage, newest first."""
        return ((c, c.lineage) for c in self.newest_first() if c.lineage is not None)

    def load(self, job: str, run_date: str) -> Load | None:
        """The latest commit of ``job`` for ``run_date`` (in effect or not)."""
        for c, lineage in self._runs():
            if (lineage.job, lineage.run_date) == (job, run_date):
                return Load(version=c.version, in_effect=self.in_effect(c.version), lineage=lineage)
        return None

    def run_date_loads(self, run_date: str) -> list[Commit]:
        """The commits of job runs (not restores) for ``run_date``, newest first."""
        return [c for c, lineage in self._runs() if lineage.run_date == run_date and lineage.mode != "restore"]

    def loaded_run_dates(self) -> list[str]:
        """The run dates of the job runs in effect, oldest first."""
        return sorted({lineage.run_date for c, lineage in self._runs()
                       if lineage.mode != "restore" and self.in_effect(c.version)})

    def last_loaded_date(self, job: str) -> str | None:
        """The latest run date ``job`` loaded that no RESTORE undid (None: none)."""
        return max((lineage.run_date for c, lineage in self._runs()
                    if lineage.job == job and self.in_effect(c.version)), default=None)

    def consumed_through(self, job: str, table_id: str) -> int | None:
        """The newest version of Delta table ``table_id`` that the loads of ``job`` still in effect read
        (a snapshot counts as read through its version); None when there is none."""
        return max((lineage.source_versions.to_version for c, lineage in self._runs()
                    if lineage.job == job and lineage.source_versions is not None
                    and lineage.source_versions.table_id == table_id and self.in_effect(c.version)),
                   default=None)

    def runs_in_effect(self) -> set[str]:
        """Run ids of the lakehouse commits that no later RESTORE undid."""
        return {lineage.run_id for c, lineage in self._runs() if self.in_effect(c.version)}

    def recorded_runs(self) -> set[str]:
        """Run ids of all lakehouse commits the log lists, undone or not."""
        return {lineage.run_id for c, lineage in self._runs()}

    # ---------------------------------------------------------------------- readability

    def readable(self, version: int) -> bool:
        return self.problem(version) is None

    def problem(self, version: int) -> str | None:
        """Why ``version`` cannot be read (None: it can); needs ``read(..., readability=True)``."""
        if self.readability is None:
            raise ValueError("the log was read without readability")
        return self.readability.problem(version)


def read(spark: "SparkSession", table: "TableRef", *, readability: bool = False, exists: bool = False) -> TableLog:
    """Read ``table``'s log once (see the module rules); an absent table gives an empty log
    (``exists``: the caller has checked that the table exists)."""
    from pyspark.sql import functions as F

    from lakehouse.table.ref import path_exists

    if not exists and not table.exists(spark):
        return TableLog(str(table))
    location = table.location_of(spark)
    frame = (spark.read.schema(_ACTIONS).option("pathGlobFilter", "*.json").json(f"{location.rstrip('/')}/_delta_log")
             .select("commitInfo", "add", "remove", F.col("_metadata.file_name").alias("file"),
                     F.unix_millis("_metadata.file_modification_time").alias("modified")))
    if not readability:
        frame = frame.where(F.col("commitInfo").isNotNull())
    if not readability:
        return assemble(str(table), frame.collect())
    with ThreadPoolExecutor(1) as pool:  # the listing's Spark job runs while the log is read
        listing = pool.submit(_listing, spark, location)
        rows = frame.collect()
        files = listing.result()
    return assemble(str(table), rows, files, lambda f: path_exists(spark, f))


def assemble(table: str, rows: list, files: Listing | None = None,
             exists_outside: Callable[[str], bool] | None = None) -> TableLog:
    """The TableLog of the log ``rows`` (mappings with ``file``: the log file's name, ``modified``: its
    modification time in ms, ``commitInfo``: the commitInfo action as JSON text or None, ``add`` and
    ``remove``: the actions with ``path`` and ``deletionVector``, or None), one per action line; with the
    listing ``files`` of the table folder (and ``exists_outside`` for files outside it), readability too.
    :func:`read` (Spark) and :mod:`lakehouse.table.pylog` (plain Python) both build their log here."""
    commits = _commits(rows)
    if files is None:
        return TableLog(table, commits)
    versions = [c.version for c in commits]
    outside = exists_outside or (lambda f: False)
    gone = missing_spans(_actions(rows), lambda f: files.exists(f) if files.covers(f) else outside(f))
    return TableLog(table, commits, Readability(versions, log_readable(versions, files.checkpoints), gone))


def newest(rows: list) -> list[Commit]:
    """Commits from rows of Delta's ``DeltaTable.history(n)`` (for a look at the newest few commits right
    after a write), parsed like :func:`read`'s, oldest first."""
    return sorted((Commit(r["version"], int(r["timestamp"].timestamp() * 1000) if r["timestamp"] else 0,
                          r["operation"], dict(r["operationParameters"] or {}), dict(r["operationMetrics"] or {}),
                          r["userMetadata"]) for r in rows), key=lambda c: c.version)


# ------------------------------------------------------------------------- internals

def _version(file: str) -> int | None:
    match = COMMIT_FILE.match(file)
    return int(match.group(1)) if match else None


def _texts(values: Any) -> dict[str, str]:
    """A commitInfo map as text values (Spark writes strings; other writers may write numbers)."""
    if not isinstance(values, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in values.items() if v is not None}


def _commits(rows: list) -> tuple[Commit, ...]:
    """One commit per commit file, with Delta's monotonic commit times."""
    found: dict[int, Commit] = {}
    for row in rows:
        version = _version(row["file"])
        if version is None or row["commitInfo"] is None:
            continue
        try:
            info = json.loads(row["commitInfo"])
        except ValueError:
            info = {}
        millis = info.get("inCommitTimestamp") or row["modified"]  # Delta's own commitInfo: a plain dict
        found[version] = Commit(version, int(millis), str(info.get("operation") or "UNKNOWN"),
                                _texts(info.get("operationParameters")), _texts(info.get("operationMetrics")),
                                info.get("userMetadata"))
    commits, previous = [], None
    for version in sorted(found):
        c = found[version]
        if previous is not None and c.millis <= previous:  # as Delta's history: strictly increasing
            c = Commit(c.version, previous + 1, c.operation, c.parameters, c.metrics, c.user_metadata)
        commits.append(c)
        previous = c.millis
    return tuple(commits)


def _actions(rows: list) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """The file actions of the commit files among ``rows`` (see :func:`~lakehouse.table.readability.file_actions`)."""
    found = ((_version(row["file"]), kind, row[kind]) for row in rows for kind in ("remove", "add"))
    return file_actions((version, kind, action["path"], action["deletionVector"])
                        for version, kind, action in found if version is not None and action is not None)


def _listing(spark: "SparkSession", location: str) -> Listing:
    """Every file under the table folder, and the log's (Spark skips ``_`` and ``.`` folders)."""
    log = f"{location.rstrip('/')}/_delta_log"
    rows = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load([location, log]).select("path")
    return Listing.of([r["path"] for r in rows.collect()], location)
