#!/usr/bin/env bash
# Run a lakehouse job through spark-submit (README: "Running on a cluster"):
#
#   ./spark-submit.sh JOB.yaml --date YYYY-MM-DD [--profile NAME] [--master MASTER]
#                     [--deploy-mode client|cluster] [--conf KEY=VALUE]... [--dry-run] [--force]
#
# Builds (or reuses, when unchanged) into the job's project's build/ the lakehouse wheel
# (lakehouse-<version>+<digest>-py3-none-any.whl and its copy lakehouse-<digest>.zip), lakehouse_main.py
# and lakehouse-bundle-<digest>.zip (lakehouse.yaml, jobs/, conf/, sql/), then runs spark-submit with the
# profile's Delta setup and Spark confs. The project is the nearest folder above JOB.yaml holding
# lakehouse.yaml (e.g. examples/shop); the profile defaults to the project's defaults.profile, the
# master to the profile's spark.master.
# --dry-run prints the exact spark-submit command instead of running it. $SPARK_SUBMIT picks another
# spark-submit (e.g. /usr/bin/spark-submit on an EMR master node); the default is the venv's.
# All the logic lives in lakehouse/deploy/package.py (`lakehouse submit`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-$here/.venv}
[ -x "$venv/bin/lakehouse" ] || make -C "$here" install >&2
exec "$venv/bin/lakehouse" submit "$@"
