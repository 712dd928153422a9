"""One Delta-enabled local SparkSession per test run, built by lakehouse itself.

Tests get a fresh profile per test whose storage roots live in the test's tmp
folder, and a ``run`` fixture that writes a job spec plus raw files and runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lakehouse.spec.load import load_job, load_profile
from lakehouse.session import get_spark
from tests.jobs import REPO, SHOP, make_project  # noqa: F401 - REPO: tests import it from here


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("warehouse")
    profile = load_profile("local", SHOP / "conf").model_copy(update={"warehouse": str(warehouse)})
    session = get_spark(profile)
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.shuffle.partitions", "2")  # tiny test data: fewer, faster tasks
    # VACUUM lists the table folder with this many tasks (Spark's default 10000: ~30 s per vacuum here)
    session.conf.set("spark.sql.sources.parallelPartitionDiscovery.parallelism", "4")
    yield session
    session.stop()


@pytest.fixture
def project(tmp_path) -> Path:
    """A throw-away project folder: conf/test.yaml with roots under tmp_path, jobs/, sql/, raw/."""
    return make_project(tmp_path)


@pytest.fixture
def profile(project):
    return load_profile("test", project / "conf")


def write_spec(project: Path, spec: dict, name: str = "job") -> Path:
    path = project / "jobs" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def write_raw(project: Path, relative: str, text: str) -> Path:
    path = project / "raw" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def run(spark, project, profile):
    """``run(spec_dict, date, **kw)``: write the spec to jobs/ and run it; returns the RunSummary."""
    from lakehouse.run.runner import run_job

    def _run(spec: dict, run_date: str, **kwargs):
        job = load_job(write_spec(project, spec))
        return run_job(job, profile, run_date, project_dir=project, spark=spark, **kwargs)

    return _run


@pytest.fixture(scope="session")
def audit_table(spark, tmp_path_factory):
    """The table of tests/audit_data.py, built once: three merge runs (versions 0, 1, 2)."""
    from tests.audit_data import build

    return build(spark, tmp_path_factory.mktemp("audit"))
