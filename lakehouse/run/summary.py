"""What a run reports: :class:`RunSummary` (text and JSON) and :class:`RunFailure` (JSON).

The JSON objects are what ``lakehouse run --output json`` prints; their keys are
documented in the README ("Machine-readable runs").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lakehouse.errors import LakehouseError
from lakehouse.table.lineage import SourceVersions
from lakehouse.write.commit import Outcome


@dataclass(frozen=True)
class RunSummary:
    """What one run read, rejected and wrote."""

    job: str
    run_date: str
    run_id: str
    table: str
    mode: str
    dry_run: bool
    rows_read: int
    malformed_dropped: int
    null_keys_dropped: int
    duplicates_resolved: int
    outcome: Outcome
    partitions: list[tuple] = field(default_factory=list)
    filtered_out: int = 0
    """Rows ``transform.filter`` removed."""
    seconds: float = 0.0
    attempts: int = 1
    source: SourceVersions | None = None
    """The Delta source versions read (or, when skipped, read by the load that is kept); None for raw files."""
    expectations: dict[str, dict] = field(default_factory=dict)
    """Per ``expect`` rule: ``{"action": ..., "failed": n}``."""
    expect_dropped: int = 0
    """Rows ``drop`` rules removed (not quarantined)."""
    quarantined: int = 0
    """Rows for the quarantine table (expectations, malformed records, null keys)."""
    quarantine_table: str | None = None
    """The quarantine table, when the run wrote it ..."""
    quarantine_version: int | None = None
    """... and the version it wrote."""

    @property
    def rows_rejected(self) -> int:
        return self.malformed_dropped + self.null_keys_dropped

    @property
    def skipped(self) -> bool:
        return self.outcome.skipped_for_version is not None

    def to_dict(self) -> dict:
        """The run as ``lakehouse run --output json`` prints it (schema in the README)."""
        o = self.outcome
        return {"job": self.job, "run_date": self.run_date, "run_id": self.run_id, "table": self.table,
                "mode": self.mode,
                "outcome": "skipped" if self.skipped else "dry_run" if self.dry_run else "loaded",
                "counts": {"read": self.rows_read, "malformed_dropped": self.malformed_dropped,
                           "filtered_out": self.filtered_out, "null_keys_dropped": self.null_keys_dropped,
                           "duplicates_resolved": self.duplicates_resolved, "inserted": o.inserted,
                           "updated": o.updated, "deleted": o.deleted, "tombstones": o.tombstones,
                           "expect_dropped": self.expect_dropped, "quarantined": self.quarantined},
                "expectations": self.expectations,
                "quarantine": {"table": self.quarantine_table, "version": self.quarantine_version}
                if self.quarantine_table else None,
                "version": o.version, "skipped_for_version": o.skipped_for_version,
                "files": {"added": o.files_added, "removed": o.files_removed},
                "partitions": len(self.partitions), "attempts": self.attempts,
                "seconds": round(self.seconds, 3), "error": None,
                "source": asdict(self.source) if self.source else None,
                "schema_changes": [c.to_dict() for c in o.schema_changes]}

    def render(self) -> str:
        """The run summary as printed by ``lakehouse run``."""
        o = self.outcome
        head = f"{'DRY RUN ' if self.dry_run else ''}job {self.job} · run date {self.run_date} · run {self.run_id}"
        lines = [head, f"  table       {self.table} ({self.mode})"]
        if self.skipped and self.source:
            lines += [f"  skipped     run date already loaded in version {o.skipped_for_version} "
                      f"({self.source.describe()}); "
                      "nothing read or written (use --force to read the same versions again)",
                      f"  version     {o.version} (unchanged)", f"  duration    {self.seconds:.1f} s"]
            return "\n".join(lines)
        if self.skipped:
            lines += [f"  skipped     run date already loaded in version {o.skipped_for_version} from the same "
                      "files; nothing read or written (use --force to load again)",
                      f"  version     {o.version} (unchanged)", f"  duration    {self.seconds:.1f} s"]
            return "\n".join(lines)
        if self.source:
            lines.append(f"  source      {self.source.describe()}")
        lines += [f"  read        {self.rows_read} rows"
                  + (f", {self.duplicates_resolved} superseded duplicates resolved" if self.duplicates_resolved
                     else ""),
                  f"  rejected    {self.rows_rejected} rows"
                  + (f" ({self.malformed_dropped} malformed, {self.null_keys_dropped} null keys)"
                     if self.rows_rejected else "")]
        if self.filtered_out:
            lines.append(f"  filtered    {self.filtered_out} rows removed by transform.filter")
        lines += _expectation_lines(self)
        verb = "would write" if self.dry_run else "wrote"
        lines.append(f"  {verb:<11} {o.inserted} inserted, {o.updated} updated, {o.deleted} deleted"
                     + (f", {o.tombstones} tombstones" if o.tombstones else "")
                     + (" (creates the table)" if o.created else ""))
        lines.append(f"  partitions  {_partitions_text(self.partitions)}")
        if o.schema_changes:
            lines.append(f"  schema      {_schema_text(o.schema_changes, self.dry_run)}")
        if o.version is not None and not self.dry_run:
            files = f" ({o.files_added} files added, {o.files_removed or 0} removed)" if o.files_added is not None \
                else ""
            lines.append(f"  version     {o.version}{files}")
        if self.attempts > 1:
            lines.append(f"  attempts    {self.attempts} (a concurrent commit conflicted; retried)")
        lines.append(f"  duration    {self.seconds:.1f} s")
        return "\n".join(lines)


@dataclass(frozen=True)
class RunFailure:
    """A run that failed, as ``lakehouse run --output json`` prints it."""

    job: str
    run_date: str
    run_id: str
    error: BaseException

    def to_dict(self) -> dict:
        lakehouse_error = isinstance(self.error, LakehouseError)
        return {"job": self.job, "run_date": self.run_date, "run_id": self.run_id, "outcome": "failed",
                "error": {"class": type(self.error).__name__,
                          "condition": self.error.condition if lakehouse_error else None,
                          "exit_code": int(self.error.exit_code) if lakehouse_error else 1,
                          "message": str(self.error).strip().splitlines()[0] if str(self.error) else ""}}


def _expectation_lines(s: RunSummary) -> list[str]:
    """``expect`` (failures per rule) and ``quarantine`` lines; none without rules or rejected rows."""
    lines = [f"  {'expect' if i == 0 else '':<11} {rule}: {c['failed']} failed ({c['action']})"
             for i, (rule, c) in enumerate(s.expectations.items())]
    if s.quarantined or s.quarantine_table:
        where = f" to {s.quarantine_table}, version {s.quarantine_version}" if s.quarantine_table else ""
        lines.append(f"  quarantine  {'would write' if s.dry_run else 'wrote'} {s.quarantined} rows{where}")
    return lines


def _schema_text(changes: tuple, dry_run: bool) -> str:
    """``added columns: channel STRING; widened: n INT to BIGINT; ignored new columns: x, y``."""
    labels = {"added": "would add columns" if dry_run else "added columns",
              "widened": "would widen" if dry_run else "widened", "ignored": "ignored new columns"}
    parts = [f"{label}: {', '.join(c.describe() for c in changes if c.change == kind)}"
             for kind, label in labels.items() if any(c.change == kind for c in changes)]
    return "; ".join(parts)


def _partitions_text(values: list[tuple]) -> str:
    if not values:
        return "none"
    shown = ", ".join("/".join(str(v) for v in row) for row in values[:5])
    return f"{len(values)} touched: {shown}" + (", …" if len(values) > 5 else "")


RESULT_COLUMNS = ("job", "date", "outcome", "rows", "version", "seconds")


def results_table(results: list) -> str:
    """The tasks of a multi-job run (:class:`lakehouse.run.pipeline.Result`) as one aligned table.

    ``rows`` are the rows read; a task that did not run says why."""
    rows = [RESULT_COLUMNS]
    for r in results:
        s = r.summary
        version = "" if s is None or s.outcome.version is None else str(s.outcome.version)
        outcome = f"{r.outcome} ({r.reason})" if r.reason else r.outcome
        rows.append((r.job, r.run_date, outcome, "" if s is None else str(s.rows_read), version,
                     f"{r.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(RESULT_COLUMNS))]
    right = {"rows", "version", "seconds"}
    return "\n".join("  ".join(cell.rjust(w) if RESULT_COLUMNS[i] in right else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows)
