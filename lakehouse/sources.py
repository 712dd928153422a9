"""Read a job's raw source files with their explicit schema."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.errors import DataError, SpecError, spark_message
from lakehouse.spec import CsvSource, JsonSource, Source

CORRUPT_COLUMN = "_lakehouse_corrupt_record"


@dataclass(frozen=True)
class SourceData:
    """The rows a run read, the files they came from and the malformed records dropped."""

    df: DataFrame
    cached: DataFrame
    """The cached read behind ``df``: unpersist it when the run is done."""
    files: list[str]
    rows_read: int
    malformed: int


def read_source(spark: SparkSession, source: Source, location: str) -> SourceData:
    """Read ``location`` as ``source`` declares, counting (and maybe dropping) malformed records.

    The read is cached (``SourceData.cached``): later stages reuse it without reading the
    files again.
    """
    schema = _schema(spark, source.schema_)
    drop_malformed = isinstance(source, (CsvSource, JsonSource)) and source.on_malformed == "drop"
    if drop_malformed:
        schema = StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType())])
    reader = spark.read.format(source.format).schema(schema).options(**_reader_options(source, drop_malformed))
    try:
        df = reader.load(location)
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
            raise DataError(f"source.path: no files match {location}") from None
        raise
    files = sorted(df.inputFiles())  # before caching: a cached plan no longer lists its files
    cached = df.cache()
    malformed_flag = F.col(CORRUPT_COLUMN).isNotNull() if drop_malformed else F.lit(False)
    try:  # one pass: rows and malformed records
        counts = cached.agg(F.count(F.lit(1)).alias("total"), F.sum(malformed_flag.cast("long")).alias("bad")).first()
    except Exception as exc:  # noqa: BLE001 - Spark wraps parse failures in several JVM types
        cached.unpersist()
        if "MALFORMED" in str(exc).upper():
            raise DataError(f"source: malformed record in {location} (set source.on_malformed: drop "
                            "to skip such records and count them)") from None
        raise
    df, total, malformed = cached, counts["total"], counts["bad"] or 0
    if drop_malformed:
        df = cached.filter(F.col(CORRUPT_COLUMN).isNull()).drop(CORRUPT_COLUMN)
    return SourceData(df=df, cached=cached, files=files, rows_read=total - malformed, malformed=malformed)


def _schema(spark: SparkSession, ddl: str) -> StructType:
    try:
        return StructType.fromDDL(ddl)
    except (ParseException, AnalysisException) as exc:
        raise SpecError(f"invalid schema: {spark_message(exc)}", field="source.schema") from None


def _reader_options(source: Source, drop_malformed: bool) -> dict[str, str]:
    options: dict[str, object] = {}
    if isinstance(source, (CsvSource, JsonSource)):
        options["mode"] = "PERMISSIVE" if drop_malformed else "FAILFAST"
        if drop_malformed:
            options["columnNameOfCorruptRecord"] = CORRUPT_COLUMN
    if isinstance(source, CsvSource):
        options |= {"header": source.header, "sep": source.delimiter}
    if isinstance(source, JsonSource):
        options["multiLine"] = source.multiline
    options |= source.options  # the user's reader options win
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()}

