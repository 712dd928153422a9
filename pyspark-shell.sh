#!/usr/bin/env bash
# A pyspark shell with Delta and lakehouse configured:  ./pyspark-shell.sh [pyspark options]
# Inside it:  from lakehouse.audit.shell import *
# The session time zone is UTC, as in the local profiles (conf/local.yaml of a project); the master defaults to local[*] (MASTER=...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-$here/.venv}
[ -x "$venv/bin/python" ] || make -C "$here" install >&2
py=$venv/bin/python
delta_version=$("$py" -c 'import importlib.metadata as m; print(m.version("delta-spark"))')

export PYSPARK_PYTHON=$py PYSPARK_DRIVER_PYTHON=${PYSPARK_DRIVER_PYTHON:-$py} SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
exec "$venv/bin/pyspark" \
  --master "${MASTER:-local[*]}" \
  --packages "io.delta:delta-spark_2.13:$delta_version" \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  --conf spark.sql.session.timeZone=UTC \
  "$@"
