"""A table's versions with their run lineage, and one record's history (rules: :mod:`lakehouse.audit.read`).

Both are built from one read of the table's log (:func:`lakehouse.table.log.read`): no
``DESCRIBE HISTORY``, and readability comes from the same pass.
"""

from __future__ import annotations

from typing import Any, Mapping

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.audit import changes as C
from lakehouse.audit import keys as K
from lakehouse.audit import versions as V
from lakehouse.errors import LakehouseError, TableError
from lakehouse.audit.rows import COLUMNS, history_row
from lakehouse.table.log import Commit, TableLog

def history(spark: SparkSession, table: V.TableLike, limit: int | None = None) -> DataFrame:
    """One row per commit, newest first.

    Columns: ``version``, ``timestamp``, ``operation``, ``rows_inserted``, ``rows_updated``,
    ``rows_deleted`` (``NULL`` when the operation reports no row counts), ``files_added``,
    ``files_removed``, ``restored_version`` and ``restore_reason`` (for a ``RESTORE``), the run
    lineage ``job``, ``run_date``, ``run_id``, ``source_files``, ``source_versions`` (the Delta
    source versions a job read) and ``rows_filtered_out`` (rows its filters removed), ``NULL`` for
    commits lakehouse did not make, ``readable``, and ``schema_changes`` (the columns a run added,
    widened or ignored: ``column``, ``change``, ``type`` or ``from``/``to``; ``NULL`` when none).
    """
    ref, log = V.open_table(spark, table)
    listed = log.commits[-limit:] if limit else log.commits
    return frame(spark, log, listed)


def frame(spark: SparkSession, log: TableLog, commits: tuple[Commit, ...] | list[Commit]) -> DataFrame:
    """The history rows of ``commits``, newest first."""
    rows = [history_row(c, log.readable(c.version)) for c in reversed(commits)]
    raw = spark.createDataFrame(rows, COLUMNS)
    return raw.select("version", F.timestamp_micros("timestamp_micros").alias("timestamp"),
                      *[c for c in raw.columns if c not in ("version", "timestamp_micros")])


def record_history(spark: SparkSession, table: V.TableLike, key: Mapping[str, Any],
                   method: C.Method = "auto") -> DataFrame:
    """Every readable version in which the row with ``key`` (all key columns) changed, oldest first
    (a history table's rows of one version by ``valid_from``).

    In a history table (``mode: scd2``) ``key`` names the entity and each of its rows is
    followed by its ``valid_from``, a column after ``version``.

    Columns: ``version``, ``timestamp``, ``operation``, ``change``, ``changed_columns``,
    ``before``, ``after`` and the run that made the version: ``job``, ``run_date``, ``run_id``.
    """
    if not key:
        raise LakehouseError("record_history needs the key of the record, e.g. {'order_id': 1003}")
    ref, log = V.open_table(spark, table)
    versions = [c.version for c in log.commits if log.readable(c.version)]
    if not versions:
        raise TableError(f"no version of {ref} can still be read")
    recorded = K.recorded_keys(log)  # a history table: the keys and valid_from identify a row
    row_keys = recorded if set(key) < set(recorded) else list(key)
    key_cols, values = C.key_columns(spark, ref, log, versions[-1], row_keys, key)
    first = versions[0]
    cdf_start = first if first == 0 else first + 1
    if cdf_start <= versions[-1] and C.use_cdf(spark, ref, log, cdf_start - 1, versions[-1], method):
        changed = C.cdf_states(C.cdf(spark, ref, cdf_start, versions[-1]), key_cols, values, key, by_version=True)
    else:
        changed = C.snapshot_states(spark, ref, versions, key_cols, values, key)
    readable = set(versions)
    lineage = frame(spark, log, [c for c in log.commits if c.version in readable]).select(
        "version", "timestamp", "operation", "job", "run_date", "run_id")
    return (C.classify(changed, ["version", *key_cols], values).join(lineage, "version")
            .select("version", *[k for k in key_cols if k not in key], "timestamp", "operation", "change",
                    "changed_columns", "before", "after", "job", "run_date", "run_id")
            .orderBy("version", *[k for k in key_cols if k not in key]))
