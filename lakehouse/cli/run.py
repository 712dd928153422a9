"""``lakehouse run``: one job or many, for one run date or many, in one Spark application.

* ``lakehouse run jobs/orders.yaml --date 2024-03-01``: one job, one date; prints the
  run summary (or one JSON object with ``--output json``), exactly as it always did.
* ``lakehouse run jobs/ --date D``: every job of the folder (also several files, and
  ``--select NAME...``), in dependency order (:mod:`lakehouse.run.pipeline`).
* ``--from D1 --to D2`` runs every date in order; ``--catch-up --date D`` every date
  after each job's last loaded one, up to D.
* ``--date`` also takes ``today``, ``yesterday`` and ``today-N``, resolved in the
  profile's ``time_zone``.

With more than one task the end prints one table (job, date, outcome, rows, version,
seconds) after one line per failure; the exit code is that of the first failure.
"""

from __future__ import annotations

import argparse
import uuid

from lakehouse.cli.logs import print_json
from lakehouse.cli.support import in_job, job_files, positive_int, report_error, spark_for
from lakehouse.errors import SpecError, UsageError
from lakehouse.spec.dates import FORMS, date_range, resolve_run_date
from lakehouse.spec.load import load_job, load_profile, load_project


def add_run_command(sub: argparse._SubParsersAction) -> None:
    """Register ``run`` on the ``lakehouse`` parser's subcommands."""
    p = sub.add_parser("run", help="run jobs for one run date or a range of them")
    p.add_argument("jobs", nargs="+", metavar="JOB", help="job spec files or folders of them")
    p.add_argument("--date", metavar="DATE", help=f"the run date ({FORMS}); with --catch-up, the last one")
    p.add_argument("--from", dest="first", metavar="DATE", help="backfill: the first run date (needs --to)")
    p.add_argument("--to", dest="last", metavar="DATE", help="backfill: the last run date, included")
    p.add_argument("--catch-up", action="store_true",
                   help="run every date after each job's last loaded run date up to --date")
    p.add_argument("--select", nargs="+", metavar="NAME", help="run only the jobs with these names")
    p.add_argument("--parallel", type=positive_int, default=1, metavar="N",
                   help="run up to N independent jobs at once, in one Spark application (default: 1)")
    p.add_argument("--profile", help="profile name in conf/ or a YAML path (default: $LAKEHOUSE_PROFILE, else "
                                     "the project's defaults.profile)")
    p.add_argument("--conf-dir", help="folder of profiles (default: $LAKEHOUSE_CONF_DIR, else conf/ of the "
                                      "job's project)")
    p.add_argument("--dry-run", action="store_true", help="report what the writes would do; commit nothing")
    p.add_argument("--force", action="store_true", help="load the run dates again even if they were loaded, "
                                                        "or when their source files changed since")
    p.add_argument("--output", choices=("text", "json"), default="text",
                   help="json: print one JSON object for the run, also when it fails (see the README)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    _check_date_options(args)
    files = job_files(args.jobs)
    if len(files) == 1 and not (args.first or args.catch_up or args.select):
        return _run_single(args, str(files[0]))
    return _run_many(args, [str(f) for f in files])


def _check_date_options(args: argparse.Namespace) -> None:
    if (args.first is None) != (args.last is None):
        raise _usage("--from and --to go together")
    if args.first and (args.date or args.catch_up):
        raise _usage("give either --from/--to or --date (with --catch-up), not both")
    if not args.first and not args.date:
        raise _usage("a run date is required: --date DATE, or --from DATE --to DATE")


def _usage(message: str) -> UsageError:
    """A mistake in the command line itself (exit 2), worded like argparse's own."""
    return UsageError(f"lakehouse run: {message} (see lakehouse run --help)")


def _date(text: str, time_zone: str, option: str):
    try:
        return resolve_run_date(text, time_zone)
    except ValueError as exc:
        raise _usage(f"argument {option}: {exc}") from None


def _run_single(args: argparse.Namespace, job: str) -> int:
    """One job, one date: the run summary, as ``lakehouse run`` always printed it."""
    from lakehouse.run.runner import run_job  # Spark is imported only by commands that need it
    from lakehouse.run.summary import RunFailure

    run_id, run_date = uuid.uuid4().hex[:12], args.date
    try:
        spec = load_job(job)
        project = load_project(job)
        profile = _profile(args, project)
        run_date = _date(args.date, profile.time_zone, "--date").isoformat()
        summary = run_job(spec, profile, run_date, project_dir=project.root, spark=spark_for(profile, args),
                          dry_run=args.dry_run, force=args.force, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - reported as one line (and one JSON object) below
        error = in_job(exc, job)
        if args.output == "json":
            print_json(RunFailure(job=job, run_date=run_date, run_id=run_id, error=error).to_dict())
        raise error from None
    print_json(summary.to_dict()) if args.output == "json" else print(summary.render())
    return 0


def _run_many(args: argparse.Namespace, files: list[str]) -> int:
    from lakehouse.run import pipeline  # Spark is imported only by commands that need it
    from lakehouse.run.summary import results_table

    jobs = [pipeline.Job(file=f, spec=_load(f), project=load_project(f).root) for f in files]
    projects = sorted({str(job.project) for job in jobs})
    if len(projects) > 1:
        raise _usage(f"the jobs belong to more than one project ({', '.join(projects)}); run each project "
                     "on its own")
    jobs = _selected(jobs, args.select)
    profile = _profile(args, load_project(jobs[0].project))
    dates = _dates(args, jobs, profile)  # a mistake in the dates is reported before Spark starts
    spark = spark_for(profile, args)
    if args.catch_up:
        dates = _caught_up(jobs, profile, spark, dates)
    tasks = pipeline.plan(jobs, dates, profile)
    if not tasks and args.output == "text":
        print(f"nothing to run: {', '.join(job.name for job in jobs)} loaded up to {args.date}")
    results = pipeline.run_tasks(tasks, profile, spark, parallel=args.parallel, dry_run=args.dry_run,
                                 force=args.force)
    for result in results:
        if result.error is not None:
            report_error(in_job(result.error, result.file), debug=args.debug)
    if args.output == "json":
        print_json({"runs": [_result_dict(r) for r in results], "exit_code": pipeline.exit_code(results)})
    else:
        print(results_table(results))
    return pipeline.exit_code(results)


def _load(file: str):
    try:
        return load_job(file)
    except SpecError as exc:
        raise exc.in_file(file) from None


def _selected(jobs: list, names: list[str] | None) -> list:
    if not names:
        return jobs
    known = {job.name for job in jobs}
    unknown = sorted(set(names) - known)
    if unknown:
        raise _usage(f"argument --select: no job named {unknown[0]!r} (jobs: {', '.join(sorted(known))})")
    return [job for job in jobs if job.name in names]


def _profile(args: argparse.Namespace, project):
    return load_profile(args.profile, args.conf_dir, project=project)


def _dates(args: argparse.Namespace, jobs: list, profile) -> dict:
    """The run dates of each job, by name (with --catch-up: the last date only, see :func:`_caught_up`)."""
    zone = profile.time_zone
    if args.first:
        try:
            days = date_range(_date(args.first, zone, "--from"), _date(args.last, zone, "--to"))
        except ValueError as exc:
            raise _usage(f"argument --from: {exc}") from None
        return {job.name: days for job in jobs}
    return {job.name: [_date(args.date, zone, "--date")] for job in jobs}


def _caught_up(jobs: list, profile, spark, dates: dict) -> dict:
    """Each job's dates after its last loaded one, up to its date in ``dates``."""
    from lakehouse.run.pipeline import catch_up_dates

    return {job.name: catch_up_dates(job, profile, spark, dates[job.name][-1]) for job in jobs}


def _result_dict(result) -> dict:
    """One task as ``--output json`` prints it: the run's own object, or its failure."""
    from lakehouse.run.summary import RunFailure

    if result.summary is not None:
        return result.summary.to_dict()
    if result.error is not None:
        error = in_job(result.error, result.file)
        return RunFailure(job=result.file, run_date=result.run_date, run_id="", error=error).to_dict()
    return {"job": result.job, "run_date": result.run_date, "outcome": result.outcome, "reason": result.reason}
