"""Generated spark-submit commands per profile, and the EMR and Databricks definitions."""

import json
from pathlib import Path

import pytest

from lakehouse.deploy import databricks_job, emr_step
from lakehouse.loader import load_profile
from lakehouse.package import Artifacts, PackageError, submit_command
from tests.conftest import REPO

EXPECTED = Path(__file__).parent / "expected"
BUILT = Artifacts(wheel="build/lakehouse-0.1.0-py3-none-any.whl", py_files="build/lakehouse.zip",
                  driver="build/lakehouse_main.py", bundle="build/lakehouse-bundle.zip")
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
    (tmp_path / "jobs" / "orders.yaml").write_text((REPO / "jobs" / "orders.yaml").read_text())
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
        "--packages", "io.delta:delta-spark_2.13:4.0.1", *DELTA_CONFS, "--conf", "spark.ui.enabled=false",
        "--py-files", "build/lakehouse.zip", "build/lakehouse_main.py",
        "run", str(project / "jobs" / "orders.yaml"), "--date", "2024-03-02", "--profile", "laptop", "--force"]


def test_jars_dir_profile_ships_the_jars_and_forwards_master_and_confs(project):
    assert _command(project, "onprem", master="spark://other:7077", confs=["spark.cores.max=2"]) == [
        "spark-submit", "--master", "spark://other:7077", "--deploy-mode", "client",
        "--jars", str(project / "jars" / "delta-spark_2.13-4.0.1.jar"), *DELTA_CONFS,
        "--conf", "spark.cores.max=2", "--py-files", "build/lakehouse.zip", "build/lakehouse_main.py",
        "run", str(project / "jobs" / "orders.yaml"), "--date", "2024-03-02", "--profile", "onprem"]


def test_yarn_cluster_mode_ships_the_bundle_and_reads_the_spec_from_it(project):
    assert _command(project, "yarn", deploy_mode="cluster", confs=["spark.executor.memory=8g"]) == [
        "spark-submit", "--master", "yarn", "--deploy-mode", "cluster", *DELTA_CONFS,
        "--conf", "spark.executor.memory=8g", "--py-files", "build/lakehouse.zip",
        "--archives", "build/lakehouse-bundle.zip#bundle", "build/lakehouse_main.py",
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
        submit_command(REPO / "jobs" / "orders.yaml", load_profile("databricks", REPO / "conf"), BUILT,
                       run_date="2024-03-02", project_dir=REPO)


def test_emr_step_matches_expected_json():
    steps = emr_step(REPO / "jobs" / "orders.yaml", load_profile("emr", REPO / "conf"),
                     BUILT.at("s3://example-artifacts/lakehouse"), project_dir=REPO)
    assert steps == json.loads((EXPECTED / "emr-step-orders.json").read_text())


def test_databricks_job_matches_expected_json():
    job = databricks_job(REPO / "jobs" / "customers.yaml", load_profile("databricks", REPO / "conf"),
                         BUILT.at("/Volumes/main/lakehouse/artifacts"), project_dir=REPO)
    assert job == json.loads((EXPECTED / "databricks-job-customers.json").read_text())


def test_databricks_job_on_an_existing_cluster_reads_dbfs_artifacts_through_fuse():
    job = databricks_job(REPO / "jobs" / "customers.yaml", load_profile("databricks", REPO / "conf"),
                         BUILT.at("dbfs:/lakehouse"), project_dir=REPO, existing_cluster_id="0101-abc")
    task = job["tasks"][0]
    assert task["existing_cluster_id"] == "0101-abc" and "job_clusters" not in job
    assert task["python_wheel_task"]["parameters"][1] == "/dbfs/lakehouse/bundle/jobs/customers.yaml"
    assert task["libraries"] == [{"whl": "dbfs:/lakehouse/lakehouse-0.1.0-py3-none-any.whl"}]


def test_packaging_and_deploy_do_not_import_spark():
    import subprocess
    import sys

    code = ("import sys, lakehouse.cli, lakehouse.deploy, lakehouse.deploy_cli, lakehouse.package; "
            "sys.exit('pyspark' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
