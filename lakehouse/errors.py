"""The one error root of lakehouse, and the exit code of each kind of failure.

Every mistake a user can make raises a subclass of :class:`LakehouseError`; Spark and
Delta exceptions become one of them in :mod:`lakehouse.failures`.  The CLI prints any
error as a single line and exits with the error's :attr:`~LakehouseError.exit_code`;
``--debug`` adds the traceback.

=====  ==========================================================================
 code  meaning (what a scheduler should do)
=====  ==========================================================================
  0    success, or skipped because the run date was already loaded
  1    internal error: a bug in lakehouse or an unexpected failure (report it)
  2    usage or spec error: fix the command, the job spec or the profile
  3    data error: the input (raw files, the table's state) must be fixed
  4    retryable: a concurrent commit won every retry, executors were lost, or
       storage throttled; run again later
=====  ==========================================================================
"""

from __future__ import annotations

import re
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of every lakehouse entry point (see the module docstring)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    DATA = 3
    RETRYABLE = 4


class LakehouseError(Exception):
    """Root of all user-facing errors; ``condition`` is the Spark/Delta error class behind it, if any.

    Raised as it is, it is a usage error: a wrong option, version, key or confirmation.
    Anything that is not a LakehouseError is an internal error (exit 1).
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str = "", *, condition: str | None = None) -> None:
        self.condition = condition
        super().__init__(message)


class SpecError(LakehouseError):
    """A job spec or profile is invalid.

    ``file`` is the YAML file, ``field`` the dotted field path such as
    ``target.merge.keys[0]`` and ``line`` the 1-based line in the file where the
    YAML parser knows it.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 line: int | None = None, condition: str | None = None) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.line = line
        super().__init__(message, condition=condition)

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"

    def in_file(self, file: str) -> "SpecError":
        """This error, naming ``file`` unless it names one already."""
        return SpecError(self.message, file=self.file or file, field=self.field, line=self.line,
                         condition=self.condition)


class UsageError(LakehouseError):
    """A mistake in the command line itself (an option, a date), not in any job file."""


class TableError(LakehouseError):
    """A Delta table is missing, or a requested version or time cannot be read."""


class DataError(LakehouseError):
    """The data of a run breaks a rule of its spec (a malformed record, a missing column, no input files,
    duplicate keys, files changed since their run date was loaded).  Raised before anything is written."""

    exit_code = ExitCode.DATA


class RetryableError(LakehouseError):
    """A failure that a later run can get past without any fix: a concurrent commit, lost executors,
    throttled storage."""

    exit_code = ExitCode.RETRYABLE


class ConflictError(RetryableError):
    """A concurrent writer changed what this run read (Delta's concurrent-modification conflicts)."""


_POSITION = re.compile(r"\s*\(line \d+, pos \d+\)$")


def spark_message(exc: Exception) -> str:
    """The first line of a Spark parse or analysis error, without the SQLSTATE tail (Spark 4) or the
    position tail (Spark 3.5 ends a parse error's line with ``(line 1, pos 0)``): alike on every line."""
    java = getattr(exc, "java_exception", None)  # a Py4JJavaError: its Java cause says what went wrong
    text = str(java.toString()) if java is not None else str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    return _POSITION.sub("", text.split(" SQLSTATE")[0]).strip()
