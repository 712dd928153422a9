"""Run one job: read → transform → quality → write.

The runner only wires the stages together; each stage lives in its own module
(:mod:`~lakehouse.sources`, :mod:`~lakehouse.transforms`,
:mod:`~lakehouse.quality`, :mod:`lakehouse.write`).  The prepared increment is cached
once and counted in one aggregate.

Example, in a ``pyspark`` shell or a notebook::

    from lakehouse.loader import load_job, load_profile
    from lakehouse.runner import run_job

    summary = run_job(load_job("jobs/orders.yaml"), load_profile("local", "conf"), "2024-03-01",
                      project_dir=".")
    print(summary.render())
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse._sql import quote_ident
from lakehouse.errors import SpecError
from lakehouse.lineage import RunLineage
from lakehouse.profile import Profile, join
from lakehouse.quality import require_columns
from lakehouse.session import get_spark
from lakehouse.sources import read_source
from lakehouse.spec import JobSpec, MergeTarget, Target
from lakehouse.table import TableRef
from lakehouse.transforms import apply_transforms, checked
from lakehouse.write import commit
from lakehouse.write import increment
from lakehouse.write.order import DELETE_FLAG, sorted_partitions


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
    outcome: commit.Outcome
    partitions: list[tuple] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_rejected(self) -> int:
        return self.malformed_dropped + self.null_keys_dropped

    @property
    def skipped(self) -> bool:
        return self.outcome.skipped_for_version is not None

    def render(self) -> str:
        """The run summary as printed by ``lakehouse run``."""
        o = self.outcome
        head = f"{'DRY RUN ' if self.dry_run else ''}job {self.job} · run date {self.run_date} · run {self.run_id}"
        lines = [head, f"  table       {self.table} ({self.mode})",
                 f"  read        {self.rows_read} rows"
                 + (f", {self.duplicates_resolved} superseded duplicates resolved" if self.duplicates_resolved else ""),
                 f"  rejected    {self.rows_rejected} rows"
                 + (f" ({self.malformed_dropped} malformed, {self.null_keys_dropped} null keys)"
                    if self.rows_rejected else "")]
        if self.skipped:
            lines.append(f"  skipped     run date already loaded in version {o.skipped_for_version}; "
                         "nothing written (use --force to load again)")
        else:
            verb = "would write" if self.dry_run else "wrote"
            lines.append(f"  {verb:<11} {o.inserted} inserted, {o.updated} updated, {o.deleted} deleted"
                         + (f", {o.tombstones} tombstones" if o.tombstones else "")
                         + (" (creates the table)" if o.created else ""))
        lines.append(f"  partitions  {_partitions_text(self.partitions)}")
        if o.version is not None and not self.dry_run:
            files = (" (unchanged)" if self.skipped else
                     f" ({o.files_added} files added, {o.files_removed or 0} removed)" if o.files_added is not None
                     else "")
            lines.append(f"  version     {o.version}{files}")
        lines.append(f"  duration    {self.seconds:.1f} s")
        return "\n".join(lines)


def run_job(spec: JobSpec, profile: Profile, run_date: str | dt.date, *, project_dir: str | Path = ".",
            spark: SparkSession | None = None, dry_run: bool = False, force: bool = False,
            run_id: str | None = None) -> RunSummary:
    """Run ``spec`` for ``run_date`` with ``profile``; see the module docstring."""
    started = time.monotonic()
    run_date = _as_date(run_date)
    location = join(profile.root(spec.source.root, field="source.root"), spec.source.resolve_path(run_date))
    table = target_table(spec.target, profile)
    spark = spark or get_spark(profile)

    source = read_source(spark, spec.source, location)
    cached = [source.cached]
    try:
        df = apply_transforms(source.df, spec.transform, Path(project_dir) / "sql")
        require_columns(df, spec.target.partition_by, "target.partition_by")
        prepared = _prepare(df, spec.target)
        cached.append(prepared.cached)
        source.cached.unpersist()  # the prepared increment is cached: the raw read is no longer needed
        lineage = RunLineage(
            job=spec.name, run_date=run_date.isoformat(), run_id=run_id or uuid.uuid4().hex[:12],
            mode=spec.target.mode, keys=list(spec.target.merge.keys) if isinstance(spec.target, MergeTarget) else [],
            source_files=source.files, source_file_count=len(source.files),
            rows={"read": source.rows_read, "malformed_dropped": source.malformed,
                  "null_keys_dropped": prepared.null_keys, "duplicates_resolved": prepared.duplicates,
                  "increment": prepared.rows})
        write = commit.Write(spark=spark, table=table, target=spec.target, df=prepared.df, lineage=lineage,
                             retention_days=spec.target.retention_days or profile.audit.retention_days,
                             partitions=prepared.partitions, key_ranges=prepared.key_ranges)
        outcome = commit.plan(write, force=force) if dry_run else commit.write(write, force=force)
    finally:
        for frame in cached:
            frame.unpersist()
    null_dropped, resolved = prepared.null_keys, prepared.duplicates
    return RunSummary(job=spec.name, run_date=lineage.run_date, run_id=lineage.run_id, table=str(table),
                      mode=spec.target.mode, dry_run=dry_run, rows_read=source.rows_read,
                      malformed_dropped=source.malformed, null_keys_dropped=null_dropped,
                      duplicates_resolved=resolved, outcome=outcome, partitions=write.partitions,
                      seconds=time.monotonic() - started)


def target_table(target: Target, profile: Profile) -> TableRef:
    """The table a target names: a metastore name, or a path under a profile root."""
    if target.table:
        location = None
        if profile.tables_root:  # schema.table or catalog.schema.table: <tables_root>/<schema>/<table>
            location = join(profile.tables_root, "/".join(target.table.split(".")[-2:]))
        return TableRef(name=target.table, location=location)
    return TableRef(path=join(profile.root(target.root, field="target.root"), target.path))


@dataclass(frozen=True)
class _Prepared:
    """The increment ready for the writer, its cached frame and what one aggregate counted."""

    df: DataFrame
    cached: DataFrame
    rows: int
    partitions: list[tuple]
    null_keys: int = 0
    duplicates: int = 0
    key_ranges: dict[str, tuple] = field(default_factory=dict)


def _prepare(df: DataFrame, target: Target) -> _Prepared:
    """Cache the increment once and count it in one aggregate (merge: one row per key, see
    :mod:`lakehouse.write.increment`)."""
    if not isinstance(target, MergeTarget):
        cached = df.cache()
        row = cached.agg(F.count(F.lit(1)).alias("rows"),
                         F.collect_set(F.struct(*[F.col(quote_ident(c)) for c in target.partition_by]))
                         .alias("partitions")).first()
        partitions = sorted_partitions(row["partitions"]) if target.partition_by else []
        return _Prepared(df=cached, cached=cached, rows=row["rows"], partitions=partitions)
    m = target.merge
    for name, columns in (("keys", m.keys), ("sequence_by", [m.sequence_by]), ("tie_breaker", [m.tie_breaker]),
                          ("exclude_from_update", m.exclude_from_update)):
        require_columns(df, [c for c in columns if c], f"target.merge.{name}")
    annotated = increment.annotate(_with_delete_flag(df, m.delete_when), m).cache()
    stats = increment.increment_stats(annotated, m, target.partition_by)
    return _Prepared(df=increment.kept(annotated), cached=annotated, rows=stats.rows, partitions=stats.partitions,
                     null_keys=stats.null_keys, duplicates=stats.duplicates_resolved, key_ranges=stats.key_ranges)


def _with_delete_flag(df: DataFrame, delete_when: str | None) -> DataFrame:
    if not delete_when:
        return df

    def flag(d: DataFrame) -> DataFrame:  # a NULL condition does not delete
        return d.withColumn(DELETE_FLAG, F.coalesce(F.expr(delete_when).cast("boolean"), F.lit(False)))

    return checked("target.merge.delete_when", df, flag)


def _as_date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SpecError(f"run date {value!r} is not a date in the form YYYY-MM-DD", field="--date") from None


def _partitions_text(values: list[tuple]) -> str:
    if not values:
        return "none"
    shown = ", ".join("/".join(str(v) for v in row) for row in values[:5])
    return f"{len(values)} touched: {shown}" + (", …" if len(values) > 5 else "")
