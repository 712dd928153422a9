"""Scheduled runs: an EMR step and a Databricks job that run one job spec daily.

Both are plain dicts, ready for ``json.dump``:

* :func:`emr_step` is a step list running ``command-runner.jar`` → ``spark-submit`` in
  cluster deploy mode, with the artifacts of :mod:`lakehouse.deploy.package` copied to the
  profile's ``deploy.artifacts`` (``s3://...``), in one of two shapes (:data:`EMR_SHAPES`):
  ``cli``, the ``--steps file://...`` argument of ``aws emr add-steps`` (flat ``Type``,
  ``Jar``, ``Args``), or ``api``, the ``Steps`` of the AddJobFlowSteps API (boto3
  ``add_job_flow_steps``, Airflow's ``EmrAddStepsOperator``: ``HadoopJarStep``). EMR
  steps have no scheduler: the run date is a placeholder that whatever submits the step
  fills in (default ``{{ ds }}``, Airflow's run date).
* :func:`databricks_job` is a Jobs API 2.1 job (``POST /api/2.1/jobs/create`` or
  ``databricks jobs create --json @job.json``): a ``python_wheel_task`` calling the
  ``lakehouse`` entry point on a daily quartz schedule, the run date taken from the
  dynamic value reference ``{{job.start_time.iso_date}}``; its retries, timeout and
  notifications come from the profile's ``deploy`` settings.

Neither platform can retry on a particular exit code: a retry follows every failure.

Nothing here imports Spark.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from lakehouse.spec.load import load_job
from lakehouse.deploy.package import Artifacts, PackageError, relative_to_project, submit_command
from lakehouse.spec.profile import DeploySettings, Profile, RunEvents, conf_value

EMR_DATE_PLACEHOLDER = "{{ ds }}"
"""Default run date of an EMR step: filled in by the scheduler that submits it (Airflow's ``ds``)."""
DATABRICKS_RUN_DATE = "{{job.start_time.iso_date}}"
"""Databricks dynamic value reference: the date the scheduled run started, as YYYY-MM-DD."""
DATABRICKS_CLUSTER_KEY = "lakehouse"
EMR_ACTIONS_ON_FAILURE = ("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER")
"""What EMR does when the step fails (``ActionOnFailure``)."""
EMR_DEFAULT_ACTION_ON_FAILURE = "CONTINUE"
"""The cluster goes on with its next step."""
EMR_SHAPES: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "cli": lambda step, jar: {"Type": "CUSTOM_JAR", **step, **jar},
    "api": lambda step, jar: {**step, "HadoopJarStep": jar},
}
"""How a step (``Name``, ``ActionOnFailure``) and its jar (``Jar``, ``Args``) are put together:
``cli`` for ``aws emr add-steps --steps file://...``, ``api`` for AddJobFlowSteps (boto3, Airflow)."""
EMR_DEFAULT_SHAPE = "cli"


def emr_step(job: str | os.PathLike, profile: Profile, artifacts: Artifacts, *, project_dir: str | os.PathLike,
             run_date: str = EMR_DATE_PLACEHOLDER, action_on_failure: str = EMR_DEFAULT_ACTION_ON_FAILURE,
             confs: Sequence[str] = (), shape: str = EMR_DEFAULT_SHAPE) -> list[dict[str, Any]]:
    """The one step that runs ``job``, in ``shape`` (a key of :data:`EMR_SHAPES`).

    ``artifacts`` are where the cluster reads the files; the arguments are the same in every shape.
    """
    spec = load_job(job)
    args = submit_command(job, profile, artifacts, run_date=run_date, project_dir=project_dir,
                          deploy_mode="cluster", confs=confs)
    step = {"Name": f"lakehouse {spec.name} {run_date}", "ActionOnFailure": action_on_failure}
    return [EMR_SHAPES[shape](step, {"Jar": "command-runner.jar", "Args": args})]


def databricks_job(job: str | os.PathLike, profile: Profile, artifacts: Artifacts, *,
                   project_dir: str | os.PathLike, existing_cluster_id: str | None = None) -> dict[str, Any]:
    """A Jobs API 2.1 job definition running ``job`` daily on the profile's schedule.

    ``artifacts`` are the uploaded files (``/Volumes/...`` or ``dbfs:/...``); the bundle
    must be uploaded unpacked, as ``<artifacts>/lakehouse-bundle-<digest>/``
    (:attr:`Artifacts.bundle_folder`), so the driver reads the spec.
    """
    spec = load_job(job)
    spec_path = _driver_path(f"{artifacts.bundle_folder}/{relative_to_project(job, project_dir)}")
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
        **_retries(profile.deploy),
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
    if emails := _notified(profile.deploy.email_notifications, spelled=str):
        definition["email_notifications"] = emails
    if webhooks := _notified(profile.deploy.webhook_notifications, spelled=lambda id_: {"id": id_}):
        definition["webhook_notifications"] = webhooks
    return definition


def _retries(deploy: DeploySettings) -> dict[str, Any]:
    """The task's retry policy and timeout, as the profile sets them (Jobs API task fields)."""
    return {"timeout_seconds": deploy.timeout_seconds, "max_retries": deploy.max_retries,
            "min_retry_interval_millis": deploy.min_retry_interval_millis,
            "retry_on_timeout": deploy.retry_on_timeout}


def _notified(events: RunEvents, *, spelled: Callable[[str], Any]) -> dict[str, list[Any]]:
    """The events that name anyone, each recipient as ``spelled`` makes it; empty when nobody is told.

    Job-level notifications: Databricks sends none for a failed attempt that is retried, so
    ``on_failure`` hears of a run once, after its last attempt.
    """
    return {event: [spelled(target) for target in targets] for event, targets in events if targets}


def _driver_path(location: str) -> str:
    """Where Python on the driver reads ``location``: ``dbfs:/x`` is the FUSE path ``/dbfs/x``."""
    if location.startswith("dbfs:/"):
        return "/dbfs/" + location[len("dbfs:/"):].lstrip("/")
    return location
