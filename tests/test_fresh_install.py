"""Done when: a wheel of this checkout, installed into a fresh venv, creates and runs a project of its own.

The venv's ``lakehouse`` runs outside the repository, without ``PYTHONPATH``: its code, the
project template and the sample data all come from the installed wheel.  pyspark and
delta-spark come from pip's cache (or the index): the venv takes about 25 s to make.
The job starts its own Spark in a subprocess (run the test under the Spark lock, as every
Spark test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from chispa import assert_df_equality

from lakehouse.deploy.wheel import write_wheel
from tests.jobs import REPO

ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "LAKEHOUSE_PROFILE",
                                                          "LAKEHOUSE_CONF_DIR")} | {"SPARK_LOCAL_IP": "127.0.0.1"}


def _run(*argv, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{argv}: {done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """(venv folder, the wheel pip built from this checkout, seconds it took)."""
    tmp = tmp_path_factory.mktemp("fresh")
    started = time.monotonic()
    src = tmp / "src"  # a clean copy: pip writes build/ and *.egg-info next to the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "lakehouse", src / "lakehouse", ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp / "dist", src, cwd=tmp)
    [wheel] = (tmp / "dist").glob("lakehouse-*.whl")
    _run(sys.executable, "-m", "venv", tmp / "venv", cwd=tmp)
    _run(tmp / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet", f"{wheel}[spark]", cwd=tmp)
    return tmp / "venv", wheel, time.monotonic() - started


def test_a_fresh_install_inits_and_runs_a_project_outside_the_repository(venv, spark, tmp_path):
    folder, wheel, seconds = venv
    lakehouse = folder / "bin" / "lakehouse"
    where = _run(folder / "bin" / "python", "-c", "import lakehouse; print(lakehouse.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(folder) and not tmp_path.is_relative_to(REPO)
    assert seconds < 120, f"the venv took {seconds:.0f} s"

    _run(lakehouse, "init", tmp_path / "proj", cwd=tmp_path)
    _run(lakehouse, "validate", "proj/jobs", cwd=tmp_path)
    done = _run(lakehouse, "run", tmp_path / "proj" / "jobs", "--from", "2024-01-01", "--to", "2024-01-02",
                cwd=tmp_path)  # the project's jobs folder, both sample dates, one Spark start
    assert [line.split()[:3] for line in done.stdout.splitlines()[1:]] == [
        ["sales", "2024-01-01", "loaded"], ["sales", "2024-01-02", "loaded"]]

    table = spark.read.format("delta").load(str(tmp_path / "proj" / "data" / "lake" / "sales"))
    expected = spark.createDataFrame([(1, "coffee", 2), (3, "cake", 4), (4, "coffee", 1), (5, "tea", 2)],
                                     "sale_id BIGINT, product STRING, quantity INT")
    assert_df_equality(table.select("sale_id", "product", "quantity"), expected, ignore_row_order=True,
                       ignore_nullable=True)


def test_the_installed_lakehouse_ships_the_wheel_it_was_installed_from(venv, tmp_path):
    """`deploy` in the fresh venv rebuilds the installed files (RECORD) as the checkout's wheel, content-versioned."""
    folder, wheel, _ = venv
    with zipfile.ZipFile(wheel) as zf:
        expected = write_wheel({i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}, tmp_path / "ours")
    lakehouse = folder / "bin" / "lakehouse"
    _run(lakehouse, "init", tmp_path / "proj", cwd=tmp_path)
    _run(lakehouse, "deploy", "databricks-job", tmp_path / "proj" / "jobs" / "sales.yaml", "-o", tmp_path / "job.json",
         cwd=tmp_path)
    [shipped] = (tmp_path / "proj" / "build").glob("lakehouse-*.whl")
    assert shipped.name == expected.path.name
    assert shipped.read_bytes() == expected.path.read_bytes()
    assert expected.path.name in (tmp_path / "job.json").read_text()
