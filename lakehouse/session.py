"""The one place that builds a SparkSession with Delta enabled.

``get_spark(profile)`` reuses an existing session (``pyspark`` shell, Databricks,
EMR, ``spark-submit``) untouched, so the platform's settings win.  Otherwise it
builds one from the profile: the Delta SQL extension and catalog, the profile's
confs and warehouse, and the Delta jars resolved as the profile says.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse.errors import SpecError
from lakehouse.spec.profile import DELTA_CONFS, JARS_DIR_ENV, Profile, conf_value


def get_spark(profile: Profile) -> SparkSession:
    """Return the active SparkSession, or build one with Delta as ``profile`` says."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(profile.spark.app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit / pyspark own the JVM
    if profile.spark.master and not launched_by_spark_submit:
        builder = builder.master(profile.spark.master)
    for key, value in {**DELTA_CONFS, **profile.spark.conf}.items():
        builder = builder.config(key, conf_value(value))
    if profile.warehouse:
        builder = builder.config("spark.sql.warehouse.dir", profile.warehouse)
    if not launched_by_spark_submit:
        builder = _with_delta_jars(builder, profile)
    return builder.getOrCreate()


def _with_delta_jars(builder: SparkSession.Builder, profile: Profile) -> SparkSession.Builder:
    jars_dir = os.environ.get(JARS_DIR_ENV) or (profile.delta.jars_dir if profile.delta.jars == "dir" else None)
    if jars_dir:
        jars = sorted(Path(jars_dir).glob("*.jar"))
        if not jars:
            raise SpecError(f"no .jar files in {jars_dir}", field="delta.jars_dir")
        return builder.config("spark.jars", ",".join(str(j) for j in jars))
    if profile.delta.jars == "maven":
        from delta import configure_spark_with_delta_pip

        return configure_spark_with_delta_pip(builder)
    return builder  # "provided": the platform has Delta on its classpath


def isolated(spark: SparkSession) -> SparkSession:
    """A new session on ``spark``'s SparkContext, with its own SQL configuration and temporary views.

    Each job of a multi-job run commits through its own session, so the per-commit confs of
    :func:`lakehouse.table.lineage.commit_conf` (lineage, idempotency key) and the temporary views
    of SQL transforms never reach another job running at the same time.  The runtime confs set on
    ``spark`` (a notebook's ``spark.conf.set``, the shuffle partitions) are copied over."""
    session = spark.newSession()
    for key, value in spark.conf.getAll.items():
        if session.conf.isModifiable(key) and session.conf.get(key, None) != value:
            session.conf.set(key, value)
    return session
