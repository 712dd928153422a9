"""A lakehouse project: the folder holding ``lakehouse.yaml``, and what that file declares.

A project is laid out as::

    lakehouse.yaml      name, description, defaults (this module's ProjectSpec)
    jobs/               job specs (lakehouse.spec.job)
    conf/               profiles, one YAML file each (lakehouse.spec.profile)
    sql/                SQL files job specs name in `transform.sql`

Every command finds its project from the job (or table) path it is given, else from the
current folder: the nearest ancestor holding ``lakehouse.yaml`` (:func:`find_root`).
``lakehouse init DIR`` creates one.  No Spark import here; the file is read by
:func:`lakehouse.spec.load.load_project`.

Example (``lakehouse.yaml``)::

    name: shop
    description: Orders and customers of the shop.
    defaults:
      profile: local
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from lakehouse.errors import LakehouseError
from lakehouse.spec.fields import Model

PROJECT_FILE = "lakehouse.yaml"
"""The file that marks a project's root folder."""
PROJECT_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
DEFAULT_PROFILE = "local"
"""The profile a command uses when neither ``--profile``, ``$LAKEHOUSE_PROFILE`` nor the project names one."""


class ProjectNotFound(LakehouseError):
    """No ``lakehouse.yaml`` in the folder a command started from, nor in any folder above it (exit 2)."""


class ProjectDefaults(Model):
    """Defaults of the project's commands; a command-line option or environment variable overrides each."""

    profile: Annotated[str, Field(pattern=PROJECT_NAME_PATTERN)] = Field(
        DEFAULT_PROFILE, description="Profile (a file `conf/<profile>.yaml`) used when `--profile` and "
                                     "`$LAKEHOUSE_PROFILE` are not given.")


class ProjectSpec(Model):
    """The contents of ``lakehouse.yaml``."""

    name: Annotated[str, Field(pattern=PROJECT_NAME_PATTERN)] = Field(
        description="Project name (letters, digits, `_`, `.`, `-`).")
    description: str = Field("", max_length=500, description="A short description, for people.")
    defaults: ProjectDefaults = Field(default_factory=ProjectDefaults)


@dataclass(frozen=True)
class Project:
    """A project found on disk: its root folder and its ``lakehouse.yaml``."""

    root: Path
    spec: ProjectSpec

    @property
    def conf_dir(self) -> Path:
        """Folder of the profiles."""
        return self.root / "conf"

    @property
    def sql_dir(self) -> Path:
        """Folder of the SQL files job specs name."""
        return self.root / "sql"


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The project root of ``start`` (a job file, a table folder, any path), else of the current folder:
    the nearest folder at or above it that holds ``lakehouse.yaml``.

    :class:`ProjectNotFound` names the folders searched when neither has one.
    """
    searched: list[Path] = []
    for origin in ([Path(start)] if start is not None else []) + [Path.cwd()]:
        origin = origin.resolve()
        folder = origin if origin.is_dir() or not origin.suffix else origin.parent
        if folder in searched:
            continue
        searched.append(folder)
        for candidate in (folder, *folder.parents):
            if (candidate / PROJECT_FILE).is_file():
                return candidate
    raise ProjectNotFound(f"no lakehouse project: no {PROJECT_FILE} in {' or '.join(map(str, searched))} or any "
                          "folder above (`lakehouse init DIR` creates a project)")
