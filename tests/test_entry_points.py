"""Every entry point exits with the documented code, also when its caller ignores return values.

Databricks' ``python_wheel_task`` loads the package's entry point, calls it and ignores what it
returns; only an exit (SystemExit) makes the task fail.  These tests run each entry point in its
own process, the way its launcher does.
"""

import subprocess
import sys

import yaml

from lakehouse.deploy.package import DRIVER_SCRIPT
from tests.jobs import merge_spec

DATABRICKS_LAUNCHER = """
import sys
from importlib.metadata import entry_points

(entry,) = [e for e in entry_points(group="console_scripts") if e.name == "lakehouse"]
sys.argv = ["lakehouse", *sys.argv[1:]]
entry.load()()  # the return value is ignored, as Databricks ignores it
"""


def _code(*argv: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr


def test_the_databricks_wheel_launcher_sees_a_failed_run(project):
    job = project / "jobs" / "things.yaml"
    job.write_text(yaml.safe_dump(merge_spec()))
    code, err = _code("-c", DATABRICKS_LAUNCHER, "run", str(job), "--date", "2024-01-01", "--profile", "test")
    assert code == 3  # a data error: no raw files for the date
    assert err.splitlines()[-1] == (f"error: {job}: source.path: no files match "
                                    f"{project}/raw/things/2024-01-01/*.csv")
    code, err = _code("-c", DATABRICKS_LAUNCHER, "run", str(project / "jobs" / "nope.yaml"), "--date", "2024-01-01")
    assert (code, err) == (2, f"error: {project}/jobs/nope.yaml: file not found\n")


def test_python_dash_m_and_the_spark_submit_driver_script_exit_with_the_code(project, tmp_path):
    missing = str(project / "jobs" / "nope.yaml")
    assert _code("-m", "lakehouse", "run", missing, "--date", "2024-01-01")[0] == 2
    driver = tmp_path / "lakehouse_main.py"
    driver.write_text(DRIVER_SCRIPT)
    assert _code(str(driver), "run", missing, "--date", "2024-01-01")[0] == 2
    assert _code(str(driver), "run", missing)[0] == 2  # a usage mistake: --date is missing
    assert _code(str(driver), "--help")[0] == 0
