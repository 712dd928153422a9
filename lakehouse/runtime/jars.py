"""The Delta jars of the sessions lakehouse starts itself, resolved once into lakehouse's own cache folder.

Spark's ``spark.jars.packages`` resolves Maven coordinates with Ivy at every start, which prints about
30 lines, and it looks in the local Maven repository (``~/.m2``) first, where a POM without its jar makes
the session fail to start ("download failed").  Instead, :func:`cached_jars` resolves the coordinates
once, in a ``java`` process running the Ivy that ships with Spark, with its own settings (the
repositories of the profile's ``spark.jars.repositories``, then Maven Central; or the profile's
``spark.jars.ivySettings``), a throw-away Ivy cache and Spark's exclusions (Spark itself, the Scala
library).  It also leaves out every dependency whose artifact Spark ships in its own ``jars`` folder
(Hadoop client, Parquet, Jackson, log4j...: Delta 4.4 brings 73 MB of them): the driver loads classes
from Spark's jars first, so those copies were never used, and each JVM start paid for them (about 3 s
on the session start, 2 s on the first write, on 2 cores).  The jars are kept in one folder per set of
coordinates::

    <cache>/delta-spark_4.2_2.13-4.4.0/    <artifact>-<version> of the first coordinate (+ a digest if more)
        io.delta_delta-spark_4.2_2.13-4.4.0.jar
        io.delta_delta-storage-4.4.0.jar
        io.delta_delta-kernel-api-4.4.0.jar    ... 8 jars, 13 MB
        lakehouse-jars.json                the marker, written last: layout, coordinates and each jar's size

``<cache>`` is ``$LAKEHOUSE_JARS_CACHE``, else ``$XDG_CACHE_HOME/lakehouse/jars``, else
``~/.cache/lakehouse/jars``.  A folder is used only if its marker has this layout (:data:`LAYOUT`: a folder
an older lakehouse resolved, with Spark's own jars in it, is resolved again), names the same coordinates and
every jar it lists is there, non-empty, with that size; otherwise it is resolved again (into a temporary folder,
renamed into place when complete).  Another Spark/Delta pair gets a folder of its own.  Resolution prints
nothing unless ``verbose``; a failure is a :class:`JarsError`, one line naming the coordinates, Ivy's
reason and how to retry.

Spark is imported only by :func:`delta_coordinates`.  ``python -m lakehouse.runtime.jars [COORDINATE...]``
prints the jars (comma-separated, resolved if needed) of the installed delta-spark, or of the coordinates.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import quoteattr

from lakehouse.errors import LakehouseError, SpecError
from lakehouse.spec.profile import JARS_DIR_ENV, Profile, conf_value

CACHE_ENV = "LAKEHOUSE_JARS_CACHE"
"""Environment variable: the folder holding the jar folders (default ``~/.cache/lakehouse/jars``)."""
MARKER = "lakehouse-jars.json"
LAYOUT = 2
"""The marker's ``layout``: 2 = without the artifacts Spark ships (layout 1, no key: with them)."""
SPARK_MODULES = ("catalyst|core|graphx|kvstore|launcher|mllib|mllib-local|network-common|network-shuffle|repl|"
                 "sketch|sql|streaming|tags|unsafe|common-utils|sql-api")
"""The Spark modules Spark's own ``--packages`` resolution leaves out: the session has them already."""
RETRIEVE_PATTERN = "[organisation]_[artifact]-[revision](-[classifier]).[ext]"
"""Jar file names as Spark's ``--packages`` names them."""

log = logging.getLogger(__name__)


class JarsError(LakehouseError):
    """The jars cannot be resolved (no network, a version missing from the repository, no ``java``):
    fix the cause and run again."""


def delta_coordinates() -> tuple[str, ...]:
    """The Maven coordinates of the installed delta-spark's jars, as delta's own
    ``configure_spark_with_delta_pip`` picks them, e.g. ``("io.delta:delta-spark_4.2_2.13:4.4.0",)`` (from
    Delta 4.1 the artifact names the Spark line; ``delta-spark_2.13`` before)."""
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    builder = configure_spark_with_delta_pip(SparkSession.Builder())  # sets one conf, starts nothing
    return tuple(builder._options["spark.jars.packages"].split(","))


def profile_jars(profile: Profile, *, verbose: bool = False) -> list[Path]:
    """The Delta jars a session of ``profile`` gets, and a cluster submit ships: the jars of the folder in
    ``$LAKEHOUSE_DELTA_JARS_DIR`` or ``delta.jars_dir`` (``dir``), the installed delta-spark's resolved into
    the cache (``maven``, with the profile's ``spark.jars.repositories`` or ``spark.jars.ivySettings``), or
    none (``provided``: the platform's)."""
    jars_dir = os.environ.get(JARS_DIR_ENV) or (profile.delta.jars_dir if profile.delta.jars == "dir" else None)
    if jars_dir:
        jars = sorted(Path(jars_dir).glob("*.jar"))
        if not jars:
            raise SpecError(f"no .jar files in {jars_dir} (delta.jars_dir or ${JARS_DIR_ENV})", field="delta.jars_dir")
        return jars
    if profile.delta.jars == "provided":
        return []
    confs = {key: conf_value(value) for key, value in profile.spark.conf.items()}
    repositories = [r.strip() for r in confs.get("spark.jars.repositories", "").split(",") if r.strip()]
    return cached_jars(delta_coordinates(), repositories=repositories, ivy_settings=confs.get("spark.jars.ivySettings"),
                       verbose=verbose)


def cache_root() -> Path:
    """The folder holding one folder of jars per set of coordinates."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakehouse" / "jars"


def cache_folder(coordinates: Sequence[str]) -> Path:
    """``<cache>/<artifact>-<version>`` of the first coordinate; more coordinates add a digest of all."""
    _, artifact, version = _parts(coordinates[0])
    name = f"{artifact}-{version}"
    if len(coordinates) > 1:
        name += "+" + hashlib.sha256(",".join(coordinates).encode()).hexdigest()[:8]
    return cache_root() / name


def cached_jars(coordinates: Sequence[str], *, repositories: Sequence[str] = (), ivy_settings: str | None = None,
                verbose: bool = False) -> list[Path]:
    """The jars of ``coordinates`` (``group:artifact:version``) and their dependencies, resolved into the
    cache unless a checked copy is there."""
    coordinates = tuple(coordinates)
    for coordinate in coordinates:
        _parts(coordinate)
    folder = cache_folder(coordinates)
    jars = checked(folder, coordinates)
    if jars is None:
        log.info("resolving the jars of %s into %s", ", ".join(coordinates), folder)
        _resolve(coordinates, folder, repositories=repositories, ivy_settings=ivy_settings, verbose=verbose)
        jars = checked(folder, coordinates)
        if jars is None:
            raise JarsError(f"the jars of {', '.join(coordinates)} were resolved into {folder}, but the folder "
                            "fails its check; remove it and run again")
    return jars


def checked(folder: Path, coordinates: Sequence[str]) -> list[Path] | None:
    """The jars of ``folder`` if its marker names ``coordinates`` and lists jars that are all there, non-empty,
    with their recorded sizes; None otherwise."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        current = marker["coordinates"] == list(coordinates) and marker.get("layout") == LAYOUT
        sizes = marker["jars"] if current else {}
        jars = [folder / name for name in sorted(sizes)]
        if jars and all(sizes[jar.name] > 0 and jar.stat().st_size == sizes[jar.name] for jar in jars):
            return jars
    except (OSError, ValueError, KeyError, TypeError):  # no marker, a broken one, a missing jar
        pass
    return None


def _resolve(coordinates: tuple[str, ...], folder: Path, *, repositories: Sequence[str], ivy_settings: str | None,
             verbose: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{folder.name}.", dir=folder.parent) as tmp:
        work, staged = Path(tmp), Path(tmp) / "jars"
        settings = Path(ivy_settings) if ivy_settings else _settings_file(work / "ivysettings.xml", repositories)
        command = [_java(), "-jar", str(_ivy_jar()), "-settings", str(settings), "-cache", str(work / "cache"),
                   "-ivy", str(_module_file(work / "ivy.xml", coordinates)), "-confs", "default",
                   "-retrieve", f"{staged}/{RETRIEVE_PATTERN}"]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=not verbose, text=True)
        except OSError as exc:
            raise JarsError(_failure(coordinates, f"cannot run {command[0]}: {exc.strerror}")) from None
        jars = sorted(staged.glob("*.jar"))
        if done.returncode != 0 or not jars or any(jar.stat().st_size == 0 for jar in jars):
            output = "\n".join(filter(None, [done.stdout, done.stderr]))
            raise JarsError(_failure(coordinates, _reason(output) if output else "see Ivy's output above"))
        marker = {"layout": LAYOUT, "coordinates": list(coordinates),
                  "jars": {jar.name: jar.stat().st_size for jar in jars}}
        (staged / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")  # last
        if folder.exists():  # it failed its check
            shutil.rmtree(folder, ignore_errors=True)
        try:
            staged.rename(folder)
        except OSError:  # another process put a complete folder there meanwhile
            if checked(folder, coordinates) is None:
                raise


def _settings_file(path: Path, repositories: Sequence[str]) -> Path:
    """Ivy settings: the given repositories, then Maven Central; never ``~/.m2`` or ``~/.ivy2``."""
    resolvers = [f'<ibiblio name="repo-{i}" m2compatible="true" root={quoteattr(url)}/>'
                 for i, url in enumerate(repositories, 1)] + ['<ibiblio name="central" m2compatible="true"/>']
    path.write_text('<ivysettings>\n  <settings defaultResolver="lakehouse"/>\n  <resolvers>\n'
                    '    <chain name="lakehouse" returnFirst="true">\n'
                    + "".join(f"      {r}\n" for r in resolvers)
                    + "    </chain>\n  </resolvers>\n</ivysettings>\n", encoding="utf-8")
    return path


def _module_file(path: Path, coordinates: Sequence[str]) -> Path:
    """An Ivy module depending on ``coordinates``, without what Spark brings itself."""
    dependencies = "".join(
        f"    <dependency org={quoteattr(group)} name={quoteattr(artifact)} rev={quoteattr(version)} "
        'conf="default->default(runtime)"/>\n' for group, artifact, version in map(_parts, coordinates))
    dependencies += "".join(f"    <exclude module={quoteattr(name)}/>\n" for name in spark_artifacts())
    path.write_text('<ivy-module version="2.0">\n  <info organisation="lakehouse" module="jars" revision="1"/>\n'
                    '  <configurations><conf name="default"/></configurations>\n  <dependencies>\n'
                    f"{dependencies}"
                    '    <exclude module="scala-library"/>\n'
                    f'    <exclude org="org.apache.spark" module="spark-({SPARK_MODULES})_.*" matcher="regexp"/>\n'
                    "  </dependencies>\n</ivy-module>\n", encoding="utf-8")
    return path


def _parts(coordinate: str) -> tuple[str, str, str]:
    parts = tuple(coordinate.strip().split(":"))
    if len(parts) != 3 or not all(re.fullmatch(r"[A-Za-z0-9_.\-]+", part) for part in parts):
        raise JarsError(f"Maven coordinate {coordinate!r} is not group:artifact:version")
    return parts  # type: ignore[return-value]


def spark_artifacts() -> list[str]:
    """The artifact names of the jars in Spark's ``jars`` folder, e.g. ``hadoop-client-api`` for
    ``hadoop-client-api-3.5.0.jar``.  A file name does not say where the artifact ends and the version
    begins (``zstd-jni-1.5.7-7``, ``log4j-1.2-api-2.25.4``): every cut before a ``-`` and a digit is
    listed, so the artifact is among them, and the other cuts (``zstd-jni-1.5.7``, ``log4j``) name
    nothing Delta depends on besides Spark."""
    names = set()
    for jar in _spark_jars().glob("*.jar"):
        names.update(jar.stem[:cut.start()] for cut in re.finditer(r"-(?=\d)", jar.stem))
    return sorted(names)


def _java() -> str:
    """The ``java`` Spark's launcher uses: ``$JAVA_HOME/bin/java``, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def _spark_jars() -> Path:
    """The ``jars`` folder of the Spark that starts the session (``$SPARK_HOME``, else the pyspark package)."""
    spec = importlib.util.find_spec("pyspark")
    home = os.environ.get("SPARK_HOME") or (spec.submodule_search_locations[0] if spec else "")
    return Path(home or "SPARK_HOME", "jars")


def _ivy_jar() -> Path:
    """The Ivy jar of the Spark that starts the session (in :func:`_spark_jars`)."""
    found = sorted(_spark_jars().glob("ivy-*.jar"))
    if not found:
        raise JarsError(f"no Ivy jar in {_spark_jars()} to resolve the Delta jars with; "
                        f"set {JARS_DIR_ENV} to a folder holding the jars")
    return found[-1]


def _reason(output: str) -> str:
    """Ivy's reason for a failed resolution: the unresolved dependency or failed download it names, else
    its first error line, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if "UNRESOLVED DEPENDENCIES" in line or "FAILED DOWNLOADS" in line:
            named = [n.strip(": ") for n in lines[i + 1:] if n.startswith("::") and ("#" in n or "!" in n)]
            if named:
                return named[0] if named[0].endswith("not found") else f"{named[0]}: download failed"
    errors = [line for line in lines if re.search(r"error|exception|failed", line, re.IGNORECASE)]
    return (errors or lines or ["no output"])[0]


def _failure(coordinates: Sequence[str], reason: str) -> str:
    return (f"cannot resolve the jars of {', '.join(coordinates)} ({reason}); check the network (or the "
            "profile's spark.jars.repositories / spark.jars.ivySettings) and run again, --debug shows Ivy's "
            f"output; or set {JARS_DIR_ENV} to a folder holding the jars")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the cached jars of ``argv``'s coordinates (default: the installed delta-spark's), comma-separated."""
    coordinates = tuple(sys.argv[1:] if argv is None else argv) or delta_coordinates()
    try:
        jars = cached_jars(coordinates)
    except JarsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(",".join(str(jar) for jar in jars))
    return 0


if __name__ == "__main__":
    sys.exit(main())
