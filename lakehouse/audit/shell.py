"""Short audit helpers for the ``pyspark`` shell: ``from lakehouse.audit.shell import *``.

Each function uses the active SparkSession and returns a DataFrame; a table is a
path or a metastore name.  Start the shell with ``./pyspark-shell.sh`` (Delta and
lakehouse configured).  The rules are those of :mod:`lakehouse.audit.read`.

Example::

    >>> from lakehouse.audit.shell import *
    >>> history("data/lake/orders").show()
    >>> as_of("data/lake/orders", run_date="2024-03-02").show()
    >>> diff("data/lake/orders", 0, 2, keys=["order_id"]).show(truncate=False)
    >>> record_history("data/lake/orders", order_id=1003).show(truncate=False)
    >>> restore("data/lake/orders", version=1, confirm=True).show()
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from pyspark import SparkContext
from pyspark.sql import DataFrame, SparkSession

from lakehouse.audit import read as audit
from lakehouse.errors import LakehouseError

__all__ = ["as_of", "diff", "history", "record_history", "restore"]



def as_of(table: str, version: int | None = None, timestamp: str | dt.datetime | dt.date | None = None,
          run_date: str | dt.date | None = None) -> DataFrame:
    """The table as of a version, a commit time (naive times are in the session time zone) or the load of a
    run date; nothing: the latest version."""
    return audit.as_of(_spark(), table, version=version, timestamp=timestamp, run_date=run_date)


def history(table: str, limit: int | None = None) -> DataFrame:
    """Versions, newest first, with operation metrics, run lineage and whether each is readable."""
    return audit.history(_spark(), table, limit)


def diff(table: str, start: int | None = None, end: int | None = None, keys: Sequence[str] | None = None,
         run_date: str | dt.date | None = None, **key: Any) -> DataFrame:
    """Net changes per key from version ``start`` to ``end``, or of the load of ``run_date``;
    ``order_id=1003`` keeps one key."""
    return audit.changes(_spark(), table, start, end, keys=keys, key_filter=key or None, run_date=run_date)


def record_history(table: str, **key: Any) -> DataFrame:
    """Every version in which the record changed, e.g. ``record_history(t, order_id=1003)``."""
    return audit.record_history(_spark(), table, key)


def restore(table: str, version: int | None = None, timestamp: str | dt.datetime | dt.date | None = None,
            confirm: bool = False, reason: str = "", run_date: str | dt.date | None = None) -> DataFrame:
    """Restore to a version or timestamp, or to the version before the load of ``run_date`` (needs
    ``confirm=True``); returns the new history row."""
    spark = _spark()
    audit.restore(spark, table, version=version, timestamp=timestamp, run_date=run_date, confirm=confirm,
                  reason=reason)
    return audit.history(spark, table, 1)


def _spark() -> SparkSession:
    """The active session; the ``pyspark`` shell's session is not marked active, so fall back to the
    running context's default session (never a new SparkContext)."""
    spark = SparkSession.getActiveSession()
    if spark is None and SparkContext._active_spark_context is not None:
        spark = SparkSession.builder.getOrCreate()
    if spark is None:
        raise LakehouseError("no active SparkSession: run this inside pyspark (./pyspark-shell.sh)")
    return spark
