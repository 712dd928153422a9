"""A real distributed run: a Spark standalone master and worker on 127.0.0.1, a job through spark-submit.sh.

The master and worker are started from the installed pyspark's own jars; the job's
tasks run in an executor JVM the worker launches, and the test reads the table the
job wrote in its own session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from lakehouse.spec.load import load_job
from tests.jobs import REPO, SHOP

SPARK_HOME = Path(pyspark.__file__).resolve().parent
SCALA_VERSION = next(SPARK_HOME.glob("jars/spark-core_*.jar")).name.split("_")[1].split("-")[0]
# The worker builds its executors' command line from SPARK_HOME's jars; outside a Spark
# distribution (no bin/load-spark-env.sh run) it must be told the Scala version too.
# spark-submit.sh runs the venv of the tests (VENV), so the driver is the pair the cluster runs.
ENV = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME": str(SPARK_HOME),
       "SPARK_SCALA_VERSION": SCALA_VERSION, "VENV": sys.prefix}


@dataclass(frozen=True)
class Cluster:
    url: str
    ui: str
    work_dir: Path

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.ui}/json/", timeout=5) as response:
            return json.load(response)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _daemon(main_class: str, *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(["java", "-Xmx256m", "-cp", f"{SPARK_HOME / 'jars'}/*", main_class, *args],
                            env=ENV, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """Stop a daemon and what it launched (the worker's executors share its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    logs = tmp_path_factory.mktemp("spark-cluster")
    port, ui = _free_port(), _free_port()
    cluster = Cluster(url=f"spark://127.0.0.1:{port}", ui=f"http://127.0.0.1:{ui}", work_dir=logs / "work")
    daemons = [_daemon("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                       "--webui-port", str(ui), log=logs / "master.log")]
    try:
        daemons.append(_daemon("org.apache.spark.deploy.worker.Worker", cluster.url, "--host", "127.0.0.1",
                               "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port()),
                               "--work-dir", str(cluster.work_dir), log=logs / "worker.log"))
        deadline = time.monotonic() + 90
        while True:
            try:
                if cluster.state()["aliveworkers"] == 1:
                    break
            except OSError:
                pass  # the master's UI is not up yet
            if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
                pytest.fail("the standalone worker did not register:\n"
                            + "\n".join(p.read_text()[-2000:] for p in sorted(logs.glob("*.log"))))
            time.sleep(1)
        yield cluster
    finally:
        for daemon in reversed(daemons):
            _stop(daemon)


@pytest.fixture
def demo_project(tmp_path) -> Path:
    """A copy of the demo project's lakehouse.yaml, jobs, profiles and SQL with the customers data."""
    shutil.copy(SHOP / "lakehouse.yaml", tmp_path)
    for folder in ("jobs", "conf", "sql"):
        shutil.copytree(SHOP / folder, tmp_path / folder)
    shutil.copytree(SHOP / "data" / "raw" / "customers", tmp_path / "data" / "raw" / "customers")
    return tmp_path


def test_job_runs_in_the_workers_executor(cluster, demo_project, spark):
    result = subprocess.run(
        [str(REPO / "spark-submit.sh"), str(demo_project / "jobs" / "customers.yaml"), "--date", "2024-03-01",
         "--master", cluster.url, "--conf", "spark.driver.memory=1g", "--conf", "spark.executor.memory=1g",
         "--conf", "spark.cores.max=1"],
        env=ENV, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "  wrote       4 inserted, 0 updated, 0 deleted (creates the table)\n" in result.stdout
    apps = cluster.state()["completedapps"]
    assert len(apps) == 1 and apps[0]["state"] == "FINISHED"
    executor_log = cluster.work_dir / apps[0]["id"] / "0" / "stderr"
    assert "Finished task" in executor_log.read_text()  # the tasks ran in the worker's executor JVM

    source = load_job(demo_project / "jobs" / "customers.yaml").source
    raw = (spark.read.schema(source.schema_).json(str(demo_project / "data" / "raw" / "customers" / "2024-03-01"))
           .withColumnRenamed("name", "full_name")
           .withColumn("valid_from", F.col("updated_at")).withColumn("valid_to", F.lit(None).cast("timestamp"))
           .withColumn("is_current", F.lit(True)))  # a history table: every first version is current
    table = spark.read.format("delta").load(str(demo_project / "data" / "lake" / "customers"))
    assert_df_equality(table, raw, ignore_row_order=True, ignore_nullable=True)
