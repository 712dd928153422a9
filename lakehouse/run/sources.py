"""Read a job's raw source files with their explicit schema, after checking they can be trusted.

:func:`list_files` lists the run's files (path, size, modification time) before anything is
read: the runner compares them with the files a loaded run date recorded.  :func:`read_source`
then reads exactly those files, and refuses what would load wrong data:

* a CSV header that does not name the schema's columns in order (``header_match: name``);
* a Parquet or JSON file without a declared column (unless ``missing_columns`` lists it);
* a file that is not in the declared format, or a record that does not parse (the Spark
  error is mapped to one line naming the file in :mod:`lakehouse.failures`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from lakehouse.errors import DataError, SpecError, spark_message
from lakehouse.runtime.compat import schema_from_ddl
from lakehouse.table.lineage import SourceFile
from lakehouse.spec.source import CsvSource, JsonSource, ParquetSource, Source

CORRUPT_COLUMN = "_lakehouse_corrupt_record"


@dataclass(frozen=True)
class SourceData:
    """The rows a run read, the files they came from and the malformed records dropped (or quarantined)."""

    df: DataFrame
    cached: DataFrame
    """The cached read behind ``df``: unpersist it when the run is done."""
    files: list[str]
    rows_read: int
    malformed: int
    rejected: DataFrame | None = None
    """The malformed records' text (one column), when ``on_malformed: quarantine``."""


def list_files(spark: SparkSession, location: str) -> list[SourceFile]:
    """The files ``location`` (a path or glob) names, as Spark would read them: folders are read
    recursively, and names starting with ``_`` or ``.`` are skipped.  A DataError when there are none."""
    jvm = spark.sparkContext._jvm
    pattern = jvm.org.apache.hadoop.fs.Path(location)
    fs = pattern.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    found: list[SourceFile] = []
    for status in fs.globStatus(pattern) or []:
        if _hidden(str(status.getPath().getName())):
            continue
        if not status.isDirectory():
            found.append(_source_file(status))
            continue
        folder = str(status.getPath().toString()).rstrip("/") + "/"
        listing = fs.listFiles(status.getPath(), True)
        while listing.hasNext():
            file = _source_file(listing.next())
            if not any(_hidden(part) for part in file.path[len(folder):].split("/")):
                found.append(file)
    files = sorted(found, key=lambda f: f.path)
    if not files:
        raise DataError(f"source.path: no files match {location}")
    return files


def read_source(spark: SparkSession, source: Source, files: list[SourceFile]) -> SourceData:
    """Read ``files`` as ``source`` declares, counting (and maybe dropping) malformed records.

    The read is cached (``SourceData.cached``): later stages reuse it without reading the
    files again.
    """
    schema = _schema(source.schema_)
    paths = [f.path for f in files]
    _check_missing_columns(source, schema)
    if isinstance(source, CsvSource) and source.header and source.header_match == "name":
        for f in files:
            _check_csv_header(spark, source, schema, f)
    if isinstance(source, ParquetSource):
        for f in files:
            _require_columns(source, schema, f.path, _parquet_columns(spark, f.path))
    drop_malformed = isinstance(source, (CsvSource, JsonSource)) and source.on_malformed != "fail"
    if drop_malformed:
        schema = StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType())])
    reader = spark.read.format(source.format).schema(schema).options(**_reader_options(source, drop_malformed))
    cached = reader.load(paths).cache()
    malformed_flag = F.col(CORRUPT_COLUMN).isNotNull() if drop_malformed else F.lit(False)
    try:  # one pass: rows and malformed records (a record that does not parse fails here)
        counts = cached.agg(F.count(F.lit(1)).alias("total"), F.sum(malformed_flag.cast("long")).alias("bad")).first()
        if isinstance(source, JsonSource):
            _check_json_columns(spark, source, schema, files)
    except Exception:
        cached.unpersist()
        raise
    df, total, malformed = cached, counts["total"], counts["bad"] or 0
    rejected = None
    if drop_malformed:
        df = cached.filter(F.col(CORRUPT_COLUMN).isNull()).drop(CORRUPT_COLUMN)
        if source.on_malformed == "quarantine":
            rejected = cached.filter(F.col(CORRUPT_COLUMN).isNotNull()).select(CORRUPT_COLUMN)
    return SourceData(df=df, cached=cached, files=paths, rows_read=total - malformed, malformed=malformed,
                      rejected=rejected)


# ----------------------------------------------------------------------- column checks

def _check_missing_columns(source: Source, schema: StructType) -> None:
    unknown = [c for c in source.missing_columns if c not in schema.fieldNames()]
    if unknown:
        raise SpecError(f"{unknown[0]!r} is not a column of source.schema", field="source.missing_columns")


def _check_csv_header(spark: SparkSession, source: CsvSource, schema: StructType, file: SourceFile) -> None:
    """The file's header must name the schema's columns, in order (Spark would read by position)."""
    line = _first_line(spark, file.path)
    if line is None:  # an empty file: no header, no rows
        return
    header = [name.strip() for name in next(csv.reader([line.lstrip("\ufeff")], delimiter=source.delimiter))]
    declared = schema.fieldNames()
    if [h.lower() for h in header] == [d.lower() for d in declared]:
        return
    lower = {h.lower() for h in header}
    missing = [d for d in declared if d.lower() not in lower]
    unexpected = [h for h in header if h.lower() not in {d.lower() for d in declared}]
    problem = (f"missing {', '.join(missing) or 'none'}, not declared {', '.join(unexpected) or 'none'}"
               if missing or unexpected else "the same columns in another order")
    raise DataError(f"source: {file.path}: the CSV header ({', '.join(header)}) does not match source.schema "
                    f"({', '.join(declared)}): {problem} (set source.header_match: position to read by position)")


def _require_columns(source: Source, schema: StructType, path: str, columns: list[str]) -> None:
    present = {c.lower() for c in columns}
    missing = [c for c in schema.fieldNames() if c.lower() not in present and c not in source.missing_columns]
    if missing:
        raise DataError(f"source: {path}: no column {', '.join(missing)} declared in source.schema "
                        "(list it in source.missing_columns if files may lack it)")


def _check_json_columns(spark: SparkSession, source: JsonSource, schema: StructType,
                        files: list[SourceFile]) -> None:
    """Every file with records must carry each declared column in at least one record."""
    if source.multiline:
        for f in files:
            if f.size:
                _require_columns(source, schema, f.path, spark.read.option("multiLine", True).json(f.path).columns)
        return
    keys = (spark.read.text([f.path for f in files])
            .select(F.input_file_name().alias("file"), F.explode(F.json_object_keys("value")).alias("key"))
            .groupBy("file").agg(F.collect_set("key").alias("keys")).collect())
    by_file = {_plain(row["file"]): row["keys"] for row in keys}
    for f in files:
        if f.size:
            _require_columns(source, schema, f.path, by_file.get(_plain(f.path), []))


def _parquet_columns(spark: SparkSession, path: str) -> list[str]:
    """The top-level columns in a Parquet file's footer (read on the driver: no Spark job)."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    try:
        reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
            jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(hadoop_path, conf))
    except Py4JJavaError:
        raise DataError(f"source: {path}: not a Parquet file (its footer cannot be read)") from None
    try:
        return [str(field.getName()) for field in reader.getFileMetaData().getSchema().getFields()]
    finally:
        reader.close()


# ----------------------------------------------------------------------------- helpers

def _first_line(spark: SparkSession, path: str) -> str | None:
    """The first line of a (possibly compressed) text file, read on the driver; None if it is empty."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    stream = hadoop_path.getFileSystem(conf).open(hadoop_path)
    codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(hadoop_path)
    if codec is not None:
        stream = codec.createInputStream(stream)
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
    try:
        line = reader.readLine()
        return None if line is None else str(line)
    finally:
        reader.close()


def _source_file(status) -> SourceFile:
    path = re.sub(r"^file:/+", "file:///", str(status.getPath().toString()))  # as Spark spells local files
    return SourceFile(path=path, size=int(status.getLen()), modified=int(status.getModificationTime()))


def _hidden(name: str) -> bool:
    """Spark skips files and folders whose name starts with ``_`` or ``.`` (``_SUCCESS``, ``.crc`` files)."""
    return name.startswith(("_", "."))


def _plain(uri: str) -> str:
    """A path without its ``file:`` scheme, as ``input_file_name`` and Hadoop spell it differently."""
    return re.sub(r"^file:(//)?", "", uri)


def _schema(ddl: str) -> StructType:
    try:
        return schema_from_ddl(ddl)
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
