"""Spark and Delta exceptions as lakehouse errors: the one place that maps them.

Spark and Delta tag their exceptions with an error class (``FAILED_READ_FILE.NO_HINT``)
and a SQLSTATE.  :func:`translate` walks an exception and its Java causes and maps them
by those, never by the wording of a message:

* SQLSTATE ``2D521``, Delta's concurrent-modification conflicts → :class:`ConflictError` (exit 4), also
  as Delta's own Python classes raise them (from Delta 4.1, without the Java exception);
* a Delta source whose change data or files do not cover the versions a run reads
  (``DELTA_MISSING_CHANGE_DATA``, ``DELTA_TRUNCATED_TRANSACTION_LOG``, a vacuumed file:
  ``FAILED_READ_FILE.FILE_NOT_EXIST``) → :class:`DataError` saying how to recover;
* ``FAILED_READ_FILE.*`` → :class:`DataError` naming the raw file and what was wrong in it;
* SQLSTATE class ``22`` (data exceptions: a malformed cast, division by zero, overflow)
  → :class:`DataError` naming the spec expression that failed, found from Spark's query context;
* SQLSTATE class ``42`` (analysis errors) → :class:`LakehouseError` (exit 2);
* throttled storage (by the Java exception class) and lost executors → :class:`RetryableError`.
  Spark gives a lost executor no error class: it is the one case recognised by the failure
  reason Spark writes, ``ExecutorLostFailure``.

Anything else is returned unchanged: an internal error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lakehouse.errors import ConflictError, DataError, LakehouseError, RetryableError
from lakehouse.runtime.compat import error_condition
from lakehouse.spec.job import JobSpec
from lakehouse.spec.source import DeltaSource
from lakehouse.spec.target import MergeTarget, Scd2Target

CONFLICT_STATE = "2D521"
"""The SQLSTATE of every Delta concurrent-modification conflict (DELTA_CONCURRENT_APPEND, ...)."""
THROTTLING_CLASSES = (
    "org.apache.hadoop.fs.s3a.AWSServiceThrottledException",
    "org.apache.hadoop.fs.s3a.AWSServiceUnavailableException",
    "software.amazon.awssdk.core.exception.SdkClientException",
    "com.amazonaws.SdkClientException",
)
"""Java exceptions of storage that asks the client to slow down or try again."""
EXECUTOR_LOST = "ExecutorLostFailure"
SOURCE_GAPS = ("DELTA_MISSING_CHANGE_DATA", "DELTA_TRUNCATED_TRANSACTION_LOG", "DELTA_CHANGE_DATA_FILE_NOT_FOUND",
               "FAILED_READ_FILE.FILE_NOT_EXIST")
"""Error classes that, reading a Delta source, mean versions or files the run needs are not there."""
CHANGE_DATA_RECOVERY = ("Reload from a snapshot (source.read: snapshot, with --force if the date is loaded); later "
                        "`changes` runs continue after the snapshot's version")


@dataclass(frozen=True)
class Cause:
    """One exception of a chain, as Spark describes it."""

    java_class: str
    condition: str | None = None
    sql_state: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    message: str = ""
    fragments: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The message's first sentence, without the ``[CONDITION]`` prefix and the SQLSTATE tail."""
        text = re.sub(r"^\[[A-Z0-9_.]+\]\s*", "", self.message.strip().splitlines()[0] if self.message else "")
        text = text.split(" SQLSTATE")[0].strip()
        return text.split(". ")[0].rstrip(".") if text else self.java_class.rsplit(".", 1)[-1]


def translate(exc: BaseException, spec: JobSpec | None = None) -> BaseException:
    """The lakehouse error for ``exc`` (``spec``: the job that ran, to name its fields), or ``exc`` itself."""
    if isinstance(exc, LakehouseError):
        return exc
    chain = causes(exc)
    if not chain:
        return exc
    by_condition = {c.condition.split(".")[0]: c for c in chain if c.condition}
    states = [c.sql_state or "" for c in chain]
    first = next((c for c in chain if c.condition), chain[0])
    if CONFLICT_STATE in states:
        conflict = chain[states.index(CONFLICT_STATE)]
        return ConflictError(f"a concurrent commit to the table conflicted with this run: {conflict.summary}",
                             condition=conflict.condition)
    gap = next((c for c in chain if c.condition and c.condition.startswith(SOURCE_GAPS)), None)
    if gap is not None and spec is not None and isinstance(spec.source, DeltaSource):
        return _source_gap(gap, spec.source)
    if "FAILED_READ_FILE" in by_condition:
        return _read_failure(chain, by_condition["FAILED_READ_FILE"], spec)
    if any(c.java_class in THROTTLING_CLASSES for c in chain):
        cause = next(c for c in chain if c.java_class in THROTTLING_CLASSES)
        return RetryableError(f"storage throttled or unavailable: {cause.summary}")
    if any(EXECUTOR_LOST in c.message for c in chain):
        return RetryableError("executors were lost while the run was working; run it again",
                              condition=first.condition)
    data = next((c for c in chain if (c.sql_state or "").startswith("22")), None)
    if data is not None:
        where = _spec_field(data, spec)
        return DataError(f"{where}: {data.summary}" if where else data.summary, condition=data.condition)
    if (first.sql_state or "").startswith("42"):
        return LakehouseError(first.summary, condition=first.condition)
    return exc


def _source_gap(gap: Cause, source: DeltaSource) -> DataError:
    """A Delta source lacks change data or files of the versions the run reads: never a partial read."""
    p = gap.parameters  # Spark's message parameters: a map by definition
    table = source.table or f"{source.root}/{source.path}"
    if gap.condition.startswith("DELTA_MISSING_CHANGE_DATA"):
        why = (f"change data was not recorded for version {p.get('version', '?')} (delta.enableChangeDataFeed was "
               f"not true then), so versions {p.get('startVersion', '?')} to {p.get('endVersion', '?')} cannot be "
               "read as changes")
    elif gap.condition.startswith("DELTA_TRUNCATED_TRANSACTION_LOG"):
        why = "its log no longer holds the versions this run reads (cleaned up after delta.logRetentionDuration)"
    else:
        why = "files of the versions this run reads are gone (vacuumed or deleted)"
    recovery = CHANGE_DATA_RECOVERY if source.read == "changes" else \
        "Read a version whose files are kept (a later source.as_of, or none for the latest)"
    return DataError(f"source: table {table}: {why}; nothing was written. {recovery}",
                     condition=gap.condition)


def _read_failure(chain: list[Cause], read: Cause, spec: JobSpec | None) -> DataError:
    """A raw file Spark could not read: the file, then the most precise reason in the chain."""
    path = read.parameters.get("path", "?")  # Spark's message parameters: a map by definition
    deeper = chain[chain.index(read) + 1:]
    detail = _read_detail(read, deeper, spec)
    hint = ""
    if spec is not None and getattr(spec.source, "on_malformed", None) == "fail" and any(
            (c.condition or "").startswith("MALFORMED_RECORD_IN_PARSING") for c in deeper):
        hint = " (set source.on_malformed: drop to skip such records and count them)"
    return DataError(f"source: {path}: {detail}{hint}", condition=read.condition)


def _read_detail(read: Cause, deeper: list[Cause], spec: JobSpec | None) -> str:
    p = read.parameters
    if read.condition == "FAILED_READ_FILE.PARQUET_COLUMN_DATA_TYPE_MISMATCH":
        return (f"column {p.get('column', '?').strip('[]')} is {p.get('actualType', '?')} in the file, "
                f"source.schema declares {p.get('expectedType', '?')}")
    for cause in reversed(deeper):  # the innermost cause says most precisely what was wrong
        q = cause.parameters
        if cause.condition == "MALFORMED_CSV_RECORD":
            return f"record {q.get('badRecord', '?')!r} does not have the columns of source.schema"
        if cause.condition == "CANNOT_PARSE_JSON_FIELD":
            return (f"field {q.get('fieldName', '?')}: value {q.get('fieldValue', '?')} is not "
                    f"{q.get('dataType', '?').strip(chr(34))} as source.schema declares")
        if cause.condition == "CAST_INVALID_INPUT":
            return (f"value {q.get('expression', '?')} is not a valid "
                    f"{q.get('targetType', '?').strip(chr(34))} as source.schema declares")
        if cause.java_class.startswith("com.fasterxml.jackson"):
            return "malformed JSON record"
        if cause.condition is None and cause.message:  # the parser's own exception: NumberFormat, DateTimeParse
            return f"a value does not match source.schema ({cause.message.splitlines()[0]})"
    if any((c.condition or "").startswith("MALFORMED_RECORD_IN_PARSING") for c in deeper):
        return "malformed record"
    fmt = spec.source.format if spec is not None else "the declared format"
    return f"cannot be read as {fmt}"


def _spec_field(cause: Cause, spec: JobSpec | None) -> str | None:
    """The spec field whose expression holds the fragment Spark reports as failing."""
    if spec is None or not cause.fragments:
        return None
    expressions = {f"transform.derive.{k}": v for k, v in spec.transform.derive.items()}
    expressions |= {f"transform.filter[{i}]": v for i, v in enumerate(spec.transform.filter)}
    expressions |= {f"transform.cast.{k}": f"cast({k} as {v})" for k, v in spec.transform.cast.items()}
    if isinstance(spec.target, MergeTarget) and spec.target.merge.delete_when:
        expressions["target.merge.delete_when"] = spec.target.merge.delete_when
    if isinstance(spec.target, Scd2Target) and spec.target.scd2.delete_when:
        expressions["target.scd2.delete_when"] = spec.target.scd2.delete_when
    squash = lambda text: re.sub(r"\s+", "", text).lower()  # noqa: E731 - Spark re-spells spacing and case
    for fragment in map(squash, cause.fragments):
        for name, expression in expressions.items():
            if fragment and fragment in squash(expression):
                return name
    return None


# ------------------------------------------------------------------------ the chain

def causes(exc: BaseException) -> list[Cause]:
    """``exc`` and its Java causes, outermost first (empty when no JVM is behind it)."""
    java = getattr(exc, "_origin", None) or getattr(exc, "java_exception", None)
    if java is None:
        return _delta_conflict(exc)
    from py4j.java_gateway import is_instance_of
    from py4j.protocol import Py4JError
    from pyspark import SparkContext

    gateway, chain, seen = SparkContext._gateway, [], 0
    while java is not None and seen < 20:
        seen += 1
        try:
            chain.append(_cause(java, is_instance_of(gateway, java, "org.apache.spark.SparkThrowable")))
            java = java.getCause()
        except Py4JError:
            break
    return chain


def _cause(java, spark_throwable: bool) -> Cause:
    message = str(_ask(java.getMessage, "") or "")
    name = str(java.getClass().getName())
    if not spark_throwable:
        return Cause(java_class=name, message=message)
    parameters = _ask(lambda: {str(k): str(v) for k, v in dict(java.getMessageParameters() or {}).items()}, {})
    fragments = _ask(lambda: tuple(str(q.fragment()) for q in java.getQueryContext() if q.fragment()), ())
    return Cause(java_class=name, condition=error_condition(java), sql_state=_ask(java.getSqlState, None),
                 parameters=parameters, message=message, fragments=fragments)


def _ask(call, default):
    """``call()``, or ``default`` where this exception does not implement it (Delta's exceptions
    implement only part of SparkThrowable)."""
    from py4j.protocol import Py4JError

    try:
        return call()
    except (Py4JError, TypeError):
        return default


def _delta_conflict(exc: BaseException) -> list[Cause]:
    """A commit conflict as Delta's own Python classes raise it (``delta.exceptions.ProtocolChangedException``
    ...; ``import delta`` installs that conversion from Delta 4.1): they keep the message, not the Java
    exception.  Delta converts only its concurrent-modification exceptions, whose SQLSTATE is always
    ``2D521``; the error class is the message's ``[CONDITION]`` tag.  Anything else: no chain."""
    if not type(exc).__module__.startswith("delta.exceptions"):
        return []
    message = str(exc).split("\n\nJVM stacktrace:")[0]
    tag = re.match(r"\[([A-Z0-9_.]+)\]", message.strip())
    return [Cause(java_class=f"io.delta.exceptions.{type(exc).__name__}", condition=tag.group(1) if tag else None,
                  sql_state=CONFLICT_STATE, message=message)]
