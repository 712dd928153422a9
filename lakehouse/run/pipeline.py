"""Many jobs and many run dates in one Spark application.

:func:`plan` orders a set of jobs and their run dates into tasks; :func:`run_tasks`
runs them on one SparkContext.  The rules:

* **Dependency order.** A job whose source is another job's target table runs after
  that job, for the same run date.  Dates run in order: the load of one date of a job
  runs after its earlier date.  A cycle of jobs is refused before anything runs.
* **Parallel, isolated.** Up to ``parallel`` independent tasks run at once, in threads.
  Each task runs on its own session (:func:`lakehouse.session.isolated`), so the
  lineage and idempotency key of one job's commit never reach another's.
* **Failures stop what depends on them.** A failed task marks every task after it
  (the later dates of the job, the jobs that read its table) as not run, naming the
  failure; independent jobs go on.
* **Catch-up.** :func:`catch_up_dates` lists the dates after the last one a job loaded
  (from its table's lineage) up to a given date.

Example, in a ``pyspark`` shell::

    tasks = plan(jobs, {job.spec.name: [dt.date(2024, 3, 1)] for job in jobs}, profile)
    results = run_tasks(tasks, profile, spark)
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pyspark.sql import SparkSession

from lakehouse.errors import ExitCode, LakehouseError, SpecError
from lakehouse.run.runner import run_job, source_table, target_table
from lakehouse.run.summary import RunSummary
from lakehouse.session import isolated
from lakehouse.spec.job import JobSpec
from lakehouse.spec.profile import Profile
from lakehouse.table.ref import TableRef
from lakehouse.write import before as before_write


FAILED, NOT_RUN = "failed", "not run"


@dataclass(frozen=True)
class Job:
    """A job spec, the file it came from and its project folder."""

    file: str
    spec: JobSpec
    project: Path

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Task:
    """One job for one run date, and the tasks (job name, date) that must succeed first."""

    job: Job
    run_date: dt.date
    after: tuple[tuple[str, dt.date], ...] = ()

    @property
    def key(self) -> tuple[str, dt.date]:
        return self.job.name, self.run_date


@dataclass(frozen=True)
class Result:
    """How one task ended: ``loaded``, ``skipped``, ``dry_run``, ``failed`` or ``not run``."""

    job: str
    file: str
    run_date: str
    outcome: str
    summary: RunSummary | None = None
    error: BaseException | None = None
    reason: str = ""
    seconds: float = 0.0


def plan(jobs: list[Job], dates: dict[str, list[dt.date]], profile: Profile) -> list[Task]:
    """The tasks of ``jobs`` for their ``dates`` (by job name), in the order a single thread runs them:
    date by date, and within a date upstream jobs first."""
    names = [job.name for job in jobs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SpecError(f"job name {repeated[0]!r} is used by more than one job file", field="name")
    upstream = _upstream(jobs, profile)
    rank = {name: i for i, name in enumerate(_topological(names, upstream))}
    by_name = {job.name: job for job in jobs}
    tasks = []
    for name, days in dates.items():
        for i, day in enumerate(sorted(days)):
            after = [(name, sorted(days)[i - 1])] if i else []
            after += [(up, day) for up in sorted(upstream[name]) if day in dates.get(up, [])]
            tasks.append(Task(job=by_name[name], run_date=day, after=tuple(after)))
    return sorted(tasks, key=lambda t: (t.run_date, rank[t.job.name]))


def catch_up_dates(job: Job, profile: Profile, spark: SparkSession, until: dt.date) -> list[dt.date]:
    """Every date after the last one ``job`` loaded (still in effect) up to ``until``; only ``until``
    for a job that never loaded; none when it is up to date."""
    last = before_write.state(spark, target_table(job.spec.target, profile)).log.last_loaded_date(job.name)
    first = dt.date.fromisoformat(last) + dt.timedelta(days=1) if last else until
    return [first + dt.timedelta(days=n) for n in range((until - first).days + 1)]


def run_tasks(tasks: list[Task], profile: Profile, spark: SparkSession, *, parallel: int = 1,
              dry_run: bool = False, force: bool = False,
              on_result: Callable[[Result], None] = lambda result: None) -> list[Result]:
    """Run ``tasks`` (from :func:`plan`) with at most ``parallel`` at once; the results in plan order."""
    done: dict[tuple[str, dt.date], Result] = {}
    waiting = list(tasks)
    running: dict[Future, Task] = {}

    def finish(task: Task, result: Result) -> None:
        done[task.key] = result
        on_result(result)

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="lakehouse-job") as pool:
        while waiting or running:
            for task in list(waiting):
                blocked = next((done[k] for k in task.after if k in done and done[k].outcome in (FAILED, NOT_RUN)),
                               None)
                if blocked is not None:
                    waiting.remove(task)
                    finish(task, Result(job=task.job.name, file=task.job.file, run_date=task.run_date.isoformat(),
                                        outcome=NOT_RUN, reason=f"{blocked.job} {blocked.run_date} {blocked.outcome}"))
                elif all(k in done for k in task.after) and len(running) < parallel:
                    waiting.remove(task)
                    running[pool.submit(_run_one, task, profile, spark, dry_run, force)] = task
            if running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    finish(running.pop(future), future.result())
    return [done[task.key] for task in tasks]


def _run_one(task: Task, profile: Profile, spark: SparkSession, dry_run: bool, force: bool) -> Result:
    started = time.monotonic()
    base = dict(job=task.job.name, file=task.job.file, run_date=task.run_date.isoformat())
    try:
        summary = run_job(task.job.spec, profile, task.run_date, project_dir=task.job.project,
                          spark=isolated(spark), dry_run=dry_run, force=force, run_id=uuid.uuid4().hex[:12])
    except Exception as exc:  # noqa: BLE001 - one task's failure is a result; the others go on
        return Result(**base, outcome=FAILED, error=exc, seconds=time.monotonic() - started)
    outcome = "skipped" if summary.skipped else "dry_run" if dry_run else "loaded"
    return Result(**base, outcome=outcome, summary=summary, seconds=summary.seconds)


def _upstream(jobs: list[Job], profile: Profile) -> dict[str, set[str]]:
    """For each job, the jobs whose target table is its source table."""
    writers: dict[tuple, str] = {_identity(target_table(job.spec.target, profile)): job.name for job in jobs}
    upstream: dict[str, set[str]] = {job.name: set() for job in jobs}
    for job in jobs:
        source = source_table(job.spec.source, profile)
        writer = writers.get(_identity(source)) if source is not None else None
        if writer is not None and writer != job.name:
            upstream[job.name].add(writer)
    return upstream


def _identity(table: TableRef) -> tuple:
    return (table.name.lower(), None) if table.name else (None, table.path.rstrip("/"))


def _topological(names: list[str], upstream: dict[str, set[str]]) -> list[str]:
    """``names`` with every job after its upstream jobs (else in the given order); a SpecError on a cycle."""
    ordered: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise SpecError(f"the jobs read each other's tables in a cycle: {' -> '.join(cycle)}", field="source")
        state[name] = "visiting"
        for up in sorted(upstream[name]):
            visit(up, path + [name])
        state[name] = "done"
        ordered.append(name)

    for name in names:
        visit(name, [])
    return ordered


def exit_code(results: list[Result]) -> int:
    """0 when no task failed, else the exit code of the first failure."""
    failed = next((r for r in results if r.outcome == FAILED), None)
    if failed is None:
        return 0
    return int(failed.error.exit_code) if isinstance(failed.error, LakehouseError) else int(ExitCode.INTERNAL)

