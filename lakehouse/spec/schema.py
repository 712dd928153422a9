"""JSON Schemas of the YAML files of a project, generated from the models that read them.

Editors use them through a first line ``# yaml-language-server: $schema=<path>`` (VS Code's
YAML extension, and any editor using the YAML language server): completion, hover text from
the models' field descriptions, and unknown keys marked as the loader will refuse them.
``lakehouse schema job|profile|project`` prints one; ``lakehouse init`` writes them into
``schemas/``.  No Spark import here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lakehouse.spec.job import JobSpec
from lakehouse.spec.profile import Profile
from lakehouse.spec.project import ProjectSpec

SCHEMA_MODELS: dict[str, type[BaseModel]] = {"job": JobSpec, "profile": Profile, "project": ProjectSpec}
"""The kinds of YAML file (``jobs/*.yaml``, ``conf/*.yaml``, ``lakehouse.yaml``) and their models."""
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (a key of :data:`SCHEMA_MODELS`), as pydantic generates it."""
    return {"$schema": JSON_SCHEMA_DIALECT, **SCHEMA_MODELS[kind].model_json_schema()}
