"""What differs between the Spark/Delta lines lakehouse supports: the one place that knows.

lakehouse runs on Spark 3.5 with Delta 3.3 (Scala 2.12, Amazon EMR 7.x) and on Spark 4 with Delta 4.
Code elsewhere calls these functions instead of an API that only one line has:

* :func:`schema_from_ddl`: a DDL schema (``"id INT, name STRING"``) as a ``StructType``
  (``StructType.fromDDL`` exists from pyspark 4.0 only);
* :func:`runtime_confs`: the confs set on a session (``RuntimeConfig.getAll`` exists from pyspark 4.0 only);
* :func:`error_condition`: a Java ``SparkThrowable``'s error class (``getCondition`` from Spark 4.0,
  ``getErrorClass`` before it, deprecated in 4.0);
* :func:`parameterized_sql`: ``spark.sql(text, args=...)`` with its parameters bound on every line.  From
  Spark 4.1 the parser binds them, and Delta's parser drops them (delta-io/delta#7640, open for Delta 4.4):
  every ``:name`` would end in ``UNBOUND_SQL_PARAMETER``.  Spark's legacy substitution binds them after
  parsing, as Spark 3.5 and 4.0 do; it is set for the one call.
* :data:`READ_OLD_VERSIONS`: from Delta 4.4, reading or restoring a version committed longer ago than the
  table's ``delta.deletedFileRetentionDuration`` (7 days by default) is refused, whether or not its files are
  still there.  lakehouse checks that every file of a version is there (``TableLog.problem``) before it reads
  or restores one, so it sets these confs for that call and reads old versions as Delta 3.3 and 4.0 and
  delta-rs do: an audit of last month's load must not depend on the Delta line.
* :func:`delta_version` and :func:`type_widening_missing`: Delta features a line lacks.  Type widening
  (``delta.enableTypeWidening``) is a preview in Delta 3.3 that widens only BYTE, SHORT and INT, and lets a
  MERGE write DOUBLE values into a FLOAT column unwidened; lakehouse widens types on Delta 4.0 and later only,
  and refuses a job that asks for it on an older Delta with one line.

Spark is imported only inside the functions.  Example: ``schema_from_ddl("id INT")`` is
``StructType([StructField('id', IntegerType(), True)])`` on both lines.
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import TYPE_CHECKING, Any

from lakehouse.spec.platform import line_of
from lakehouse.table.lineage import commit_conf

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType

TYPE_WIDENING_SINCE = (4, 0)
"""The first Delta whose writes widen column types (INT to BIGINT, FLOAT to DOUBLE, DECIMAL precision)."""


def schema_from_ddl(ddl: str) -> "DataType":
    """``ddl`` parsed by Spark (a ``StructType`` for ``"a INT, b STRING"``); Spark's ``ParseException``
    or ``AnalysisException`` if it is not a schema.  Needs an active SparkContext on Spark 3.5."""
    from pyspark.sql.types import StructType

    from_ddl = getattr(StructType, "fromDDL", None)
    if from_ddl is not None:
        return from_ddl(ddl)
    from pyspark.sql.types import _parse_datatype_string  # what fromDDL calls on Spark 4

    return _parse_datatype_string(ddl)


READ_OLD_VERSIONS = {"spark.databricks.delta.vacuum.enforceTimeTravelWithinDeletedFileRetentionDuration": "false"}
"""Session confs under which Delta 4.4 reads a version older than the deleted-file retention (see above)."""

PARSER_BINDS_PARAMETERS_SINCE = (4, 1)
"""The first Spark whose parser binds SQL parameters (SPARK-53573), which Delta's parser wrapper drops."""
_LEGACY_PARAMETERS = "spark.sql.legacy.parameterSubstitution.constantsOnly"


def parameterized_sql(spark: "SparkSession", text: str, args: dict[str, Any]) -> "DataFrame":
    """``spark.sql(text, args=args)``, analysed, with ``args`` bound where a constant may stand on every line."""
    if _line(spark.version) < PARSER_BINDS_PARAMETERS_SINCE:
        return spark.sql(text, args=args)
    with commit_conf(spark, {_LEGACY_PARAMETERS: "true"}):
        return spark.sql(text, args=args)  # classic Spark analyses here, so the conf is no longer needed after


def _line(version: str) -> tuple[int, ...]:
    """``"4.2.0"`` -> ``(4, 2)`` (:func:`lakehouse.spec.platform.line_of`, as numbers to compare)."""
    return tuple(int(n) for n in line_of(version).split("."))


def runtime_confs(spark: "SparkSession") -> dict[str, str]:
    """Every conf set on ``spark``'s runtime configuration (its SQL confs and the SparkContext's)."""
    get_all = getattr(spark.conf, "getAll", None)
    if get_all is not None:
        return dict(get_all)
    jconf = spark.conf._jconf  # Spark 3.5: a Scala Map, made a Java one for py4j
    return {str(k): str(v) for k, v in dict(spark._jvm.scala.collection.JavaConverters.mapAsJavaMap(
        jconf.getAll())).items()}


def error_condition(java) -> str | None:
    """The error class of a Java ``SparkThrowable`` (e.g. ``DELTA_CONCURRENT_APPEND``), None if it has none."""
    from py4j.protocol import Py4JError

    for method in ("getCondition", "getErrorClass"):
        try:
            condition = getattr(java, method)()
        except (Py4JError, TypeError):  # not a method of this line's (or Delta's) exception
            continue
        return None if condition is None else str(condition)
    return None


def delta_version(spark: "SparkSession") -> str:
    """The Delta version of ``spark``'s JVM (e.g. ``3.3.3``); the installed delta-spark's where the JVM cannot
    be asked (Spark Connect)."""
    jvm = getattr(spark, "_jvm", None)
    return _jvm_delta_version(jvm) if jvm is not None else importlib.metadata.version("delta-spark")


@functools.cache
def _jvm_delta_version(jvm) -> str:
    from py4j.protocol import Py4JError

    try:
        return str(jvm.io.delta.package.VERSION())
    except Py4JError:  # Delta's jars do not say: the Python package is built for them
        return importlib.metadata.version("delta-spark")


def type_widening_missing(spark: "SparkSession") -> str | None:
    """None where ``spark``'s Delta widens column types on write; else why not, as part of one line."""
    version = delta_version(spark)
    if _line(version) >= TYPE_WIDENING_SINCE:
        return None
    return (f"type widening needs Delta {'.'.join(map(str, TYPE_WIDENING_SINCE))} or later, this session runs "
            f"Delta {version} on Spark {spark.version}")
