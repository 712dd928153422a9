"""What the ``lakehouse`` command and its command groups (``audit_cli``, ``deploy_cli``) share.

Kept apart from :mod:`lakehouse.cli.main` so the command groups never import the command that
registers them.
"""

from __future__ import annotations

import argparse
import logging
import traceback
from pathlib import Path

from lakehouse.cli.logs import log_error
from lakehouse.errors import ExitCode, LakehouseError, SpecError, UsageError

QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def spark_for(profile, args: argparse.Namespace):
    """The session for a CLI command: quiet unless ``--debug`` (which also shows Spark's start-up log)."""
    from lakehouse.session import get_spark

    spark = get_spark(profile, verbose=args.debug)
    if not args.debug:  # errors reach the user as one line, not as Spark's log (tasks log their failures)
        spark.sparkContext.setLogLevel("OFF")
        for name in QUERY_CONTEXT_LOGGERS:  # PySpark logs each SQL analysis error itself
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return spark


def report_error(exc: BaseException, *, debug: bool) -> int:
    """Report ``exc`` as one line (the traceback too with ``debug``) and return its exit code."""
    from lakehouse.failures import translate  # imports nothing of Spark itself

    error = translate(exc)
    if debug:
        traceback.print_exception(exc)
    if isinstance(error, LakehouseError):
        log_error(str(error), kind=type(error).__name__, code=error.exit_code, condition=error.condition)
        return error.exit_code
    first = (str(error).strip().splitlines() or [""])[0]
    log_error(f"internal error: {type(error).__name__}: {first} (run with --debug for the traceback)",
              kind=type(error).__name__, code=ExitCode.INTERNAL, condition=None)
    return ExitCode.INTERNAL


def in_job(exc: BaseException, job: str) -> BaseException:
    """``exc``, naming the job file it happened in."""
    if isinstance(exc, UsageError):
        return exc
    if isinstance(exc, SpecError):
        return exc.in_file(job)
    if isinstance(exc, LakehouseError) and not str(exc).startswith(job):
        renamed = type(exc)(f"{job}: {exc}")
        renamed.condition = exc.condition
        return renamed
    return exc


def job_files(paths: list[str]) -> list[Path]:
    """The job spec files named by ``paths``: files as given, folders as their ``*.yaml``/``*.yml``, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        files += sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    if not files:
        raise SpecError("no job specs (*.yaml) found", file=" ".join(paths))
    return files
