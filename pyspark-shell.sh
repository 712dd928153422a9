#!/usr/bin/env bash
# A pyspark shell with Delta and lakehouse configured:  ./pyspark-shell.sh [pyspark options]
# Inside it:  from lakehouse.audit.shell import *
# The session time zone is UTC, as in the local profiles (conf/local.yaml of a project); the master defaults to local[*] (MASTER=...).
# The Delta jars come from lakehouse's jar cache (resolved on first use, README: "Quiet start-up"), and the
# shell logs through lakehouse's log4j configuration (warnings and errors); DEBUG=1 keeps Spark's own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-$here/.venv}
[ -x "$venv/bin/python" ] || make -C "$here" install >&2
py=$venv/bin/python
jars=$("$py" -m lakehouse.runtime.jars)
log_options=()
[ -n "${DEBUG:-}" ] || log_options=(--driver-java-options "$("$py" -c 'from lakehouse.runtime import quiet_java_options; print(quiet_java_options())')")

export PYSPARK_PYTHON=$py PYSPARK_DRIVER_PYTHON=${PYSPARK_DRIVER_PYTHON:-$py} SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
exec "$venv/bin/pyspark" \
  --master "${MASTER:-local[*]}" \
  --jars "$jars" \
  "${log_options[@]}" \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  --conf spark.sql.session.timeZone=UTC \
  "$@"
