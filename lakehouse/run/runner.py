"""Run one job: check → read → transform → quality → write.

The runner only wires the stages together; each stage lives in its own module
(:mod:`~lakehouse.run.sources`, :mod:`~lakehouse.run.delta_source`, :mod:`~lakehouse.run.transforms`,
:mod:`~lakehouse.run.quality`, :mod:`~lakehouse.run.prepare`, :mod:`lakehouse.write`).  The rules it owns:

* **Loaded dates.** Before reading any data, the run's files (path, size, modification
  time) are listed and the table's history is read once.  A run date already loaded from
  the same files is skipped; from other files (a late or corrected file) the run fails
  with a data error naming them, unless ``force``.  A late file is never silently skipped.
  A Delta source has no files: a loaded date is skipped, a forced one reads the versions it read.
* **Empty input** fails unless ``source.allow_empty`` (raw files; a Delta source may read no rows).
* **Expectations** (``expect``) are checked after the transforms and before the key checks; the rows
  they, ``on_malformed`` or ``null_keys`` quarantine are written to the quarantine table just before
  the target commit (:mod:`~lakehouse.run.quality`).
* **Conflicts.** A commit that loses to a concurrent writer is retried, re-reading the
  table, up to ``profile.commit.retries`` times with exponential backoff; a retry that
  finds the date loaded by the other writer reports it as skipped, and one that finds the source
  changes it read taken by another run of the job fails (exit 4).
* **Errors.** Spark and Delta errors leave as lakehouse errors (:mod:`lakehouse.failures`).

Example, in a ``pyspark`` shell or a notebook::

    from lakehouse.spec.load import load_job, load_profile
    from lakehouse.run.runner import run_job

    summary = run_job(load_job("jobs/orders.yaml"), load_profile("local", "conf"), "2024-03-01",
                      project_dir=".")
    print(summary.render())
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
import uuid
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse import failures
from lakehouse.errors import ConflictError, DataError, SpecError
from lakehouse.table.lineage import RunLineage, SourceFile
from lakehouse.spec.profile import CommitSettings, Profile, join
from lakehouse.run import expectations
from lakehouse.run.quality import Quarantined, require_columns
from lakehouse.session import get_spark
from lakehouse.run.delta_source import range_taken, read_delta
from lakehouse.run.prepare import prepare
from lakehouse.run.sources import list_files, read_source
from lakehouse.spec.job import JobSpec
from lakehouse.spec.source import DeltaSource, Source
from lakehouse.spec.target import MergeTarget, Target
from lakehouse.run.summary import RunSummary
from lakehouse.table.ref import TableRef
from lakehouse.run.transforms import apply_transforms, run_parameters
from lakehouse.write import before as before_write
from lakehouse.write import commit

log = logging.getLogger(__name__)

COMMIT_BARRIER_ENV = "LAKEHOUSE_COMMIT_BARRIER"
"""Testing aid for concurrency tests: a folder; before its first commit attempt the run writes
``<folder>/<run id>.ready`` and waits until ``<folder>/go`` exists (at most 120 s)."""


def run_job(spec: JobSpec, profile: Profile, run_date: str | dt.date, *, project_dir: str | Path = ".",
            spark: SparkSession | None = None, dry_run: bool = False, force: bool = False,
            run_id: str | None = None) -> RunSummary:
    """Run ``spec`` for ``run_date`` with ``profile``; see the module docstring."""
    started = time.monotonic()
    run_date = _as_date(run_date)
    source_ref = source_table(spec.source, profile)
    location = None if source_ref else join(profile.root(spec.source.root, field="source.root"),
                                             spec.source.resolve_path(run_date))
    table = target_table(spec.target, profile)
    spark = spark or get_spark(profile)
    context = {"job": spec.name, "run_date": run_date.isoformat(), "run_id": run_id or uuid.uuid4().hex[:12]}
    try:
        return _run(spec, profile, spark, table, (location, source_ref), context, Path(project_dir), started,
                    dry_run=dry_run, force=force)
    except Exception as exc:
        raise failures.translate(exc, spec) from None


def _run(spec: JobSpec, profile: Profile, spark: SparkSession, table: TableRef,
         reads: tuple[str | None, TableRef | None], context: dict, project_dir: Path, started: float, *,
         dry_run: bool, force: bool) -> RunSummary:
    location, source_ref = reads  # files to list, or the Delta table to read
    files = list_files(spark, location) if location else []
    before = before_write.state(spark, table)
    log.info("listed %d source files; table at version %s", len(files), before.version,
             extra={**context, "stage": "check"})
    summary = dict(job=spec.name, run_date=context["run_date"], run_id=context["run_id"], table=str(table),
                   mode=spec.target.mode, dry_run=dry_run)
    loaded = _loaded_version(before, context, files, force=force)
    if loaded is not None:
        if source_ref is not None:
            summary["source"] = before.log.load(spec.name, context["run_date"]).lineage.source_versions
        return RunSummary(**summary, rows_read=0, malformed_dropped=0, null_keys_dropped=0, duplicates_resolved=0,
                          outcome=commit.Outcome(version=before.version, skipped_for_version=loaded),
                          seconds=time.monotonic() - started)
    if source_ref is None:
        source, versions = read_source(spark, spec.source, files), None
    else:
        source, versions = read_delta(spark, spec.source, source_ref, before.log, spec.name,
                                      context["run_date"], force=force)
        summary["source"] = versions
    cached = [source.cached]
    try:
        if location and source.rows_read == 0 and not spec.source.allow_empty:
            raise DataError(f"source: the {len(files)} file(s) of run date {context['run_date']} hold no rows "
                            f"({files[0].path}{', ...' if len(files) > 1 else ''}); set source.allow_empty: "
                            "true if an empty day is expected")
        params = run_parameters(dt.date.fromisoformat(context["run_date"]))
        transformed = apply_transforms(source.df, spec.transform, project_dir / "sql", params)
        require_columns(transformed.df, spec.target.partition_by, "target.partition_by")
        before_write.check_properties(spark, transformed.df.columns,
                                      commit.table_properties(spec.target, retention_days=1))
        expected = expectations.check(transformed.df, spec.expect, params, _keys(spec.target))
        cached += [expected.cached] if expected.cached is not None else []
        prepared = prepare(expected.kept, spec.target, params)
        cached.append(prepared.cached)
        if source.rejected is None:  # the prepared increment is cached: the raw read is no longer needed
            source.cached.unpersist()
        log.info("read %d rows, %d to write", source.rows_read, prepared.rows, extra={**context, "stage": "read"})
        quarantined = Quarantined.of(table, source, expected, null_keys=(
            prepared.null_keys, prepared.null_key_rows))
        lineage = RunLineage.of_files(
            files, job=spec.name, run_date=context["run_date"], run_id=context["run_id"], mode=spec.target.mode,
            keys=spec.target.row_keys,
            rows={"read": source.rows_read, "malformed_dropped": source.malformed,
                  "filtered_out": transformed.filtered_out, "expect_dropped": expected.dropped,
                  "null_keys_dropped": prepared.null_keys, "duplicates_resolved": prepared.duplicates,
                  "quarantined": quarantined.rows, "increment": prepared.rows},
            source_versions=versions, expectations=expected.counts)
        write = commit.Write(spark=spark, table=table, target=spec.target, df=prepared.df, lineage=lineage,
                             retention_days=spec.target.retention_days or profile.audit.retention_days,
                             partitions=prepared.partitions, key_ranges=prepared.key_ranges)
        if dry_run:
            outcome, attempts = commit.plan(write, before), 1
        else:
            quarantined = quarantined.write(write)
            outcome, attempts = _write(write, before, profile.commit, spec, context, force=force)
    finally:
        for frame in cached:
            frame.unpersist()
    return RunSummary(**summary, rows_read=source.rows_read, malformed_dropped=source.malformed,
                      filtered_out=transformed.filtered_out, null_keys_dropped=prepared.null_keys,
                      duplicates_resolved=prepared.duplicates,
                      outcome=outcome, partitions=write.partitions, seconds=time.monotonic() - started,
                      attempts=attempts, expectations=expected.counts, expect_dropped=expected.dropped,
                      quarantined=quarantined.rows,
                      quarantine_table=None if quarantined.version is None else str(quarantined.table),
                      quarantine_version=quarantined.version)


def _keys(target: Target) -> list[str]:
    return list(target.merge.keys) if isinstance(target, MergeTarget) else []


def _loaded_version(before: before_write.TableState, context: dict, files: list[SourceFile], *,
                    force: bool) -> int | None:
    """The version that loaded this run date from these same files (None: load it now).

    A date loaded from other files fails with a data error naming them, unless ``force``.
    """
    load = before.log.load(context["job"], context["run_date"])
    if load is None or not load.in_effect or force:
        return None
    changed = load.lineage.changed_files(files)
    if changed:
        raise DataError(f"run date {context['run_date']} was loaded in version {load.version}, but its source "
                        f"files changed since ({changed}); run with --force to load it again")
    return load.version


def _write(w: commit.Write, before: before_write.TableState, settings: CommitSettings, spec: JobSpec,
           context: dict, *, force: bool) -> tuple[commit.Outcome, int]:
    """Commit, retrying a lost conflict from a fresh read of the table; returns the outcome and attempts."""
    _wait_at_barrier(context["run_id"])
    for attempt in range(1, settings.retries + 2):
        try:
            return commit.write(w, before, force=force), attempt
        except Exception as exc:
            error = failures.translate(exc, spec)
            if not isinstance(error, ConflictError):
                raise error from None
            if attempt > settings.retries:
                raise ConflictError(f"{error} (gave up after {attempt} attempt{'s' if attempt > 1 else ''})",
                                    condition=error.condition) \
                    from None
            wait = settings.backoff_seconds * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            log.warning("commit conflict (%s); retrying in %.1f s", error.condition, wait,
                        extra={**context, "stage": "commit"})
            time.sleep(wait)
            before = before_write.state(w.spark, w.table)
            load = before.log.load(context["job"], context["run_date"])
            if load is not None and load.in_effect and not force:  # the other writer loaded this date
                return commit.Outcome(version=before.version, skipped_for_version=load.version), attempt + 1
            if not force and range_taken(w.lineage.source_versions, before.log, context["job"]):
                raise ConflictError("another run of the job read the source's changes meanwhile; run again to "
                                    "read the changes after it") from None
    raise AssertionError("not reached")


def _wait_at_barrier(run_id: str) -> None:
    folder = os.environ.get(COMMIT_BARRIER_ENV)
    if not folder:
        return
    Path(folder, f"{run_id}.ready").touch()
    deadline = time.monotonic() + 120
    while not Path(folder, "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def target_table(target: Target | DeltaSource, profile: Profile, field: str = "target") -> TableRef:
    """The table a target names: a metastore name, or a path under a profile root."""
    if target.table:
        location = None
        if profile.tables_root:  # schema.table or catalog.schema.table: <tables_root>/<schema>/<table>
            location = join(profile.tables_root, "/".join(target.table.split(".")[-2:]))
        return TableRef(name=target.table, location=location)
    return TableRef(path=join(profile.root(target.root, field=f"{field}.root"), target.path))


def source_table(source: Source, profile: Profile) -> TableRef | None:
    """The Delta table a job reads (None: raw files), spelt as :func:`target_table` spells the job's table
    that writes it: a job whose source is another job's target runs after that job."""
    return target_table(source, profile, "source") if isinstance(source, DeltaSource) else None


def _as_date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SpecError(f"run date {value!r} is not a date in the form YYYY-MM-DD", field="--date") from None
