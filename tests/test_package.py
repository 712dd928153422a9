"""Building the wheel and the job bundle, and the commands that use them (through the CLI)."""

import json
import shlex
import shutil
import zipfile
from pathlib import Path

import pytest

from lakehouse.cli.main import execute
from lakehouse.deploy.package import build
from tests.conftest import REPO


def _copy_project(target: Path) -> Path:
    for folder in ("jobs", "conf", "sql"):
        shutil.copytree(REPO / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the repo's project, built once (pip builds the wheel: a few seconds)."""
    project = _copy_project(tmp_path_factory.mktemp("project"))
    return project, build(project)


def test_wheel_holds_the_package_and_its_entry_point(built):
    _, artifacts = built
    with zipfile.ZipFile(artifacts.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read("lakehouse-0.1.0.dist-info/entry_points.txt").decode()
    assert {"lakehouse/cli/main.py", "lakehouse/deploy/package.py", "lakehouse/spec/job.py"} <= names
    assert not [n for n in names if "__pycache__" in n]
    assert "lakehouse = lakehouse.cli.main:main" in entry_points
    assert Path(artifacts.py_files).read_bytes() == Path(artifacts.wheel).read_bytes()


def test_bundle_holds_jobs_profiles_and_sql(built):
    project, artifacts = built
    with zipfile.ZipFile(artifacts.bundle) as bundle:
        names = sorted(bundle.namelist())
    expected = sorted(p.relative_to(project).as_posix() for folder in ("jobs", "conf", "sql")
                      for p in (project / folder).iterdir())
    assert names == expected and "jobs/orders.yaml" in names and "sql/orders_clean.sql" in names


def test_unchanged_inputs_reuse_the_artifacts_changed_jobs_rebuild_the_bundle(built, tmp_path):
    _, first = built
    build_dir = tmp_path / "build"
    shutil.copytree(Path(first.wheel).parent, build_dir)
    project = _copy_project(tmp_path / "project")
    stamps = {p.name: p.stat().st_mtime_ns for p in build_dir.iterdir()}

    build(project, build_dir)
    assert {p.name: p.stat().st_mtime_ns for p in build_dir.iterdir()} == stamps

    (project / "jobs" / "orders.yaml").write_text((project / "jobs" / "orders.yaml").read_text() + "# changed\n")
    again = build(project, build_dir)
    assert Path(again.wheel).stat().st_mtime_ns == stamps[Path(again.wheel).name]
    with zipfile.ZipFile(again.bundle) as bundle:
        assert bundle.read("jobs/orders.yaml").decode().endswith("# changed\n")


def test_submit_dry_run_prints_the_command(built, capsys):
    project, artifacts = built
    job = project / "jobs" / "orders.yaml"
    assert execute(["submit", str(job), "--date", "2024-03-02", "--profile", "emr", "--deploy-mode", "cluster",
                 "--dry-run"]) == 0
    printed = shlex.split(capsys.readouterr().out)
    assert printed[1:5] == ["--master", "yarn", "--deploy-mode", "cluster"]
    assert printed[-9:] == ["--archives", f"{artifacts.bundle}#bundle", artifacts.driver, "run",
                            "bundle/jobs/orders.yaml", "--date", "2024-03-02", "--profile", "emr"]


def test_deploy_emr_step_writes_steps_json(built, tmp_path):
    project, _ = built
    out = tmp_path / "step.json"
    assert execute(["deploy", "emr-step", str(project / "jobs" / "orders.yaml"), "--date", "2024-03-02",
                 "--artifacts", "s3://bucket/lh/", "-o", str(out)]) == 0
    [step] = json.loads(out.read_text())
    assert step["Jar"] == "command-runner.jar" and step["Args"][0] == "spark-submit"
    assert step["Args"][-7:] == ["s3://bucket/lh/lakehouse_main.py", "run", "bundle/jobs/orders.yaml",
                                 "--date", "2024-03-02", "--profile", "emr"]


def test_cli_reports_a_missing_artifacts_location_in_one_line(built, capsys):
    project, _ = built
    (project / "conf" / "bare.yaml").write_text("spark: {master: yarn}\n")
    assert execute(["deploy", "emr-step", str(project / "jobs" / "orders.yaml"), "--profile", "bare"]) == 2
    assert capsys.readouterr().err.strip() == ("error: profile 'bare' sets no deploy.artifacts; "
                                               "pass --artifacts URI")
