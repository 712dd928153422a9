"""The one error root of lakehouse.

Every mistake a user can make (a bad job spec, a missing file, an increment with
duplicate or null keys) raises a subclass of :class:`LakehouseError`.  The CLI
prints any error as a single line and exits 1; ``--debug`` adds the traceback.
"""

from __future__ import annotations


class LakehouseError(Exception):
    """Root of all user-facing errors."""


class SpecError(LakehouseError):
    """A job spec or profile is invalid.

    ``file`` is the YAML file, ``field`` the dotted field path such as
    ``target.merge.keys[0]`` and ``line`` the 1-based line in the file where the
    YAML parser knows it.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.field = field
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class DataError(LakehouseError):
    """The data of a run breaks a rule of its spec (null keys, duplicate keys, no input files).

    Raised before anything is written.
    """


class TableError(LakehouseError):
    """A Delta table is missing, or a requested version or time cannot be read."""


def spark_message(exc: Exception) -> str:
    """The first line of a Spark parse or analysis error, without the SQLSTATE tail."""
    java = getattr(exc, "java_exception", None)  # a Py4JJavaError: its Java cause says what went wrong
    text = str(java.toString()) if java is not None else str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    return text.split(" SQLSTATE")[0].strip()
