"""Scheduled runs: an EMR step and a Databricks job that run one job spec daily.

Both are plain dicts, ready for ``json.dump``:

* :func:`emr_step` is the ``--steps file://...`` argument of ``aws emr add-steps``:
  ``command-runner.jar`` running ``spark-submit`` in cluster deploy mode, with the
  artifacts of :mod:`lakehouse.package` copied to the profile's ``deploy.artifacts``
  (``s3://...``). EMR steps have no scheduler: the run date is a placeholder that
  whatever submits the step fills in (default ``{{ ds }}``, Airflow's run date).
* :func:`databricks_job` is a Jobs API 2.1 job (``POST /api/2.1/jobs/create`` or
  ``databricks jobs create --json @job.json``): a ``python_wheel_task`` calling the
  ``lakehouse`` entry point on a daily quartz schedule, the run date taken from the
  dynamic value reference ``{{job.start_time.iso_date}}``.

Nothing here imports Spark.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from lakehouse.loader import load_job
from lakehouse.package import BUNDLE_ALIAS, Artifacts, PackageError, relative_to_project, submit_command
from lakehouse.profile import Profile, conf_value

EMR_DATE_PLACEHOLDER = "{{ ds }}"
"""Default run date of an EMR step: filled in by the scheduler that submits it (Airflow's ``ds``)."""
DATABRICKS_RUN_DATE = "{{job.start_time.iso_date}}"
"""Databricks dynamic value reference: the date the scheduled run started, as YYYY-MM-DD."""
DATABRICKS_CLUSTER_KEY = "lakehouse"


def emr_step(job: str | os.PathLike, profile: Profile, artifacts: Artifacts, *, project_dir: str | os.PathLike,
             run_date: str = EMR_DATE_PLACEHOLDER, action_on_failure: str = "CONTINUE",
             confs: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The step list for ``aws emr add-steps --steps file://...``; ``artifacts`` are where the cluster reads them."""
    spec = load_job(job)
    args = submit_command(job, profile, artifacts, run_date=run_date, project_dir=project_dir,
                          deploy_mode="cluster", confs=confs)
    return [{"Type": "CUSTOM_JAR", "Name": f"lakehouse {spec.name} {run_date}",
             "ActionOnFailure": action_on_failure, "Jar": "command-runner.jar", "Args": args}]


def databricks_job(job: str | os.PathLike, profile: Profile, artifacts: Artifacts, *,
                   project_dir: str | os.PathLike, existing_cluster_id: str | None = None) -> dict[str, Any]:
    """A Jobs API 2.1 job definition running ``job`` daily on the profile's schedule.

    ``artifacts`` are the uploaded files (``/Volumes/...`` or ``dbfs:/...``); the bundle
    must be uploaded unpacked, as ``<artifacts>/bundle/``, so the driver reads the spec.
    """
    spec = load_job(job)
    folder = artifacts.bundle.rsplit("/", 1)[0]
    spec_path = _driver_path(f"{folder}/{BUNDLE_ALIAS}/{relative_to_project(job, project_dir)}")
    key = spec.name.replace(".", "_")
    task: dict[str, Any] = {
        "task_key": key,
        "description": spec.description or f"lakehouse job {spec.name}",
        "python_wheel_task": {
            "package_name": "lakehouse",
            "entry_point": "lakehouse",
            "parameters": ["run", spec_path, "--date", DATABRICKS_RUN_DATE, "--profile", profile.name],
        },
        "libraries": [{"whl": artifacts.wheel}],
    }
    definition: dict[str, Any] = {"name": f"lakehouse-{key}", "tasks": [task]}
    if existing_cluster_id:
        task["existing_cluster_id"] = existing_cluster_id
    elif profile.deploy.cluster:
        task["job_cluster_key"] = DATABRICKS_CLUSTER_KEY
        spark_conf = {k: conf_value(v) for k, v in profile.spark.conf.items()}
        definition["job_clusters"] = [{"job_cluster_key": DATABRICKS_CLUSTER_KEY,
                                       "new_cluster": {"spark_conf": spark_conf, **profile.deploy.cluster}}]
    else:
        raise PackageError(f"profile {profile.name!r} has no deploy.cluster; set it or pass --cluster-id")
    definition["schedule"] = {"quartz_cron_expression": profile.deploy.schedule,
                              "timezone_id": profile.deploy.timezone, "pause_status": "UNPAUSED"}
    definition["max_concurrent_runs"] = 1
    return definition


def _driver_path(location: str) -> str:
    """Where Python on the driver reads ``location``: ``dbfs:/x`` is the FUSE path ``/dbfs/x``."""
    if location.startswith("dbfs:/"):
        return "/dbfs/" + location[len("dbfs:/"):].lstrip("/")
    return location
