"""The quarantine table: rows a run rejected, kept next to the target (rules in
:class:`lakehouse.spec.expect.Expectation`).

:func:`rows` assembles a run's rejected rows, each with the target's columns (NULL for a malformed
record), ``_rejected_by``, ``_raw_record`` and the run's ``_job``, ``_run_id`` and ``_run_date``.
:func:`write` replaces the run date's rows (``replaceWhere _run_date = D``, so a forced re-run never
duplicates them) in one commit carrying the run's lineage.  It writes only when the run has rows to
quarantine or the date had some before (a re-run without bad rows clears the date).

Example: the job ``orders`` writing ``lake/orders`` quarantines into ``lake/orders_quarantine``;
``lakehouse show lake/orders_quarantine --version 0`` lists its rows.
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse._sql import quote_ident
from lakehouse.spec.expect import JOB, MALFORMED, NULL_KEYS, QUARANTINE_SUFFIX, RAW_RECORD, REJECTED_BY, RUN_DATE, RUN_ID
from lakehouse.table.lineage import RunLineage, commit_conf, lineage_conf
from lakehouse.table.ref import TableRef

MODE = "quarantine"
"""The ``mode`` of a quarantine commit's lineage."""


def quarantine_table(target: TableRef) -> TableRef:
    """The quarantine table of ``target``: its path or name with the suffix ``_quarantine``."""
    if target.name:
        location = target.location.rstrip("/") + QUARANTINE_SUFFIX if target.location else None
        return TableRef(name=target.name + QUARANTINE_SUFFIX, location=location)
    return TableRef(path=target.path.rstrip("/") + QUARANTINE_SUFFIX)


def rows(schema: StructType, *, failed: DataFrame | None = None, null_keys: DataFrame | None = None,
         malformed: DataFrame | None = None) -> DataFrame | None:
    """The run's rejected rows as the quarantine table stores them, without the run's columns (None:
    nothing to quarantine).

    ``failed``: rows failing rules, with the columns of ``schema`` and ``_rejected_by``; ``null_keys``:
    rows with a null key (at least the columns of ``schema``); ``malformed``: one column, the record's text.
    """
    columns = [quote_ident(c) for c in schema.fieldNames()]
    no_record = F.lit(None).cast("string").alias(RAW_RECORD)
    parts = [] if failed is None else [failed.select(*columns, REJECTED_BY, no_record)]
    if null_keys is not None:
        parts.append(null_keys.select(*columns, F.array(F.lit(NULL_KEYS)).alias(REJECTED_BY), no_record))
    if malformed is not None:
        nulls = [F.lit(None).cast(f.dataType).alias(f.name) for f in schema.fields]
        parts.append(malformed.select(*nulls, F.array(F.lit(MALFORMED)).alias(REJECTED_BY),
                                      F.col(quote_ident(malformed.columns[0])).alias(RAW_RECORD)))
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    return union


def write(spark: SparkSession, table: TableRef, df: DataFrame | None, count: int, lineage: RunLineage,
          properties: dict[str, str]) -> int | None:
    """Replace the run date's rows of ``table`` with ``df`` (``count`` rows, from :func:`rows`); the
    version written, or None when nothing was written (no rows, and none before for the date)."""
    where = f"{quote_ident(RUN_DATE)} = DATE'{lineage.run_date}'"
    exists = table.exists(spark)
    if not count and not (exists and table.read(spark.read).filter(where).limit(1).count()):
        return None
    if df is None:  # clear the date: no rows, with the table's own columns
        df = table.read(spark.read).limit(0)
    else:
        df = df.select("*", F.lit(lineage.job).alias(JOB), F.lit(lineage.run_id).alias(RUN_ID),
                       F.lit(lineage.run_date).cast("date").alias(RUN_DATE))
    own = dataclasses.replace(lineage, mode=MODE, keys=[], rows={**lineage.rows, "quarantined": count})
    writer = df.write
    if exists:
        writer = writer.mode("overwrite").option("replaceWhere", where).option("mergeSchema", "true")
    else:
        writer = writer.mode("append").partitionBy(RUN_DATE).options(**properties)
        table.create_schema(spark)
    with commit_conf(spark, lineage_conf(own, idempotent=False)):
        table.save(writer, create=not exists)
    return table.version(spark)
