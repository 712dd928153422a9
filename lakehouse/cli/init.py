"""``lakehouse init DIR`` (a new project) and ``lakehouse schema KIND`` (the JSON Schema of a YAML file).

The new project is the package data in ``lakehouse/cli/template/``: ``lakehouse.yaml``, a
sample job (``jobs/sales.yaml``: CSV → a partitioned Delta table, merged by key) with its
SQL file and two days of raw data, the profiles ``conf/local.yaml``, ``emr.yaml`` and
``databricks.yaml``, and ``.gitignore`` (stored as ``gitignore``).  ``{project}`` in a file
becomes the project's name.  Each YAML file starts with the line that points editors to
its JSON Schema, written into ``schemas/``.  Neither command starts Spark.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from lakehouse.errors import LakehouseError
from lakehouse.spec.project import PROJECT_FILE, PROJECT_NAME_PATTERN
from lakehouse.spec.schema import SCHEMA_MODELS, json_schema

TEMPLATE = "template"
"""The folder of the new project's files inside this package."""
RENAMED = {"gitignore": ".gitignore"}
"""Template files stored under another name (package data leaves out hidden files)."""
SCHEMA_OF = {PROJECT_FILE: "project", "jobs": "job", "conf": "profile"}
"""Which schema a YAML file follows: by its name at the top, else by its folder."""
SCHEMAS_DIR = "schemas"
SAMPLE_RUN = ("jobs/sales.yaml", "2024-01-01")
"""The sample job and its first run date (the template's data/raw/sales/2024-01-01/)."""


def add_init_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``init`` and ``schema`` on the ``lakehouse`` parser's subcommands."""
    p = sub.add_parser("init", help="create a new project: lakehouse.yaml, a sample job, profiles, schemas")
    p.add_argument("dir", metavar="DIR", help="folder of the new project (new or empty)")
    p.add_argument("--name", help="project name (default: the folder's name)")
    p.set_defaults(handler=_init)

    p = sub.add_parser("schema", help="print the JSON Schema of a job spec, a profile or lakehouse.yaml")
    p.add_argument("kind", choices=tuple(SCHEMA_MODELS), help="job (jobs/*.yaml), profile (conf/*.yaml) or "
                                                               "project (lakehouse.yaml)")
    p.set_defaults(handler=_schema)


def scaffold(target: Path, name: str | None = None) -> list[Path]:
    """Write a new project into ``target`` (absent or empty) and return the files written.

    Files are created exclusively: nothing that exists is ever overwritten.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise LakehouseError(f"{target} exists and is not an empty folder; `lakehouse init` creates a "
                             "project only in a new or empty folder")
    name = name or re.sub(r"[^A-Za-z0-9_.-]+", "_", target.resolve().name).lstrip(".-") or "project"
    if not re.match(PROJECT_NAME_PATTERN, name):
        raise LakehouseError(f"project name {name!r} is not valid (letters, digits, _, . and -, "
                             "not starting with . or -)")
    written: list[Path] = []
    for kind in SCHEMA_MODELS:
        written.append(_create(target / SCHEMAS_DIR / f"{kind}.schema.json",
                               json.dumps(json_schema(kind), indent=2) + "\n"))
    for relative, source in _template_files(files("lakehouse.cli") / TEMPLATE):
        path = target / relative
        text = source.read_text(encoding="utf-8").replace("{project}", name)
        written.append(_create(path, _schema_line(path, target) + text))
    return written


# ------------------------------------------------------------------------- handlers

def _init(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    written = scaffold(target, args.name)
    job, date = SAMPLE_RUN
    print(f"created project {target} ({len(written)} files); try:\n"
          f"  lakehouse validate {target / 'jobs'}\n"
          f"  lakehouse run {target / job} --date {date}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(args.kind), indent=2))
    return 0


# ------------------------------------------------------------------------- helpers

def _template_files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """(path in the project, template file) of every file below ``folder``, sorted."""
    found: list[tuple[str, Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if item.is_dir():
            if item.name != "__pycache__":
                found += _template_files(item, f"{prefix}{item.name}/")
        else:
            found.append((prefix + RENAMED.get(item.name, item.name), item))
    return found


def _schema_line(path: Path, root: Path) -> str:
    """The yaml-language-server line pointing a YAML file to its schema (a relative path), or ''."""
    if path.suffix not in (".yaml", ".yml"):
        return ""
    relative = path.relative_to(root)
    kind = SCHEMA_OF.get(relative.as_posix()) or SCHEMA_OF.get(relative.parts[0])
    if kind is None:
        return ""
    schema = os.path.relpath(root / SCHEMAS_DIR / f"{kind}.schema.json", path.parent)
    return f"# yaml-language-server: $schema={Path(schema).as_posix()}\n"


def _create(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as stream:  # "x": never overwrite a file
        stream.write(text)
    return path
