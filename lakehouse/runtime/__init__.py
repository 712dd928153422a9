"""What a JVM that lakehouse starts itself needs besides Spark: the Delta jars and a quiet log.

* :mod:`lakehouse.runtime.jars`: the Delta jars, resolved once into lakehouse's own cache folder.
* :data:`LOG4J_CONFIG`: the log4j2 configuration shipped in this package (warnings and errors only,
  without the start-up messages); :func:`quiet_java_options` puts it in front of a JVM's options.

Nothing here imports Spark.  Example: a local session started with
``spark.driver.extraJavaOptions = quiet_java_options("-Xss4m")`` logs through ``LOG4J_CONFIG``.
"""

from __future__ import annotations

from pathlib import Path

LOG4J_CONFIG = Path(__file__).resolve().with_name("log4j2.properties")
"""The quiet log4j2 configuration (package data)."""


def quiet_java_options(options: str = "") -> str:
    """``-Dlog4j.configurationFile=<LOG4J_CONFIG>`` followed by ``options``: a
    ``-Dlog4j.configurationFile`` of the caller's own comes later on the command line, so it wins."""
    return " ".join(filter(None, [f"-Dlog4j.configurationFile={LOG4J_CONFIG.as_uri()}", options.strip()]))
