"""Run lineage written into every Delta commit a job makes.

Delta takes a commit's ``userMetadata`` and its idempotency key
(``txnAppId``/``txnVersion``) from session configuration.  :func:`commit_conf`
sets them for exactly one commit and puts the previous values back afterwards,
so they never leak into another write.

:mod:`lakehouse.table.log` reads lineage back from a table's log, taking RESTOREs into account.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"

MAX_FILES_RECORDED = 50
"""At most this many source file names (with size and modification time) go into one commit; the total
count and a digest of all of them are always kept."""


@dataclass(frozen=True)
class SourceFile:
    """One raw file a run reads: its full path, size in bytes and modification time (ms since the epoch)."""

    path: str
    size: int
    modified: int


def source_digest(files: list[SourceFile]) -> str:
    """A digest of every file's path, size and modification time: equal digests, same delivery."""
    text = "\n".join(f"{f.path}\t{f.size}\t{f.modified}" for f in sorted(files, key=lambda f: f.path))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SourceVersions:
    """The versions of a Delta source one run read.

    ``read`` is ``snapshot`` (``to_version`` is the version read, ``from_version`` None) or ``changes``
    (the change data of versions ``from_version`` to ``to_version``; empty when ``to_version`` is
    ``from_version - 1``).  ``table_id`` is the source table's Delta id, so a table re-created at the
    same place is not mistaken for the one read before.
    """

    table: str
    table_id: str
    read: str
    to_version: int
    from_version: int | None = None

    @property
    def empty(self) -> bool:
        return self.from_version is not None and self.to_version < self.from_version

    def describe(self) -> str:
        """One line for people: ``changes of versions 3 to 5 of lake/orders``."""
        if self.read == "snapshot":
            return f"snapshot of {self.table} at version {self.to_version}"
        if self.empty:
            return f"changes of {self.table}: none after version {self.to_version} (no new versions)"
        return f"changes of versions {self.from_version} to {self.to_version} of {self.table}"


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
    source_stamps: dict[str, list[int]] = field(default_factory=dict)
    """Size and modification time of each recorded source file, by path."""
    source_digest: str | None = None
    """:func:`source_digest` of all source files (None in lineage written before it existed)."""
    source_versions: SourceVersions | None = None
    """The Delta source versions read (None for raw files)."""
    expectations: dict[str, dict] = field(default_factory=dict)
    """Per ``expect`` rule: ``{"action": ..., "failed": n}`` (empty, and left out of the JSON, without rules)."""
    schema_changes: list[dict[str, str]] = field(default_factory=list)
    """The run's schema changes (``target.on_schema_change``): ``{"column", "change": "added"|"ignored",
    "type"}`` or ``{"column", "change": "widened", "from", "to"}``; empty in lineage written before it existed."""

    @classmethod
    def of_files(cls, files: list[SourceFile], **fields) -> "RunLineage":
        """The lineage of a run that reads ``files``."""
        recorded = sorted(files, key=lambda f: f.path)[:MAX_FILES_RECORDED]
        return cls(source_files=[f.path for f in recorded], source_file_count=len(files),
                   source_stamps={f.path: [f.size, f.modified] for f in recorded},
                   source_digest=source_digest(files), **fields)

    def to_json(self) -> str:
        data = asdict(self)
        data["source_files"] = self.source_files[:MAX_FILES_RECORDED]
        if self.source_versions is None:  # raw files: the lineage as it always was
            del data["source_versions"]
        if not self.expectations:
            del data["expectations"]
        if not self.schema_changes:  # no schema change: the lineage as it always was
            del data["schema_changes"]
        return json.dumps({"lakehouse": data}, sort_keys=True, separators=(",", ":"))

    def changed_files(self, files: list[SourceFile]) -> str | None:
        """How ``files`` differ from the files this run recorded (None: the same delivery, or unknown)."""
        if self.source_digest is None or self.source_digest == source_digest(files):
            return None
        now = {f.path: [f.size, f.modified] for f in files}
        if self.source_file_count > len(self.source_stamps):  # too many files to have recorded each one
            return f"{len(files)} files now, {self.source_file_count} when it was loaded, and they differ"
        parts = [(label, sorted(names)) for label, names in (
            ("new", now.keys() - self.source_stamps.keys()),
            ("changed", {p for p in now.keys() & self.source_stamps.keys() if now[p] != self.source_stamps[p]}),
            ("gone", self.source_stamps.keys() - now.keys()))]
        return "; ".join(f"{label}: {', '.join(names)}" for label, names in parts if names)

    @classmethod
    def from_user_metadata(cls, text: str | None) -> "RunLineage | None":
        """Parse a commit's ``userMetadata``; ``None`` if lakehouse did not write it."""
        if not text:
            return None
        try:
            data = json.loads(text)["lakehouse"]
            if data.get("source_versions"):  # optional: absent in lineage of raw-file runs and older commits
                data["source_versions"] = SourceVersions(**data["source_versions"])
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
