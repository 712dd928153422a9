"""Read a Delta table as a job's source: a snapshot, or its changes exactly once.

The versions to read are decided before anything is read, from the source table's history
and the target's (read once by the runner):

* ``snapshot`` reads the latest version, or ``as_of`` a version or a timestamp, as the inserts of that
  version: its rows carry the change columns too (``_change_type`` ``insert``, ``_commit_version`` and
  ``_commit_timestamp`` of the version), so a job switches between ``snapshot`` and ``changes``
  without touching its transforms or its target.
* ``changes`` reads the change data feed of the versions after the newest one the job's loads
  still in effect in the target read (:meth:`lakehouse.table.log.TableLog.consumed_through`) up to the
  source's latest version; the first load reads from version 0.  A forced re-run of a loaded date
  reads the range that load read.  No new version is an empty range, not an error.

The range is recorded in the target commit's lineage (:class:`~lakehouse.table.lineage.SourceVersions`),
which is what makes the next run start after it: no checkpoint of its own.  A range the change
data feed does not cover (never enabled, log versions or change files gone) fails the run before
anything is written (:mod:`lakehouse.failures` maps Delta's errors).
"""

from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from lakehouse._sql import quote_ident
from lakehouse.errors import DataError, SpecError, spark_message
from lakehouse.failures import CHANGE_DATA_RECOVERY
from lakehouse.run.sources import SourceData
from lakehouse.runtime.compat import schema_from_ddl
from lakehouse.spec.source import DeltaSource
from lakehouse.table import log as table_log
from lakehouse.table.lineage import SourceVersions
from lakehouse.table.log import Commit, TableLog
from lakehouse.table.ref import TableRef

CHANGE_COLUMNS = StructType([StructField("_change_type", StringType()), StructField("_commit_version", LongType()),
                             StructField("_commit_timestamp", TimestampType())])
"""The columns the change data feed adds to each row."""
FIRST_VERSION = 0
"""Where the first ``changes`` load of a job starts: the source's whole history."""


def read_delta(spark: SparkSession, source: DeltaSource, ref: TableRef, target_history: TableLog, job: str,
               run_date: str, *, force: bool) -> tuple[SourceData, SourceVersions]:
    """Decide the versions to read (see the module docstring), then read them, cached and counted."""
    delta = ref.delta_or_none(spark)
    if delta is None:
        raise DataError(f"{_field(source)}: no Delta table at {ref} (run the job that writes it first)")
    history = table_log.read(spark, ref, exists=True).commits
    table_id = spark.sql(f"DESCRIBE DETAIL {ref.sql}").select("id").first()["id"]
    if source.read == "snapshot":
        versions = SourceVersions(table=str(ref), table_id=table_id, read="snapshot",
                                  to_version=_snapshot_version(spark, source, ref, history))
    else:
        versions = _changes_range(ref, table_id, history, target_history, job, run_date, force=force)
    df = _select(_frame(spark, delta, ref, versions, history), source, ref)
    cached = df.cache()
    try:
        rows = cached.count()  # reads every file of the range now: a gap fails here, before any write
    except Exception:
        cached.unpersist()
        raise
    return SourceData(df=cached, cached=cached, files=[], rows_read=rows, malformed=0), versions


def range_taken(versions: SourceVersions | None, target_history: TableLog, job: str) -> bool:
    """A ``changes`` range no longer starts right after what ``job``'s loads in effect read: a concurrent
    run of the job committed a range meanwhile (the runner checks this before it retries a commit)."""
    if versions is None or versions.read != "changes":
        return False
    consumed = target_history.consumed_through(job, versions.table_id)
    return (FIRST_VERSION - 1 if consumed is None else consumed) != versions.from_version - 1


def _snapshot_version(spark: SparkSession, source: DeltaSource, ref: TableRef, history: tuple[Commit, ...]) -> int:
    first, latest = history[0].version, history[-1].version
    if source.as_of is None:
        return latest
    if source.as_of.version is not None:
        if not first <= source.as_of.version <= latest:
            raise DataError(f"source.as_of.version: table {ref} holds versions {first} to {latest} in its log, "
                            f"not {source.as_of.version}")
        return source.as_of.version
    at = spark.range(1).select(F.unix_millis(F.lit(source.as_of.timestamp).cast("timestamp"))).first()[0]
    found = [c.version for c in history if c.millis <= at]  # the text as Spark reads it: the session time zone
    if not found:
        committed = spark.range(1).select(F.timestamp_millis(F.lit(history[0].millis)).cast("string")).first()[0]
        raise DataError(f"source.as_of.timestamp: {source.as_of.timestamp} is before the oldest version in the log "
                        f"of table {ref} (version {first}, committed {committed})")
    return max(found)


def _changes_range(ref: TableRef, table_id: str, history: tuple[Commit, ...], target_history: TableLog, job: str,
                   run_date: str, *, force: bool) -> SourceVersions:
    latest, oldest = history[-1].version, history[0].version
    load = target_history.load(job, run_date)
    again = load.lineage.source_versions if force and load is not None and load.in_effect else None
    if again is not None and again.read == "changes" and again.table_id == table_id:
        start, end = again.from_version, again.to_version  # a forced re-run reads the same range
    else:
        consumed = target_history.consumed_through(job, table_id)
        start, end = (FIRST_VERSION if consumed is None else consumed + 1), latest
        if start > latest + 1:
            raise DataError(f"source: this job has read table {ref} up to version {consumed}, but the table's "
                            f"latest version is {latest}; nothing was written")
    if start <= end and start < oldest:
        raise DataError(f"source: the change data of table {ref} does not cover versions {start} to {end}: its "
                        f"log starts at version {oldest} (older versions were cleaned up); nothing was written. "
                        f"{CHANGE_DATA_RECOVERY}")
    return SourceVersions(table=str(ref), table_id=table_id, read="changes", from_version=start, to_version=end)


def _frame(spark: SparkSession, delta: DeltaTable, ref: TableRef, versions: SourceVersions,
           history: tuple[Commit, ...]) -> DataFrame:
    if versions.read == "snapshot":  # the rows of one version, as the inserts of that version
        committed = next(c.millis for c in history if c.version == versions.to_version)
        return ref.read(spark.read.option("versionAsOf", versions.to_version)).select(
            "*", F.lit("insert").alias("_change_type"),
            F.lit(versions.to_version).cast("long").alias("_commit_version"),
            F.timestamp_millis(F.lit(committed)).alias("_commit_timestamp"))
    if versions.empty:  # Delta refuses a start version after the latest: the feed's shape, without rows
        schema = StructType([*delta.toDF().schema.fields, *CHANGE_COLUMNS.fields])
        return spark.createDataFrame([], schema)
    changes = ref.read(spark.read.option("readChangeFeed", "true").option("startingVersion", versions.from_version)
                       .option("endingVersion", versions.to_version))
    return changes.where(F.col("_change_type") != "update_preimage")


def _select(df: DataFrame, source: DeltaSource, ref: TableRef) -> DataFrame:
    """The declared columns, each of its declared type, then the change columns (every column without a schema)."""
    if source.schema_ is None:
        return df
    try:
        declared = schema_from_ddl(source.schema_)
    except Exception as exc:  # noqa: BLE001 - Spark's parse and analysis errors alike
        raise SpecError(f"invalid schema: {spark_message(exc)}", field="source.schema") from None
    types = {f.name.lower(): f.dataType for f in df.schema.fields}
    for f in declared.fields:
        kind = types.get(f.name.lower())  # a plain dict built just above
        if kind is None:
            raise DataError(f"source.schema: table {ref} has no column {f.name} (columns: "
                            f"{', '.join(n for n in df.columns if n not in CHANGE_COLUMNS.fieldNames())})")
        if kind != f.dataType:
            raise DataError(f"source.schema: column {f.name} is {kind.simpleString().upper()} in table {ref}, "
                            f"the spec declares {f.dataType.simpleString().upper()}")
    return df.select(*[quote_ident(f.name) for f in declared.fields], *CHANGE_COLUMNS.fieldNames())


def _field(source: DeltaSource) -> str:
    return "source.path" if source.path is not None else "source.table"
