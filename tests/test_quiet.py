"""A successful ``lakehouse run`` prints its summary and nothing else; ``--debug`` brings Spark's log back.

Each test runs the ``lakehouse`` command in a process of its own (its own JVM), as a user's shell does.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lakehouse.runtime import quiet_java_options
from lakehouse.runtime.jars import cache_folder, delta_coordinates
from lakehouse.spec.profile import JARS_DIR_ENV
from tests.jobs import merge_spec, raw

MAX_STDERR_LINES = 2
"""A successful run of a small job prints at most this many stderr lines (measured: none); room for a
real warning of the machine, never for the start-up noise of NOISE."""
NOISE = re.compile(r"incubator modules|log4j|log level|:: |ivy|\bINFO\b|NativeCodeLoader|^\s+at [\w.$]+\(",
                   re.IGNORECASE)
"""Start-up noise: the JVM's incubator warning, the log4j banner, Ivy's resolution report, INFO lines,
the native-Hadoop warning, Java stack frames."""


def _lakehouse(project, *argv: str) -> subprocess.CompletedProcess:
    job = project / "jobs" / "things.yaml"
    job.write_text(yaml.safe_dump(merge_spec()))
    raw(project, "2024-01-01", "1,a,2024-01-01,1,I", "2,b,2024-01-01,1,I")
    return subprocess.run([sys.executable, "-m", "lakehouse", *argv, "run", str(job), "--date", "2024-01-01"],
                          capture_output=True, text=True, timeout=300, cwd=project)


def test_a_successful_run_prints_its_summary_and_no_start_up_noise(project):
    done = _lakehouse(project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("job things · run date 2024-01-01")
    lines = done.stderr.splitlines()
    noise = [line for line in lines if NOISE.search(line)]
    assert len(lines) <= MAX_STDERR_LINES and not noise, (
        f"{len(lines)} stderr lines (at most {MAX_STDERR_LINES}, none of them start-up noise):\n" + done.stderr)


def test_debug_shows_spark_start_up_log_and_lakehouse_info_lines(project):
    done = _lakehouse(project, "--debug")
    assert done.returncode == 0, done.stderr
    # Spark's own log configuration (Spark 4 also names it: "Using Spark's default log4j profile")
    assert 'Setting default log level to "WARN".' in done.stderr
    assert "info: read 2 rows, 2 to write" in done.stderr
    assert len(done.stderr.splitlines()) > MAX_STDERR_LINES


@pytest.mark.skipif(bool(os.environ.get(JARS_DIR_ENV)), reason=f"${JARS_DIR_ENV} gives the session other jars")
def test_a_local_session_gets_the_cached_delta_jars_and_the_quiet_log_configuration(spark):
    conf = spark.sparkContext.getConf()
    jars = [Path(jar) for jar in conf.get("spark.jars").split(",")]
    assert {jar.parent for jar in jars} == {cache_folder(delta_coordinates())}
    assert conf.get("spark.jars.packages", None) is None  # nothing for Ivy to resolve at start-up
    assert quiet_java_options() in conf.get("spark.driver.extraJavaOptions")  # after the launcher's own options


@pytest.mark.parametrize("debug", [False, True])
def test_submit_runs_spark_submit_with_the_quiet_log_configuration_unless_debug(project, tmp_path, debug):
    fake = tmp_path / "spark-submit"
    fake.write_text('#!/bin/sh\necho "SPARK_SUBMIT_OPTS=$SPARK_SUBMIT_OPTS"\n')
    fake.chmod(0o755)
    job = project / "jobs" / "things.yaml"
    job.write_text(yaml.safe_dump(merge_spec()))
    done = subprocess.run([sys.executable, "-m", "lakehouse", *(["--debug"] if debug else []), "submit", str(job),
                           "--date", "2024-01-01"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SPARK_SUBMIT": str(fake), "SPARK_SUBMIT_OPTS": "-Dmine=1"})
    assert done.returncode == 0, done.stderr
    options = "-Dmine=1" if debug else f"{quiet_java_options()} -Dmine=1"
    assert done.stdout.splitlines() == [f"SPARK_SUBMIT_OPTS={options}"]
