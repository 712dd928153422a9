"""The JSON Schemas committed in `schemas/` are the models' schemas, the example YAML files point to
them and follow them, and `lakehouse --version` names the installed versions.  No Spark."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

import jsonschema
import pytest
import yaml

from lakehouse.cli.main import _installed, execute
from lakehouse.spec.schema import SCHEMA_MODELS, json_schema
from tests.jobs import REPO, SHOP

SCHEMAS = REPO / "schemas"
REGENERATE = ("make schemas (or: for kind in " + " ".join(SCHEMA_MODELS) + "; do lakehouse schema $kind > "
              "schemas/$kind.schema.json; done)")
LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")


@pytest.mark.parametrize("kind", SCHEMA_MODELS)
def test_committed_schema_is_the_models_schema(kind):
    path = SCHEMAS / f"{kind}.schema.json"
    expected = json.dumps(json_schema(kind), indent=2) + "\n"
    assert path.is_file() and path.read_text() == expected, (
        f"{path.relative_to(REPO)} is not the schema of the models; regenerate them at the repository root: "
        f"{REGENERATE}")


def test_schemas_folder_holds_one_schema_per_kind():
    assert sorted(p.name for p in SCHEMAS.iterdir()) == sorted(f"{kind}.schema.json" for kind in SCHEMA_MODELS)


def _kind(path) -> str:
    return "project" if path.name == "lakehouse.yaml" else {"jobs": "job", "revisions": "job", "conf": "profile"}[path.parent.name]


@pytest.mark.parametrize("path", sorted(SHOP.glob("*/*.yaml")) + [SHOP / "lakehouse.yaml"],
                         ids=lambda p: str(p.relative_to(SHOP)))
def test_example_yaml_points_to_its_committed_schema_and_follows_it(path):
    schema = SCHEMAS / f"{_kind(path)}.schema.json"
    line = LINE.fullmatch(path.read_text().splitlines()[0])
    assert line and (path.parent / line[1]).resolve() == schema, path
    jsonschema.Draft202012Validator(json.loads(schema.read_text())).validate(yaml.safe_load(path.read_text()))


def test_the_readme_job_points_to_the_schema_as_init_lays_it_out():
    block = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S)[0]
    line = LINE.fullmatch(block.splitlines()[0])
    assert line and line[1] == "../schemas/job.schema.json"  # jobs/ and schemas/ of `lakehouse init`
    schema = json.loads((SCHEMAS / "job.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(block))


def test_version_names_lakehouse_pyspark_and_delta_spark(capsys):
    assert execute(["--version"]) == 0
    assert capsys.readouterr().out == (f"lakehouse {metadata.version('lakehouse')}, pyspark "
                                       f"{metadata.version('pyspark')}, delta-spark {metadata.version('delta-spark')}\n")
    assert _installed("lakehouse-no-such-distribution") == "not installed"


def test_version_imports_neither_pyspark_nor_delta(tmp_path):
    blocked = tmp_path / "blocked"
    for name in ("pyspark", "py4j", "delta"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    env = {"PYTHONPATH": f"{blocked}:{REPO}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "lakehouse", "--version"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"lakehouse {metadata.version('lakehouse')}, pyspark {metadata.version('pyspark')}, " \
                          f"delta-spark {metadata.version('delta-spark')}\n"
