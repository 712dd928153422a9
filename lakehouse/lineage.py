"""Run lineage written into every Delta commit a job makes.

Delta takes a commit's ``userMetadata`` and its idempotency key
(``txnAppId``/``txnVersion``) from session configuration.  :func:`commit_conf`
sets them for exactly one commit and puts the previous values back afterwards,
so they never leak into another write.

:func:`previous_load` and :func:`runs_in_effect` read lineage back from a table's
history (its commits, newest first), taking RESTOREs into account.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

from pyspark.sql import SparkSession

USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"

MAX_FILES_RECORDED = 50
"""At most this many source file names go into one commit; the total count is always kept."""


@dataclass(frozen=True)
class RunLineage:
    """What one job run tells the table's history about itself."""

    job: str
    run_date: str
    run_id: str
    mode: str
    source_files: list[str] = field(default_factory=list)
    source_file_count: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    """The merge keys (merge mode only): what audit diffs match rows by."""

    def to_json(self) -> str:
        data = asdict(self)
        data["source_files"] = self.source_files[:MAX_FILES_RECORDED]
        return json.dumps({"lakehouse": data}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_user_metadata(cls, text: str | None) -> "RunLineage | None":
        """Parse a commit's ``userMetadata``; ``None`` if lakehouse did not write it."""
        if not text:
            return None
        try:
            data = json.loads(text)["lakehouse"]
            return cls(**data)
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def txn_app_id(self) -> str:
        """Delta idempotency key: one per job and run date."""
        return f"lakehouse:{self.job}:{self.run_date}"


@contextmanager
def commit_conf(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """Set session confs for the duration of one commit, then restore what was there."""
    previous = {key: spark.conf.get(key, None) for key in settings}
    try:
        for key, value in settings.items():
            spark.conf.set(key, value)
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def lineage_conf(lineage: RunLineage, *, idempotent: bool) -> dict[str, str]:
    """The session confs that stamp one commit with ``lineage`` (and its idempotency key)."""
    settings = {USER_METADATA: lineage.to_json()}
    if idempotent:
        settings |= {TXN_APP_ID: lineage.txn_app_id, TXN_VERSION: "0"}
    return settings


# ------------------------------------------------------------ lineage in a table's history

@dataclass(frozen=True)
class Load:
    """The latest commit of a job for one run date, and whether a RESTORE undid it since."""

    version: int
    in_effect: bool


def previous_load(history: list, lineage: RunLineage) -> Load | None:
    """Find the latest commit of ``lineage``'s job and run date in ``history`` (newest first)."""
    for i, row in enumerate(history):
        found = RunLineage.from_user_metadata(row["userMetadata"])
        if found and (found.job, found.run_date) == (lineage.job, lineage.run_date):
            return Load(version=row["version"], in_effect=not _undone(history, i))
    return None


def runs_in_effect(history: list) -> set[str]:
    """Run ids of the lakehouse commits in ``history`` that no later RESTORE undid."""
    found = ((i, RunLineage.from_user_metadata(row["userMetadata"])) for i, row in enumerate(history))
    return {lineage.run_id for i, lineage in found if lineage and not _undone(history, i)}


def _undone(history: list, i: int) -> bool:
    """A RESTORE newer than ``history[i]`` went back to a version before it."""
    version = history[i]["version"]
    return any(_restored_to(later) is not None and _restored_to(later) < version for later in history[:i])


def _restored_to(commit) -> int | None:
    """The version a RESTORE commit went back to (None for other commits, or a restore by time)."""
    parameters = commit["operationParameters"] or {}
    if commit["operation"] != "RESTORE" or not parameters.get("version"):  # Delta's own map, not a spec
        return None
    return int(parameters["version"])
