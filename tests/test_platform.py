"""The Spark/Delta line a profile targets: checked when the profile is read (the pair, a Databricks
runtime) and when lakehouse gets its session (the running Spark). No Spark here but the fixture's session."""

import textwrap

import pytest

from lakehouse.errors import SpecError
from lakehouse.spec.load import load_profile
from lakehouse.spec.platform import SUPPORTED, line_of


def _profile(tmp_path, text: str):
    path = tmp_path / "conf" / "p.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return load_profile(str(path))


def _error(tmp_path, text: str) -> str:
    with pytest.raises(SpecError) as err:
        _profile(tmp_path, text)
    return str(err.value).replace(str(tmp_path / "conf" / "p.yaml"), "p.yaml")


def test_the_example_profiles_name_their_lines():
    from pathlib import Path

    conf = Path(__file__).parent.parent / "examples" / "shop" / "conf"
    lines = {name: load_profile(name, conf).platform for name in ("emr", "databricks", "local")}
    assert {name: p and (p.spark, p.delta) for name, p in lines.items()} == {
        "emr": ("3.5", "3.3"), "databricks": ("4.0", "4.0"), "local": None}


def test_an_unsupported_pair_is_refused(tmp_path):
    assert _error(tmp_path, """\
        platform: {name: EMR 8.x, spark: "4.1", delta: "4.2"}
        """) == ("p.yaml:1: platform: Spark 4.1 with Delta 4.2 is not a pair lakehouse supports (Spark 3.5 with "
                 "Delta 3.3, Spark 4.0 with Delta 4.0, Spark 4.2 with Delta 4.4)")


def test_a_line_is_major_dot_minor(tmp_path):
    assert _error(tmp_path, 'platform: {name: EMR 7.x, spark: "3.5.2", delta: "3.3"}\n') == \
        "p.yaml:1: platform.spark: '3.5.2' is not a line: write major.minor, e.g. \"3.5\""


def test_a_databricks_runtime_must_run_the_line(tmp_path):
    assert _error(tmp_path, """\
        platform: {name: Databricks 17.3 LTS, spark: "4.0", delta: "4.0"}
        deploy:
          cluster: {spark_version: 16.4.x-scala2.13, num_workers: 1}
        """) == ("p.yaml:1: deploy.cluster.spark_version: Databricks runtime 16.4.x-scala2.13 runs Spark 3.5, "
                 "but platform.spark is 4.0")
    ok = _profile(tmp_path, """\
        platform: {name: Databricks 15.4 LTS, spark: "3.5", delta: "3.3"}
        deploy:
          cluster: {spark_version: 15.4.x-scala2.12}
        """)
    assert ok.platform.spark == "3.5"


def test_the_session_must_run_the_profiles_line(spark, tmp_path):
    from lakehouse.session import get_spark

    running = line_of(spark.version)
    other = next(s for s in SUPPORTED if s != running)
    wrong = _profile(tmp_path, f'platform: {{name: a cluster, spark: "{other}", delta: "{SUPPORTED[other]}"}}\n'
                               "delta: {jars: provided}\n")
    with pytest.raises(SpecError) as err:
        get_spark(wrong)
    assert str(err.value) == (f"{tmp_path}/conf/p.yaml: platform.spark: the profile targets a cluster "
                              f"(Spark {other}), but the session runs Spark {spark.version}")
    right = _profile(tmp_path, f'platform: {{name: here, spark: "{running}", delta: "{SUPPORTED.get(running, "x")}"}}\n'
                               "delta: {jars: provided}\n") if running in SUPPORTED else None
    assert right is None or get_spark(right) is spark
