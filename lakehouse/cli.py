"""The ``lakehouse`` command.

A user mistake (any :class:`~lakehouse.errors.LakehouseError`) prints one line
and exits 1; ``--debug`` shows the traceback.  ``validate`` never starts Spark.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from lakehouse.errors import LakehouseError, SpecError
from lakehouse.loader import CONF_DIR_ENV, load_job, load_profile, project_dir_for

QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except LakehouseError as exc:
        return _fail(str(exc), args)
    except Exception as exc:  # noqa: BLE001 - Spark and Delta errors reach the user as one line too
        from lakehouse.errors import spark_message

        return _fail(f"{type(exc).__name__}: {spark_message(exc)}", args)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes end like every other mistake: one line, exit code 1."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(1, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lakehouse", description="Declarative Delta Lake batch jobs.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and Spark's log")
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
    p.add_argument("--force", action="store_true", help="load the run date again even if it was loaded")
    p.set_defaults(handler=_run)

    from lakehouse.deploy_cli import add_deploy_commands

    add_deploy_commands(sub)

    from lakehouse.audit_cli import add_audit_commands

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
            _fail(str(SpecError(exc.message, file=exc.file or str(file), field=exc.field, line=exc.line)), args)
            continue
        print(f"ok  {file}  ({spec.name}: {spec.source.format} -> {spec.target.mode})")
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    from lakehouse.runner import run_job  # Spark is imported only by commands that need it

    spec = load_job(args.job)
    project = project_dir_for(args.job)
    profile = load_profile(args.profile, args.conf_dir or os.environ.get(CONF_DIR_ENV) or project / "conf")
    spark = spark_for(profile, args)
    try:
        summary = run_job(spec, profile, args.date, project_dir=project, spark=spark,
                          dry_run=args.dry_run, force=args.force)
    except SpecError as exc:
        raise SpecError(exc.message, file=exc.file or args.job, field=exc.field, line=exc.line) from None
    except LakehouseError as exc:
        raise type(exc)(f"{args.job}: {exc}") from None
    print(summary.render())
    return 0


def spark_for(profile, args: argparse.Namespace):
    """The session for a CLI command: quiet unless ``--debug``."""
    from lakehouse.session import get_spark

    spark = get_spark(profile)
    if not args.debug:  # errors reach the user as one line, not as Spark's log
        spark.sparkContext.setLogLevel("ERROR")
        for name in QUERY_CONTEXT_LOGGERS:  # PySpark logs each SQL analysis error itself
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return spark


def _fail(message: str, args: argparse.Namespace) -> int:
    if getattr(args, "debug", False):
        traceback.print_exc()
    red, reset = ("\033[31m", "\033[0m") if sys.stderr.isatty() and not os.environ.get("NO_COLOR") else ("", "")
    print(f"{red}error: {message}{reset}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
