"""The Delta jar cache (lakehouse.runtime.jars): resolved once from Maven, without the artifacts Spark ships
itself, checked, resolved again when broken, one folder per set of coordinates, never fooled by a local
Maven repository.

These tests run Ivy (a small JVM, no Spark) and download the Delta jars (a few MB) into a temporary cache.
"""

import importlib.metadata
import json
import shutil
from pathlib import Path

import pyspark
import pytest

from lakehouse.runtime.jars import (CACHE_ENV, LAYOUT, MARKER, JarsError, cache_folder, cached_jars, checked,
                                    delta_coordinates, spark_artifacts)

COORDINATES = delta_coordinates()
GROUP, ARTIFACT, VERSION = COORDINATES[0].split(":")
POM_ONLY = f"""<project><modelVersion>4.0.0</modelVersion><groupId>{GROUP}</groupId>
<artifactId>{ARTIFACT}</artifactId><version>{VERSION}</version></project>"""


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """The installed delta-spark's jars resolved into an empty cache, while the JVM's home holds a local Maven
    repository with delta-spark's POM but not its jar (which makes Spark's own --packages fail)."""
    root, home = tmp_path_factory.mktemp("jars"), tmp_path_factory.mktemp("home")
    pom = home / ".m2" / "repository" / GROUP.replace(".", "/") / ARTIFACT / VERSION / f"{ARTIFACT}-{VERSION}.pom"
    pom.parent.mkdir(parents=True)
    pom.write_text(POM_ONLY)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(CACHE_ENV, str(root))
        env.setenv("JAVA_TOOL_OPTIONS", f"-Duser.home={home}")  # the JVM's ~ (Java ignores $HOME)
        return root, cached_jars(COORDINATES)


@pytest.fixture
def cache(resolved, monkeypatch):
    root, jars = resolved
    monkeypatch.setenv(CACHE_ENV, str(root))
    return root, jars


def test_the_coordinates_are_the_installed_delta_spark_built_for_the_installed_spark_scala_line():
    """``io.delta:delta-spark_2.12:3.3.3`` with Spark 3.5, ``io.delta:delta-spark_2.13:4.0.1`` with Spark 4.0 (from
    Delta 4.1 the Spark line is in the name too: ``delta-spark_4.2_2.13``)."""
    scala = next(Path(pyspark.__file__).parent.glob("jars/spark-core_*.jar")).name.split("_")[1].split("-")[0]
    assert GROUP == "io.delta" and ARTIFACT.startswith("delta-spark_") and ARTIFACT.endswith(f"_{scala}")
    assert VERSION == importlib.metadata.version("delta-spark")


def test_the_jars_are_resolved_into_a_folder_named_by_the_coordinates(cache):
    root, jars = cache
    folder = root / f"{ARTIFACT}-{VERSION}"
    assert cache_folder(COORDINATES) == folder
    assert f"{GROUP}_{ARTIFACT}-{VERSION}.jar" in [jar.name for jar in jars]
    assert all(jar.parent == folder and jar.stat().st_size > 0 for jar in jars)
    marker = json.loads((folder / MARKER).read_text())
    assert marker == {"layout": LAYOUT, "coordinates": list(COORDINATES),
                      "jars": {jar.name: jar.stat().st_size for jar in jars}}
    assert sorted(p.name for p in root.iterdir()) == [folder.name]  # no temporary folders left


def test_artifacts_spark_ships_are_left_out(cache):
    _, jars = cache
    shipped = set(spark_artifacts())
    assert {"hadoop-client-api", "jackson-databind", "log4j-core", "parquet-hadoop", "zstd-jni"} <= shipped
    assert "log4j-1.2-api" in shipped  # a name holding "-digit"
    assert {"jackson-module-scala_2.12", "jackson-module-scala_2.13"} & shipped  # one holding the Scala line
    assert not [jar.name for jar in jars if any(jar.name.split("_", 1)[1].startswith(f"{name}-") for name in shipped)]


def test_a_checked_folder_is_used_without_running_ivy(cache, monkeypatch):
    root, jars = cache
    monkeypatch.setenv("JAVA_HOME", str(root / "no-java"))  # resolving now would fail: no java there
    assert cached_jars(COORDINATES) == jars


@pytest.mark.parametrize("damage", ["no marker", "truncated jar", "missing jar", "other coordinates", "older layout"])
def test_a_damaged_folder_fails_its_check(cache, tmp_path, damage):
    folder = shutil.copytree(cache_folder(COORDINATES), tmp_path / "copy")
    jar = folder / f"{GROUP}_{ARTIFACT}-{VERSION}.jar"
    assert checked(folder, COORDINATES) == sorted(folder.glob("*.jar"))
    if damage == "no marker":
        (folder / MARKER).unlink()
    elif damage == "truncated jar":
        jar.write_bytes(jar.read_bytes()[:100])
    elif damage == "missing jar":
        jar.unlink()
    elif damage == "older layout":  # resolved by an older lakehouse, with Spark's own jars in it
        marker = json.loads((folder / MARKER).read_text())
        del marker["layout"]
        (folder / MARKER).write_text(json.dumps(marker))
    else:
        assert checked(folder, ("io.delta:delta-spark_2.12:3.3.0",)) is None
        return
    assert checked(folder, COORDINATES) is None


def test_an_interrupted_resolution_is_done_again(cache, monkeypatch, tmp_path):
    shutil.copytree(cache_folder(COORDINATES), tmp_path / cache_folder(COORDINATES).name)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    (cache_folder(COORDINATES) / MARKER).unlink()  # the marker is written last: the jars may be incomplete
    jars = cached_jars(COORDINATES)
    assert [jar.name for jar in jars] == [jar.name for jar in cache[1]]
    assert checked(cache_folder(COORDINATES), COORDINATES) == jars


def test_another_spark_delta_pair_gets_its_own_folder(cache):
    older = ("io.delta:delta-spark_2.12:3.3.0",)
    assert cache_folder(older).name == "delta-spark_2.12-3.3.0"
    assert cache_folder(older).parent == cache_folder(COORDINATES).parent
    assert cache_folder([*COORDINATES, "org.example:extra_2.13:1.0"]).name.startswith(f"{ARTIFACT}-{VERSION}+")


def test_a_version_missing_from_the_repository_is_one_line_saying_how_to_retry(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    with pytest.raises(JarsError) as caught:
        cached_jars((f"{GROUP}:{ARTIFACT}:0.0.404",))
    assert str(caught.value) == (
        f"cannot resolve the jars of {GROUP}:{ARTIFACT}:0.0.404 ({GROUP}#{ARTIFACT};0.0.404: not found); check the "
        "network (or the profile's spark.jars.repositories / spark.jars.ivySettings) and run again, --debug "
        "shows Ivy's output; or set LAKEHOUSE_DELTA_JARS_DIR to a folder holding the jars")
    assert list(tmp_path.iterdir()) == []  # nothing half-resolved is left behind
