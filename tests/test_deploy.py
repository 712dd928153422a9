"""Generated spark-submit commands per profile, and the EMR and Databricks definitions checked against
the JSON schemas of the APIs that take them."""

import argparse
import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from lakehouse.deploy.jobs import databricks_job, emr_step
from lakehouse.cli.deploy import add_deploy_commands
from lakehouse.spec.load import load_profile
from lakehouse.deploy.package import Artifacts, PackageError, submit_command
from lakehouse.runtime.jars import delta_coordinates
from lakehouse.spec.profile import DeploySettings, RunEvents
from tests.jobs import SHOP

EXPECTED = Path(__file__).parent / "expected"
SCHEMAS = Path(__file__).parent / "schemas"
"""JSON schemas written from the AWS EMR and Databricks Jobs API references (see each file's description)."""
BUILT = Artifacts(wheel="build/lakehouse-0.1.0+0123456789ab-py3-none-any.whl", py_files="build/lakehouse-0123456789ab.zip",
                  driver="build/lakehouse_main.py", bundle="build/lakehouse-bundle-ba9876543210.zip")
"""Artifacts as :func:`lakehouse.deploy.package.build` names them (content digests made up)."""
DELTA_CONFS = ["--conf", "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
               "--conf", "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog"]
PROFILES = {
    "laptop": "spark: {master: 'local[2]', conf: {spark.ui.enabled: false}}\ndelta: {jars: maven}\n",
    "onprem": "spark: {master: 'spark://head:7077'}\ndelta: {jars: dir, jars_dir: jars}\n",
    "yarn": "spark: {master: yarn, conf: {spark.executor.memory: 4g}}\ndelta: {jars: provided}\n",
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with jobs/orders.yaml, a few profiles and a folder of Delta jars."""
    monkeypatch.delenv("LAKEHOUSE_DELTA_JARS_DIR", raising=False)
    for folder in ("jobs", "conf", "jars"):
        (tmp_path / folder).mkdir()
    (tmp_path / "jobs" / "orders.yaml").write_text((SHOP / "jobs" / "orders.yaml").read_text())
    (tmp_path / "jars" / "delta-spark_2.13-4.0.1.jar").touch()
    for name, text in PROFILES.items():
        (tmp_path / "conf" / f"{name}.yaml").write_text(text)
    return tmp_path


def _command(project, profile, **kwargs):
    return submit_command(project / "jobs" / "orders.yaml", load_profile(profile, project / "conf"), BUILT,
                          run_date="2024-03-02", project_dir=project, **kwargs)


def test_local_profile_resolves_delta_from_maven(project):
    assert _command(project, "laptop", run_args=["--force"]) == [
        "spark-submit", "--master", "local[2]", "--deploy-mode", "client",
        "--packages", ",".join(delta_coordinates()), *DELTA_CONFS, "--conf", "spark.ui.enabled=false",
        "--py-files", "build/lakehouse-0123456789ab.zip", "build/lakehouse_main.py",
        "run", str(project / "jobs" / "orders.yaml"), "--date", "2024-03-02", "--profile", "laptop", "--force"]


def test_jars_dir_profile_ships_the_jars_and_forwards_master_and_confs(project):
    assert _command(project, "onprem", master="spark://other:7077", confs=["spark.cores.max=2"]) == [
        "spark-submit", "--master", "spark://other:7077", "--deploy-mode", "client",
        "--jars", str(project / "jars" / "delta-spark_2.13-4.0.1.jar"), *DELTA_CONFS,
        "--conf", "spark.cores.max=2", "--py-files", "build/lakehouse-0123456789ab.zip", "build/lakehouse_main.py",
        "run", str(project / "jobs" / "orders.yaml"), "--date", "2024-03-02", "--profile", "onprem"]


def test_yarn_cluster_mode_ships_the_bundle_and_reads_the_spec_from_it(project):
    assert _command(project, "yarn", deploy_mode="cluster", confs=["spark.executor.memory=8g"]) == [
        "spark-submit", "--master", "yarn", "--deploy-mode", "cluster", *DELTA_CONFS,
        "--conf", "spark.executor.memory=8g", "--py-files", "build/lakehouse-0123456789ab.zip",
        "--archives", "build/lakehouse-bundle-ba9876543210.zip#bundle", "build/lakehouse_main.py",
        "run", "bundle/jobs/orders.yaml", "--date", "2024-03-02", "--profile", "yarn"]


@pytest.mark.parametrize("profile, kwargs, message", [
    ("onprem", {"deploy_mode": "cluster"}, "use --deploy-mode client"),
    ("yarn", {"confs": ["spark.executor.memory"]}, "--conf expects key=value"),
])
def test_impossible_submissions_are_refused(project, profile, kwargs, message):
    with pytest.raises(PackageError, match=message):
        _command(project, profile, **kwargs)


def test_databricks_profile_has_no_spark_submit():
    with pytest.raises(PackageError, match="deploy databricks-job"):
        submit_command(SHOP / "jobs" / "orders.yaml", load_profile("databricks", SHOP / "conf"), BUILT,
                       run_date="2024-03-02", project_dir=SHOP)


def _emr_steps(shape):
    return emr_step(SHOP / "jobs" / "orders.yaml", load_profile("emr", SHOP / "conf"),
                    BUILT.at("s3://example-artifacts/lakehouse"), project_dir=SHOP, shape=shape)


def _databricks_job(profile=None, **kwargs):
    return databricks_job(SHOP / "jobs" / "customers.yaml", profile or load_profile("databricks", SHOP / "conf"),
                          BUILT.at("/Volumes/main/lakehouse/artifacts"), project_dir=SHOP, **kwargs)


def _databricks_profile(**deploy):
    """The shipped databricks profile with some ``deploy`` settings replaced."""
    profile = load_profile("databricks", SHOP / "conf")
    return profile.model_copy(update={"deploy": profile.deploy.model_copy(update=deploy)})


def _schema(name):
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))


@pytest.mark.parametrize("shape, expected", [("cli", "emr-step-orders.json"), ("api", "emr-step-orders-api.json")])
def test_emr_step_matches_expected_json(shape, expected):
    assert _emr_steps(shape) == json.loads((EXPECTED / expected).read_text())


def test_emr_shapes_wrap_the_same_step():
    [cli], [api] = _emr_steps("cli"), _emr_steps("api")
    assert api["HadoopJarStep"] == {"Jar": cli["Jar"], "Args": cli["Args"]}
    assert {k: api[k] for k in ("Name", "ActionOnFailure")} == {k: cli[k] for k in ("Name", "ActionOnFailure")}


def test_databricks_job_matches_expected_json():
    assert _databricks_job() == json.loads((EXPECTED / "databricks-job-customers.json").read_text())


@pytest.mark.parametrize("schema, definition", [
    ("emr_step_cli", lambda: _emr_steps("cli")),
    ("emr_step_api", lambda: _emr_steps("api")),
    ("databricks_job", _databricks_job),
    ("databricks_job", lambda: _databricks_job(existing_cluster_id="0101-abc")),
])
def test_definitions_follow_the_api_schemas(schema, definition):
    _schema(schema).validate(definition())


@pytest.mark.parametrize("schema, definition, wrong", [
    ("emr_step_api", lambda: _emr_steps("cli"), "'HadoopJarStep' is a required property"),
    ("emr_step_cli", lambda: _emr_steps("api"), "Additional properties are not allowed ('HadoopJarStep'"),
    ("databricks_job", lambda: {**_databricks_job(), "webhook_notifications": {"on_failure": ["abc"]}},
     "'abc' is not of type 'object'"),
    ("databricks_job", lambda: {**_databricks_job(), "tasks": [{**_databricks_job()["tasks"][0], "max_retry": 2}]},
     "Additional properties are not allowed ('max_retry'"),
])
def test_schemas_refuse_a_wrong_shape(schema, definition, wrong):
    errors = [error.message for error in _schema(schema).iter_errors(definition())]
    assert any(message.startswith(wrong) for message in errors), errors


def test_emr_step_strings_fit_the_api_limit():
    """AddJobFlowSteps: the strings of one HadoopJarStep total at most 10240 characters (not a schema rule)."""
    [step] = _emr_steps("api")
    jar = step["HadoopJarStep"]
    assert len(jar["Jar"]) + sum(map(len, jar["Args"])) <= 10240


def test_databricks_job_takes_retries_timeout_and_notifications_from_the_profile():
    job = _databricks_job(_databricks_profile(max_retries=0, retry_on_timeout=True,
                                              email_notifications=RunEvents(on_start=["a@example.com"]),
                                              webhook_notifications=RunEvents(on_failure=["hook-1", "hook-2"])))
    task = job["tasks"][0]
    assert (task["max_retries"], task["retry_on_timeout"], task["timeout_seconds"]) == (0, True, 7200)
    assert job["email_notifications"] == {"on_start": ["a@example.com"]}
    assert job["webhook_notifications"] == {"on_failure": [{"id": "hook-1"}, {"id": "hook-2"}]}
    _schema("databricks_job").validate(job)


def test_a_profile_without_notifications_sends_none():
    job = _databricks_job(_databricks_profile(email_notifications=RunEvents()))
    assert "email_notifications" not in job and "webhook_notifications" not in job


@pytest.mark.parametrize("options, expected", [([], "emr-step-orders.json"),
                                               (["--shape", "api"], "emr-step-orders-api.json")])
def test_deploy_emr_step_command_prints_the_shape_asked_for(options, expected, monkeypatch, tmp_path):
    monkeypatch.setattr("lakehouse.deploy.package.build", lambda project: BUILT)  # the artifacts as they are named
    parser = argparse.ArgumentParser()
    add_deploy_commands(parser.add_subparsers())
    out = tmp_path / "steps.json"
    args = parser.parse_args(["deploy", "emr-step", str(SHOP / "jobs" / "orders.yaml"), "-o", str(out), *options])
    assert args.handler(args) == 0
    assert json.loads(out.read_text()) == json.loads((EXPECTED / expected).read_text())


def test_more_than_three_webhooks_per_event_are_refused():
    with pytest.raises(ValidationError, match="webhook_notifications.on_failure: at most 3 destinations"):
        DeploySettings(webhook_notifications={"on_failure": ["a", "b", "c", "d"]})


def test_databricks_job_on_an_existing_cluster_reads_dbfs_artifacts_through_fuse():
    job = databricks_job(SHOP / "jobs" / "customers.yaml", load_profile("databricks", SHOP / "conf"),
                         BUILT.at("dbfs:/lakehouse"), project_dir=SHOP, existing_cluster_id="0101-abc")
    task = job["tasks"][0]
    assert task["existing_cluster_id"] == "0101-abc" and "job_clusters" not in job
    assert task["python_wheel_task"]["parameters"][1] == "/dbfs/lakehouse/lakehouse-bundle-ba9876543210/jobs/customers.yaml"
    assert task["libraries"] == [{"whl": "dbfs:/lakehouse/lakehouse-0.1.0+0123456789ab-py3-none-any.whl"}]


def test_packaging_and_deploy_do_not_import_spark():
    import subprocess
    import sys

    code = ("import sys, lakehouse.cli.main, lakehouse.deploy.jobs, lakehouse.cli.deploy, lakehouse.deploy.package; "
            "sys.exit('pyspark' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
