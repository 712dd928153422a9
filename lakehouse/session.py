"""The one place that builds a SparkSession with Delta enabled.

``get_spark(profile)`` reuses an existing session (``pyspark`` shell, Databricks,
EMR, ``spark-submit``) untouched, so the platform's settings win.  Otherwise it
builds one from the profile: the Delta SQL extension and catalog, the profile's
confs and warehouse, and the Delta jars as the profile says (``maven``: resolved once
into lakehouse's jar cache, :mod:`lakehouse.runtime.jars`, and passed as ``spark.jars``;
``dir``: the folder's jars; ``provided``: none).  Unless ``verbose`` (``--debug``) or
``provided``, the JVM logs through lakehouse's quiet log4j configuration
(:data:`lakehouse.runtime.LOG4J_CONFIG`): warnings and errors, without the start-up banner;
and its stderr reaches ours without the JVM's ``WARNING: Using incubator modules`` line.
Example: ``get_spark(load_profile("local", "conf"))`` on a laptop starts ``local[*]`` with
``spark.jars`` from ``~/.cache/lakehouse/jars/delta-spark_4.2_2.13-4.4.0/`` (the default pair) and prints nothing.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import IO

from pyspark.sql import SparkSession

from lakehouse.errors import SpecError
from lakehouse.runtime import quiet_java_options
from lakehouse.runtime.compat import runtime_confs
from lakehouse.spec.platform import mismatch
from lakehouse.spec.profile import DELTA_CONFS, Profile, conf_value

JAVA_OPTIONS = "spark.driver.extraJavaOptions"
"""Read by Spark's launcher before the driver JVM starts (pyspark passes the builder's confs to it)."""
INCUBATOR_WARNING = b"WARNING: Using incubator modules:"


def get_spark(profile: Profile, *, verbose: bool = False) -> SparkSession:
    """Return the active SparkSession, or build one with Delta as ``profile`` says (quiet unless ``verbose``)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return on_platform_line(active, profile)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit / pyspark own the JVM
    confs = {"spark.app.name": profile.spark.app_name}
    if profile.spark.master and not launched_by_spark_submit:
        confs["spark.master"] = profile.spark.master
    confs |= {**DELTA_CONFS, **{key: conf_value(value) for key, value in profile.spark.conf.items()}}
    if profile.warehouse:
        confs["spark.sql.warehouse.dir"] = profile.warehouse
    if not launched_by_spark_submit:
        confs = _with_delta_jars(confs, profile, verbose=verbose)
        if not verbose and profile.delta.jars != "provided":  # a platform's log configuration stays
            confs[JAVA_OPTIONS] = quiet_java_options(confs.pop(JAVA_OPTIONS, ""))
            _start_quiet_jvm(confs)
    return on_platform_line(SparkSession.builder.config(map=confs).getOrCreate(), profile)


def on_platform_line(spark: SparkSession, profile: Profile) -> SparkSession:
    """``spark``, if it runs the Spark (and Delta) line of ``profile.platform``; else a SpecError naming the
    profile's field (rules in :mod:`lakehouse.spec.platform`)."""
    if profile.platform is None:
        return spark
    delta = None
    if profile.delta.jars == "maven":  # the jars are the installed delta-spark's
        from importlib.metadata import version

        delta = version("delta-spark")
    found = mismatch(profile.platform, spark.version, delta)
    if found:
        raise SpecError(found[1], file=profile.file, field=found[0])
    return spark


def _with_delta_jars(confs: dict[str, str], profile: Profile, *, verbose: bool) -> dict[str, str]:
    """``confs`` with the Delta jars (:func:`lakehouse.runtime.jars.profile_jars`) in front of the profile's
    own ``spark.jars``."""
    from lakehouse.runtime.jars import profile_jars

    jars = profile_jars(profile, verbose=verbose)
    if not jars:  # the platform has Delta on its classpath
        return confs
    return {**confs, "spark.jars": ",".join([*map(str, jars), *_listed(confs, "spark.jars")])}


def _listed(confs: dict[str, str], key: str) -> list[str]:
    """A comma-separated conf as a list (empty if unset)."""
    return [item.strip() for item in confs.get(key, "").split(",") if item.strip()]


def _start_quiet_jvm(confs: dict[str, str]) -> None:
    """Start the driver JVM and its SparkContext as ``getOrCreate`` would, but with the JVM's stderr passed
    through :func:`_forward`.  A JVM of an earlier, stopped session is reused as it is."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        return
    conf = SparkConf().setAll(list(confs.items()))
    gateway = launch_gateway(conf, popen_kwargs={"stderr": subprocess.PIPE})
    threading.Thread(target=_forward, args=(gateway.proc.stderr,), name="lakehouse-jvm-stderr", daemon=True).start()
    SparkContext(conf=conf, gateway=gateway)


def _forward(stream: IO[bytes]) -> None:
    """Copy the JVM's stderr to ours, without the line the JVM prints about the Vector API module Spark's
    launcher always adds (``WARNING: Using incubator modules: jdk.incubator.vector``)."""
    for line in iter(stream.readline, b""):
        if not line.startswith(INCUBATOR_WARNING):
            view = memoryview(line)
            while view:
                view = view[os.write(2, view):]


def isolated(spark: SparkSession) -> SparkSession:
    """A new session on ``spark``'s SparkContext, with its own SQL configuration and temporary views.

    Each job of a multi-job run commits through its own session, so the per-commit confs of
    :func:`lakehouse.table.lineage.commit_conf` (lineage, idempotency key) and the temporary views
    of SQL transforms never reach another job running at the same time.  The runtime confs set on
    ``spark`` (a notebook's ``spark.conf.set``, the shuffle partitions) are copied over."""
    session = spark.newSession()
    for key, value in runtime_confs(spark).items():
        if session.conf.isModifiable(key) and session.conf.get(key, None) != value:
            session.conf.set(key, value)
    return session
