"""Environment profiles: the files in ``conf/`` (``local.yaml``, ``emr.yaml``, ...).

A profile says how to get a SparkSession with Delta on one platform and where the
storage roots that job specs name (``raw``, ``lake``, ...) live.  Job specs never
hold absolute paths; the profile does.  No Spark import here.

Example (``conf/local.yaml``)::

    spark:
      master: local[*]
      conf:
        spark.sql.session.timeZone: UTC
    delta:
      jars: maven
    roots:
      raw: data/raw
      lake: data/lake
    warehouse: data/warehouse
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from lakehouse.errors import SpecError
from lakehouse.spec.dates import zone
from lakehouse.spec.fields import Model
from lakehouse.spec.platform import Platform

JARS_DIR_ENV = "LAKEHOUSE_DELTA_JARS_DIR"
"""Environment variable naming a folder of jars to use instead of resolving Delta from Maven."""

DELTA_CONFS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
"""The Spark confs that enable Delta in a session (set by lakehouse and by ``spark-submit.sh``)."""


def _time_zone(name: str) -> str:
    zone(name)  # a ValueError for an unknown name
    return name


class SparkSettings(Model):
    master: str | None = Field(
        None, description="Spark master for a session lakehouse builds itself; unset leaves it to "
                          "spark-submit or the platform.")
    app_name: str = Field("lakehouse", description="Application name of a session lakehouse builds.")
    conf: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Spark confs applied when lakehouse builds the session.")


class DeltaSettings(Model):
    jars: Literal["maven", "provided", "dir"] = Field(
        "maven", description="`maven`: resolve the delta-spark jars matching the installed Python "
                             "package from Maven on first use (cached by Ivy). `provided`: the platform "
                             "has Delta on its classpath (EMR, Databricks). `dir`: use the jars in "
                             f"`jars_dir` (air-gapped machines; also set by ${JARS_DIR_ENV}).")
    jars_dir: str | None = Field(None, description="Folder of jars for `jars: dir`.")

    @model_validator(mode="after")
    def _dir_needs_folder(self) -> "DeltaSettings":
        if self.jars == "dir" and not self.jars_dir:
            raise ValueError("`jars: dir` needs `jars_dir`")
        return self


class AuditSettings(Model):
    retention_days: int = Field(
        30, ge=1, description="Default audit window: log and deleted-file retention of tables jobs "
                              "create, and the shortest retention `lakehouse vacuum` accepts.")


class CommitSettings(Model):
    """How a run retries a commit that lost to a concurrent writer (Delta's optimistic concurrency)."""

    retries: int = Field(
        3, ge=0, description="Times a conflicting write is retried, re-reading the table each time; then "
                             "the run exits 4 (retryable).")
    backoff_seconds: float = Field(
        2.0, ge=0, description="Wait before the first retry; each further retry waits twice as long "
                               "(with random jitter of ±50 %).")


class RunEvents(Model):
    """Who hears of a scheduled run, per event (the Jobs API's ``email_notifications`` and
    ``webhook_notifications`` keys). Job-level: a failure is reported once, after the last retry."""

    on_start: list[str] = Field(default_factory=list, description="Told when a run starts.")
    on_success: list[str] = Field(default_factory=list, description="Told when a run succeeds.")
    on_failure: list[str] = Field(
        default_factory=list, description="Told when a run fails or times out, after its last retry.")


class DeploySettings(Model):
    """How ``lakehouse deploy`` schedules runs on this platform (see the README, "Running on a cluster")."""

    artifacts: str | None = Field(
        None, description="Where the built wheel, driver script and job bundle are copied for scheduled "
                          "runs, e.g. `s3://bucket/lakehouse` (EMR) or `/Volumes/main/lakehouse/artifacts` "
                          "(Databricks).")
    schedule: str = Field("0 0 2 * * ?", description="Quartz cron expression of the daily run (Databricks).")
    timezone: str = Field("UTC", description="Time zone of `schedule`.")
    cluster: dict[str, Any] = Field(
        default_factory=dict, description="Databricks: the `new_cluster` of the job cluster, as in the "
                                          "Jobs API (`spark_version`, `node_type_id`, `num_workers`, ...).")
    max_retries: int = Field(
        2, ge=-1, description="Databricks: times a failed run of the task is started again (`0`: never, `-1`: "
                              "without limit). Databricks retries every failure, whatever the exit code.")
    min_retry_interval_millis: int = Field(
        300_000, ge=0, description="Databricks: least time between the start of a failed attempt and its retry.")
    retry_on_timeout: bool = Field(
        False, description="Databricks: also retry an attempt stopped by `timeout_seconds`.")
    timeout_seconds: int = Field(
        14_400, ge=0, description="Databricks: an attempt running longer is stopped and fails (`0`: no limit).")
    email_notifications: RunEvents = Field(
        default_factory=RunEvents, description="Databricks: email addresses told when a run starts, succeeds "
                                               "or fails (after its last retry), per event.")
    webhook_notifications: RunEvents = Field(
        default_factory=RunEvents, description="Databricks: notification destination IDs (set up by a workspace "
                                               "admin: Slack, Teams, PagerDuty, webhooks) called per event; at "
                                               "most 3 per event.")

    @model_validator(mode="after")
    def _three_destinations(self) -> "DeploySettings":
        for event, ids in self.webhook_notifications:
            if len(ids) > 3:
                raise ValueError(f"webhook_notifications.{event}: at most 3 destinations, got {len(ids)}")
        return self


class Profile(Model):
    """An environment: Spark settings, Delta setup and storage roots."""

    name: str = Field("", description="Set from the file name; not written in the file.")
    platform: Platform | None = Field(
        None, description="The platform and the Spark/Delta line it runs (EMR, Databricks); checked when "
                          "lakehouse gets its session. Unset: whatever pair is installed (local).")
    spark: SparkSettings = Field(default_factory=SparkSettings)
    delta: DeltaSettings = Field(default_factory=DeltaSettings)
    roots: dict[str, str] = Field(
        default_factory=dict, description="Logical root name: location (relative paths are relative to "
                                          "the project folder; URIs such as s3://, dbfs:/ or abfss:// "
                                          "are kept as they are).")
    warehouse: str | None = Field(None, description="spark.sql.warehouse.dir for a session lakehouse builds.")
    time_zone: Annotated[str, AfterValidator(_time_zone)] = Field(
        "UTC", description="Time zone in which `--date today`, `yesterday` and `today-N` are resolved "
                           "(an IANA name such as `Europe/Berlin`).")
    tables_root: str | None = Field(
        None, description="Where the first run creates a metastore table (`target.table`): an external table "
                          "at `<tables_root>/<schema>/<table>`. Unset: a managed table in the catalog's "
                          "default location.")
    deploy: DeploySettings = Field(default_factory=DeploySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    commit: CommitSettings = Field(default_factory=CommitSettings)
    _file: str = PrivateAttr("")
    """The file the profile was read from (set by :func:`lakehouse.spec.load.load_profile`)."""

    @model_validator(mode="after")
    def _runtime_on_line(self) -> "Profile":
        runtime = self.deploy.cluster.get("spark_version") if self.platform else None  # the Jobs API's own map
        problem = self.platform.databricks_mismatch(str(runtime)) if self.platform and runtime else None
        if problem:
            raise ValueError(f"deploy.cluster.spark_version: {problem}")
        return self

    @property
    def file(self) -> str:
        """The file the profile was read from ("" when built in code)."""
        return self._file or self.name

    def root(self, name: str, *, field: str) -> str:
        """The location of root ``name``; ``field`` names the spec field that asked for it."""
        try:
            return self.roots[name]
        except KeyError:
            known = ", ".join(sorted(self.roots)) or "none"
            raise SpecError(f"root {name!r} is not defined in profile {self.name!r} (roots: {known})",
                            field=field) from None

    def with_project_dir(self, project_dir: Path) -> "Profile":
        """Make relative local roots, the warehouse, tables_root and jars_dir absolute, relative to ``project_dir``."""
        def absolute(loc: str | None) -> str | None:
            if loc is None or is_uri(loc) or Path(loc).is_absolute():
                return loc
            return str((project_dir / loc).resolve())

        return self.model_copy(update={
            "roots": {k: absolute(v) for k, v in self.roots.items()},
            "warehouse": absolute(self.warehouse),
            "tables_root": absolute(self.tables_root),
            "delta": self.delta.model_copy(update={"jars_dir": absolute(self.delta.jars_dir)}),
        })


def conf_value(value: object) -> str:
    """A profile conf value as Spark spells it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def is_uri(location: str) -> bool:
    """True for ``s3://...``, ``dbfs:/...``, ``file:/...`` and the like (not for ``C:\\``-style paths)."""
    scheme, sep, _ = location.partition(":")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").isalnum()


def join(root: str, path: str) -> str:
    """Join a root location and a relative path with exactly one slash."""
    return root.rstrip("/") + "/" + path.lstrip("/")
