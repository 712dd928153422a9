"""The ``lakehouse`` command.

Every entry point (the ``lakehouse`` console script, ``python -m lakehouse``, the
spark-submit driver script and the wheel entry point Databricks calls) ends in
:func:`main`, which *exits* with the codes of :class:`lakehouse.errors.ExitCode`: a
launcher that ignores return values still sees a failure.  A mistake prints one line
(``--debug`` adds the traceback and Spark's log); Spark and Delta errors are mapped to
lakehouse errors in :mod:`lakehouse.failures`.  ``validate`` never starts Spark (nor imports it): it
parses the SQL of each job with sqlglot (:mod:`lakehouse.spec.sql`).  ``--version`` names the installed
lakehouse, pyspark and delta-spark, read from their package metadata.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata
from typing import NoReturn

from lakehouse.errors import ExitCode, LakehouseError
from lakehouse.spec.load import load_job, load_project
from lakehouse.cli.support import in_job, job_files, report_error
from lakehouse.cli.logs import configure_logging


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and exit with its exit code."""
    code = execute(argv)
    if "deltalake" in sys.modules:  # delta-rs's native threads can abort the interpreter's teardown
        sys.stdout.flush()          # (SIGABRT after a correct answer): leave without it
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


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


VERSIONED = ("lakehouse", "pyspark", "delta-spark")
"""The distributions ``lakehouse --version`` names."""


def versions() -> str:
    """``lakehouse 0.1.0, pyspark 4.2.0, delta-spark 4.4.0``: each of :data:`VERSIONED` as its installed
    distribution's metadata says (nothing is imported, no JVM starts), else ``not installed``."""
    return ", ".join(f"{name} {_installed(name)}" for name in VERSIONED)


def _installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


class _Version(argparse.Action):
    """``--version``: print :func:`versions` and exit 0 (read only when asked for)."""

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[override]
        print(versions())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lakehouse", description="Declarative Delta Lake batch jobs.")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="print the versions of lakehouse, pyspark and delta-spark, and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and Spark's log")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="json: one JSON object per log line on stderr, at INFO level (default: text)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check job specs without starting Spark")
    p.add_argument("paths", nargs="+", metavar="PATH", help="job spec files or folders of them")
    p.set_defaults(handler=_validate)

    from lakehouse.cli.run import add_run_command

    add_run_command(sub)

    from lakehouse.cli.deploy import add_deploy_commands

    add_deploy_commands(sub)

    from lakehouse.cli.audit import add_audit_commands

    add_audit_commands(sub)

    from lakehouse.cli.init import add_init_commands

    add_init_commands(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from lakehouse.spec.sql import check_job_sql  # sqlglot: loaded by this command only

    files = job_files(args.paths)
    failed = 0
    for file in files:  # report every file, not just the first bad one
        try:
            spec = load_job(file)
            check_job_sql(file, spec, load_project(file).sql_dir)
        except LakehouseError as exc:  # a spec mistake, or no project around the file
            failed += 1
            _fail(in_job(exc, str(file)), args)
            continue
        print(f"ok  {file}  ({spec.name}: {spec.source.format} -> {spec.target.mode})")
    return ExitCode.USAGE if failed else ExitCode.OK


def _fail(exc: Exception, args: argparse.Namespace) -> int:
    return report_error(exc, debug=args.debug)


if __name__ == "__main__":
    main()
