"""The ``lakehouse`` command.

Every entry point (the ``lakehouse`` console script, ``python -m lakehouse``, the
spark-submit driver script and the wheel entry point Databricks calls) ends in
:func:`main`, which *exits* with the codes of :class:`lakehouse.errors.ExitCode`: a
launcher that ignores return values still sees a failure.  A mistake prints one line
(``--debug`` adds the traceback and Spark's log); Spark and Delta errors are mapped to
lakehouse errors in :mod:`lakehouse.failures`.  ``validate`` never starts Spark.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import uuid
from pathlib import Path
from typing import NoReturn

from lakehouse.errors import ExitCode, LakehouseError, SpecError
from lakehouse.spec.load import CONF_DIR_ENV, load_job, load_profile, project_dir_for
from lakehouse.cli.support import spark_for
from lakehouse.cli.logs import configure_logging, log_error, print_json

def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and exit with its exit code."""
    sys.exit(execute(argv))


def execute(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` and return its exit code (for callers that must not exit)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage mistake (2, printed by _Parser.error)
        return int(exc.code or 0)
    configure_logging(args.log_format, debug=args.debug)
    try:
        return args.handler(args)
    except Exception as exc:  # noqa: BLE001 - every failure ends as one line and an exit code
        return _fail(exc, args)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes end like every other mistake: one line, exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(ExitCode.USAGE, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lakehouse", description="Declarative Delta Lake batch jobs.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and Spark's log")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per log line on stderr, at INFO level (default: text)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check job specs without starting Spark")
    p.add_argument("paths", nargs="+", metavar="PATH", help="job spec files or folders of them")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("run", help="run a job for one run date")
    p.add_argument("job", metavar="JOB.yaml")
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the run date")
    p.add_argument("--profile", help="profile name in conf/ or a YAML path (default: $LAKEHOUSE_PROFILE or local)")
    p.add_argument("--conf-dir", help="folder of profiles (default: $LAKEHOUSE_CONF_DIR, else conf/ of the "
                                      "job's project)")
    p.add_argument("--dry-run", action="store_true", help="report what the write would do; commit nothing")
    p.add_argument("--force", action="store_true", help="load the run date again even if it was loaded, or "
                                                        "when its source files changed since")
    p.add_argument("--output", choices=("text", "json"), default="text",
                   help="json: print one JSON object for the run, also when it fails (see the README)")
    p.set_defaults(handler=_run)

    from lakehouse.cli.deploy import add_deploy_commands

    add_deploy_commands(sub)

    from lakehouse.cli.audit import add_audit_commands

    add_audit_commands(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    files: list[Path] = []
    for path in map(Path, args.paths):
        files += sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    if not files:
        raise SpecError("no job specs (*.yaml) found", file=" ".join(args.paths))
    failed = 0
    for file in files:  # report every file, not just the first bad one
        try:
            spec = load_job(file)
            spec.transform.sql_path(project_dir_for(file) / "sql")
        except SpecError as exc:
            failed += 1
            _fail(exc.in_file(str(file)), args)
            continue
        print(f"ok  {file}  ({spec.name}: {spec.source.format} -> {spec.target.mode})")
    return ExitCode.USAGE if failed else ExitCode.OK


def _run(args: argparse.Namespace) -> int:
    from lakehouse.run.runner import run_job  # Spark is imported only by commands that need it
    from lakehouse.run.summary import RunFailure

    run_id = uuid.uuid4().hex[:12]
    try:
        spec = load_job(args.job)
        project = project_dir_for(args.job)
        profile = load_profile(args.profile, args.conf_dir or os.environ.get(CONF_DIR_ENV) or project / "conf")
        spark = spark_for(profile, args)
        summary = run_job(spec, profile, args.date, project_dir=project, spark=spark, dry_run=args.dry_run,
                          force=args.force, run_id=run_id)
    except Exception as exc:  # noqa: BLE001 - reported as one line (and one JSON object) below
        error = _in_job(exc, args.job)
        if args.output == "json":
            print_json(RunFailure(job=args.job, run_date=args.date, run_id=run_id, error=error).to_dict())
        raise error from None
    print_json(summary.to_dict()) if args.output == "json" else print(summary.render())
    return ExitCode.OK


def _in_job(exc: Exception, job: str) -> Exception:
    """``exc``, naming the job file it happened in."""
    if isinstance(exc, SpecError):
        return exc.in_file(job)
    if isinstance(exc, LakehouseError) and not str(exc).startswith(job):
        renamed = type(exc)(f"{job}: {exc}")
        renamed.condition = exc.condition
        return renamed
    return exc


def _fail(exc: Exception, args: argparse.Namespace) -> int:
    """Report ``exc`` as one line (the traceback too with ``--debug``) and return its exit code."""
    from lakehouse.failures import translate  # imports nothing of Spark itself

    error = translate(exc)
    if args.debug:
        traceback.print_exception(exc)
    if isinstance(error, LakehouseError):
        log_error(str(error), kind=type(error).__name__, code=error.exit_code, condition=error.condition)
        return error.exit_code
    first = (str(error).strip().splitlines() or [""])[0]
    log_error(f"internal error: {type(error).__name__}: {first} (run with --debug for the traceback)",
              kind=type(error).__name__, code=ExitCode.INTERNAL, condition=None)
    return ExitCode.INTERNAL


if __name__ == "__main__":
    main()
