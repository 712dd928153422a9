#!/usr/bin/env bash
# Run a lakehouse job through spark-submit:  ./spark-submit.sh JOB.yaml --date YYYY-MM-DD [--profile NAME] [run options]
# The profile defaults to `local`; the master to local[*] (override with MASTER=...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-$here/.venv}
[ -x "$venv/bin/python" ] || make -C "$here" install >&2
py=$venv/bin/python

delta_version=$("$py" -c 'import importlib.metadata as m; print(m.version("delta-spark"))')
entry=$("$py" -c 'import lakehouse.cli as c; print(c.__file__)')
profile=()
[[ " $* " == *" --profile "* ]] || profile=(--profile "${LAKEHOUSE_PROFILE:-local}")

export PYSPARK_PYTHON=$py PYSPARK_DRIVER_PYTHON=$py SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
exec "$venv/bin/spark-submit" \
  --master "${MASTER:-local[*]}" \
  --packages "io.delta:delta-spark_2.13:$delta_version" \
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension \
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog \
  "$entry" run "$@" "${profile[@]}"
