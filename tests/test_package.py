"""Building the wheel and the job bundle, and the commands that use them (through the CLI)."""

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lakehouse.cli.main import execute
from lakehouse.deploy.package import build
from lakehouse.deploy.wheel import wheel_from_distribution
from tests.jobs import SHOP


def _copy_project(target: Path) -> Path:
    shutil.copy(SHOP / "lakehouse.yaml", target / "lakehouse.yaml")
    for folder in ("jobs", "conf", "sql"):
        shutil.copytree(SHOP / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the demo project, built once (pip builds the wheel: a few seconds)."""
    project = _copy_project(tmp_path_factory.mktemp("project"))
    return project, build(project)


def test_wheel_is_named_by_its_content_and_its_record_is_right(built):
    _, artifacts = built
    name = Path(artifacts.wheel).name
    version = re.fullmatch(r"lakehouse-(0\.1\.0\+([0-9a-f]{12}))-py3-none-any\.whl", name).group(1)
    with zipfile.ZipFile(artifacts.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"lakehouse-{version}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"lakehouse-{version}.dist-info/entry_points.txt").decode()
        record = list(csv.reader(io.StringIO(wheel.read(f"lakehouse-{version}.dist-info/RECORD").decode())))
        for path, digest, size in record[:-1]:
            data = wheel.read(path)
            sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, size) == (f"sha256={sha}", str(len(data))), path
    assert {"lakehouse/cli/main.py", "lakehouse/deploy/package.py", "lakehouse/spec/job.py"} <= names
    assert not [n for n in names if "__pycache__" in n]
    assert f"\nVersion: {version}\n" in metadata
    assert "lakehouse = lakehouse.cli.main:main" in entry_points
    assert sorted(row[0] for row in record) == sorted(names) and record[-1][1:] == ["", ""]
    assert Path(artifacts.py_files).read_bytes() == Path(artifacts.wheel).read_bytes()


def test_bundle_holds_the_project_file_jobs_profiles_and_sql(built):
    project, artifacts = built
    with zipfile.ZipFile(artifacts.bundle) as bundle:
        names = sorted(bundle.namelist())
    expected = sorted(["lakehouse.yaml", *(p.relative_to(project).as_posix() for folder in ("jobs", "conf", "sql")
                                           for p in (project / folder).iterdir())])
    assert names == expected and "jobs/orders.yaml" in names and "sql/orders_clean.sql" in names
    assert re.fullmatch(r"lakehouse-bundle-[0-9a-f]{12}\.zip", Path(artifacts.bundle).name)


def test_same_inputs_give_the_same_names_and_bytes_a_changed_job_a_new_bundle(built, tmp_path):
    _, first = built
    project = _copy_project(tmp_path)
    again = build(project, tmp_path / "build")
    assert [Path(p).name for p in (again.wheel, again.py_files, again.bundle)] == \
        [Path(p).name for p in (first.wheel, first.py_files, first.bundle)]
    assert Path(again.bundle).read_bytes() == Path(first.bundle).read_bytes()
    assert Path(again.wheel).read_bytes() == Path(first.wheel).read_bytes()

    (project / "jobs" / "orders.yaml").write_text((project / "jobs" / "orders.yaml").read_text() + "# changed\n")
    changed = build(project, tmp_path / "build")
    assert Path(changed.bundle).name != Path(first.bundle).name and changed.wheel == again.wheel
    assert not Path(again.bundle).exists()  # the old bundle is gone from build/
    with zipfile.ZipFile(changed.bundle) as bundle:
        assert bundle.read("jobs/orders.yaml").decode().endswith("# changed\n")


def test_an_installed_lakehouse_ships_as_the_same_wheel_until_its_code_changes(built, tmp_path):
    """Rebuilt from an installed distribution's RECORD: the wheel it was installed from; a changed
    file gives another name."""
    _, artifacts = built
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(site), artifacts.wheel], check=True)
    dist = importlib.metadata.Distribution.at(next(site.glob("lakehouse-*.dist-info")))
    same = wheel_from_distribution(dist, tmp_path / "a")
    assert same.path.name == Path(artifacts.wheel).name
    assert same.path.read_bytes() == Path(artifacts.wheel).read_bytes()

    with (site / "lakehouse" / "errors.py").open("a") as module:
        module.write("# patched\n")
    patched = wheel_from_distribution(dist, tmp_path / "b")
    assert patched.digest != same.digest and patched.path.name == f"lakehouse-0.1.0+{patched.digest}-py3-none-any.whl"
    with zipfile.ZipFile(patched.path) as wheel:
        assert wheel.read("lakehouse/errors.py").decode().endswith("# patched\n")


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
    assert step["Args"][-9:-7] == ["--archives", f"s3://bucket/lh/{Path(built[1].bundle).name}#bundle"]
    assert step["Args"][-7:] == ["s3://bucket/lh/lakehouse_main.py", "run", "bundle/jobs/orders.yaml",
                                 "--date", "2024-03-02", "--profile", "emr"]


def test_cli_reports_a_missing_artifacts_location_in_one_line(built, capsys):
    project, _ = built
    (project / "conf" / "bare.yaml").write_text("spark: {master: yarn}\n")
    assert execute(["deploy", "emr-step", str(project / "jobs" / "orders.yaml"), "--profile", "bare"]) == 2
    assert capsys.readouterr().err.strip() == ("error: profile 'bare' sets no deploy.artifacts; "
                                               "pass --artifacts URI")
