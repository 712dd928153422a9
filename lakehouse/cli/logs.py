"""What the CLI writes besides its results: log lines and the final error line.

Two formats, chosen with ``lakehouse --log-format text|json``:

* ``text`` (default): warnings only, as ``warning: ...``; an error is one line
  ``error: <message>``.
* ``json``: one JSON object per line on stderr, from INFO level up, with the keys
  ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, where the record has them,
  ``job``, ``run_date``, ``run_id``, ``stage``; the error line adds ``error_class``,
  ``condition`` (the Spark/Delta error class, or null) and ``exit_code``.

Only the ``lakehouse`` logger is configured; the root logger is left to the application.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

LOGGER = "lakehouse"
CONTEXT_KEYS = ("job", "run_date", "run_id", "stage", "error_class", "condition", "exit_code")
"""Record attributes (``logger.info(..., extra={...})``) copied into JSON log lines."""

log = logging.getLogger(LOGGER)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line |= {key: getattr(record, key) for key in CONTEXT_KEYS if hasattr(record, key)}
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """``error: message`` (red on a terminal, unless ``NO_COLOR`` is set)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.levelno >= logging.ERROR and sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
            return f"\033[31m{text}\033[0m"
        return text


class _Stderr(logging.StreamHandler):
    """Writes to the *current* ``sys.stderr`` (tests and shells replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the base class assigns it once; the property always wins
        pass


def configure_logging(fmt: str = "text", *, debug: bool = False) -> None:
    """Send the ``lakehouse`` logger to stderr in ``fmt`` (replacing what an earlier call set up)."""
    handler = _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG if debug else logging.INFO if fmt == "json" else logging.WARNING)


def log_error(message: str, *, kind: str, code: int, condition: str | None) -> None:
    """The one line a failed command ends with."""
    if not log.handlers:
        configure_logging()
    log.error(message, extra={"error_class": kind, "exit_code": int(code), "condition": condition})


def print_json(data: dict) -> None:
    """A result object on stdout, as one line of JSON."""
    print(json.dumps(data, default=str), flush=True)
