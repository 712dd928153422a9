"""The lakehouse wheel a cluster run ships: the lakehouse this process runs, under a content-derived version.

:func:`lakehouse_wheel` takes the code from one of two places:

* a **source checkout**: the imported package sits next to a ``pyproject.toml`` of the
  ``lakehouse`` project (an editable install, or ``PYTHONPATH`` pointing at a checkout).
  ``pip wheel`` builds a clean copy of it, only when its files changed;
* the **installed distribution** (``pip install lakehouse`` or a wheel): the files its
  ``RECORD`` lists, read back from where they were installed.  Install-time files
  (``RECORD``, ``INSTALLER``, ``REQUESTED``, ``direct_url.json``, compiled ``.pyc``,
  the console script) are left out: the installer makes them.

Either way the content (the package's files and the dist-info metadata) is written again as
a wheel whose version carries a local part, the first 12 hex digits of the SHA-256 of that
content (``0.1.0+1a2b3c4d5e6f``, in ``METADATA``, the dist-info folder and the file name),
with sorted entries, fixed timestamps and a regenerated ``RECORD``.  The same content gives
the same name and bytes; any change of the code or its metadata gives a new name, so a
cluster that has one version installed picks up the next.  Installing such a wheel and
building again gives the same wheel.  Nothing here imports Spark.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lakehouse
from lakehouse.errors import LakehouseError

PACKAGE = "lakehouse"
INSTALL_TIME_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
"""Dist-info files an installer writes; a wheel never carries them (RECORD is written anew)."""
DIGEST_LENGTH = 12
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every entry of a written archive (the earliest a zip can hold)."""
SOURCE_STAMP = "lakehouse-wheel.sha256"
"""File in the build folder: the digest of the source files a wheel was built from, and its name."""


class PackageError(LakehouseError):
    """Artifacts cannot be built, or a job cannot be submitted as asked."""


@dataclass(frozen=True)
class Wheel:
    """A written wheel and the content digest in its version (12 hex digits)."""

    path: Path
    digest: str


def lakehouse_wheel(build_dir: Path) -> Wheel:
    """The wheel of the lakehouse this process imports, in ``build_dir`` (written only if new)."""
    source = source_checkout()
    if source is not None:
        return wheel_from_source(source, build_dir)
    dist = importlib.metadata.distribution(PACKAGE)
    installed = Path(dist.locate_file(f"{PACKAGE}/__init__.py")).resolve()
    if installed != Path(lakehouse.__file__).resolve():
        raise PackageError(f"the imported lakehouse ({Path(lakehouse.__file__).parent}) is not the installed "
                           f"distribution ({installed.parent}) nor a source checkout; cannot build its wheel")
    return wheel_from_distribution(dist, build_dir)


def source_checkout() -> Path | None:
    """The checkout the imported lakehouse comes from: the folder above the package holding a
    ``pyproject.toml`` of the ``lakehouse`` project; None for an installed package."""
    root = Path(lakehouse.__file__).resolve().parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if isinstance(project, dict) and project.get("name") == PACKAGE else None


def wheel_from_source(source: Path, build_dir: Path) -> Wheel:
    """``pip wheel`` of a clean copy of ``source`` (pyproject.toml, README.md, the package), content-versioned;
    pip runs only when those files changed since the last build into ``build_dir``."""
    files = [source / "pyproject.toml", source / "README.md", *package_files(source / PACKAGE)]
    stamp, digest = build_dir / SOURCE_STAMP, content_digest(sorted((f.relative_to(source).as_posix(), f.read_bytes())
                                                             for f in files if f.is_file()))
    if stamp.is_file():
        seen, _, name = stamp.read_text(encoding="utf-8").partition(" ")
        wheel = build_dir / name.strip()
        if seen == digest and wheel.is_file():
            return Wheel(wheel, _version_of(wheel.name).rpartition("+")[2])
    with tempfile.TemporaryDirectory(prefix="lakehouse-wheel-") as tmp:
        src, dist = Path(tmp) / "src", Path(tmp) / "dist"
        for file in files:  # a clean copy: no stale build/ or egg-info of earlier builds
            if file.is_file():
                target = src / file.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                                 "--wheel-dir", str(dist), str(src)], capture_output=True, text=True)
        built = sorted(dist.glob(f"{PACKAGE}-*.whl"))
        if result.returncode != 0 or len(built) != 1:
            last = (result.stderr.strip().splitlines() or ["no wheel was produced"])[-1]
            raise PackageError(f"pip wheel failed: {last}")
        with zipfile.ZipFile(built[0]) as zf:
            content = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    wheel = write_wheel(content, build_dir)
    stamp.write_text(f"{digest} {wheel.path.name}", encoding="utf-8")
    return wheel


def wheel_from_distribution(dist: importlib.metadata.Distribution, build_dir: Path) -> Wheel:
    """The wheel of an installed distribution, from the files its RECORD lists."""
    content: dict[str, bytes] = {}
    for entry in dist.files or []:
        if entry.parts[0] == ".." or entry.suffix == ".pyc" or "__pycache__" in entry.parts:
            continue  # scripts the installer generated (bin/lakehouse), compiled files
        path = Path(dist.locate_file(entry))
        try:
            content[entry.as_posix()] = path.read_bytes()
        except OSError as exc:
            raise PackageError(f"cannot read {path}, listed in the RECORD of the installed lakehouse: "
                               f"{exc.strerror}") from None
    return write_wheel(content, build_dir)


def write_wheel(content: dict[str, bytes], build_dir: Path) -> Wheel:
    """Write ``content`` (archive name -> bytes, one ``*.dist-info/`` folder) as a content-versioned wheel."""
    files, meta = _split(content)
    base = _metadata_version(meta["METADATA"]).partition("+")[0]
    meta["METADATA"] = _with_version(meta["METADATA"], base)  # earlier digests do not count
    digest = content_digest(sorted([("files/" + name, data) for name, data in files.items()]
                            + [("meta/" + name, data) for name, data in meta.items()]))
    version = f"{base}+{digest}"
    meta["METADATA"] = _with_version(meta["METADATA"], version)
    info = f"{PACKAGE}-{version}.dist-info"
    entries = sorted(files.items()) + [(f"{info}/{name}", data) for name, data in sorted(meta.items())]
    record = "".join(f"{name},sha256={_b64(hashlib.sha256(data).digest())},{len(data)}\n" for name, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    path = build_dir / f"{PACKAGE}-{version}-{_tag(meta['WHEEL'])}.whl"
    if not path.is_file():  # the name is the content: an existing file holds these bytes
        write_zip(path, entries)
    return Wheel(path, digest)


def write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    """Write ``entries`` in this order with fixed timestamps and modes (the same entries, the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    partial.replace(path)


def package_files(folder: Path) -> list[Path]:
    """The files below ``folder``, sorted, without caches, compiled and hidden files."""
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.rglob("*")
                  if f.is_file() and "__pycache__" not in f.parts and not f.name.startswith(".")
                  and f.suffix != ".pyc")


def content_digest(entries: list[tuple[str, bytes]]) -> str:
    """The first 12 hex digits of the SHA-256 of ``entries`` (name, bytes), in their order."""
    sha = hashlib.sha256()
    for name, data in entries:
        sha.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return sha.hexdigest()[:DIGEST_LENGTH]


# ------------------------------------------------------------------------- helpers


def _split(content: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The package's files and the dist-info files (by their name inside the dist-info folder)."""
    folders = {name.split("/", 1)[0] for name in content if name.split("/", 1)[0].endswith(".dist-info")}
    if len(folders) != 1:
        raise PackageError(f"expected one .dist-info folder in the lakehouse distribution, found {sorted(folders)}")
    [folder] = folders
    files = {n: d for n, d in content.items() if not n.startswith(folder + "/")}
    meta = {n[len(folder) + 1:]: d for n, d in content.items() if n.startswith(folder + "/")}
    meta = {n: d for n, d in meta.items() if n not in INSTALL_TIME_FILES}
    missing = {"METADATA", "WHEEL"} - set(meta)
    if missing:
        raise PackageError(f"the lakehouse distribution has no {', '.join(sorted(missing))} in {folder}")
    return files, meta


def _metadata_version(metadata: bytes) -> str:
    match = re.search(rb"^Version: *([^\r\n]+)", metadata, re.M)
    if not match:
        raise PackageError("the METADATA of the lakehouse distribution names no Version")
    return match.group(1).decode().strip()


def _with_version(metadata: bytes, version: str) -> bytes:
    return re.sub(rb"^Version: *[^\r\n]+", b"Version: " + version.encode(), metadata, count=1, flags=re.M)


def _version_of(wheel_name: str) -> str:
    return wheel_name.split("-")[1]


def _tag(wheel_file: bytes) -> str:
    """The file name's tag (``py3-none-any``) from the ``Tag:`` lines of a WHEEL file (compressed if several)."""
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_file.decode().splitlines()
            if line.startswith("Tag:")]
    if not tags:
        raise PackageError("the WHEEL file of the lakehouse distribution names no Tag")
    return "-".join(".".join(dict.fromkeys(tag[i] for tag in tags)) for i in range(3))


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
