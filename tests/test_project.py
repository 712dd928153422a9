"""Projects: lakehouse.yaml and how commands find it, `lakehouse init`, `lakehouse schema`."""

import json

import jsonschema
import pytest
import yaml
from chispa import assert_df_equality

from lakehouse.cli.init import SAMPLE_RUN, scaffold
from lakehouse.cli.main import execute
from lakehouse.errors import SpecError
from lakehouse.spec.load import load_profile, load_project
from lakehouse.spec.project import ProjectNotFound, find_root
from lakehouse.spec.schema import json_schema
from tests.jobs import SHOP

NO_PROJECT = "no lakehouse project: no lakehouse.yaml in {} or any folder above (`lakehouse init DIR` creates a project)"


def test_the_root_is_the_nearest_folder_above_the_path_holding_lakehouse_yaml(project, tmp_path, monkeypatch):
    nested = project / "jobs" / "team" / "job.yaml"
    assert find_root(nested) == find_root(project / "sql") == project
    (project / "jobs" / "team").mkdir()
    (project / "jobs" / "team" / "lakehouse.yaml").write_text("name: team\n")
    assert find_root(nested) == project / "jobs" / "team"
    monkeypatch.chdir(project / "raw")
    assert find_root() == project == find_root("/")  # else from the current folder


def test_no_project_names_where_it_looked(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    with pytest.raises(ProjectNotFound) as error:
        find_root(tmp_path / "jobs" / "job.yaml")
    assert str(error.value) == NO_PROJECT.format(f"{tmp_path / 'jobs'} or {tmp_path / 'here'}")


def test_the_cli_says_in_one_line_that_there_is_no_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    job = tmp_path / "job.yaml"
    job.write_text((SHOP / "jobs" / "customers.yaml").read_text())
    for argv in (["run", str(job), "--date", "2024-03-01"], ["validate", str(job)],
                 ["submit", str(job), "--date", "2024-03-01", "--dry-run"], ["history", str(tmp_path)]):
        assert execute(argv) == 2
        message = NO_PROJECT.format(tmp_path)
        assert capsys.readouterr().err in (f"error: {message}\n", f"error: {job}: {message}\n")


def test_project_file_is_strict_and_its_errors_are_located(project):
    (project / "lakehouse.yaml").write_text("name: test\ndefaults:\n  profle: x\n")
    with pytest.raises(SpecError) as error:
        load_project(project)
    assert str(error.value) == f"{project / 'lakehouse.yaml'}:3: defaults.profle: unknown key"


def test_the_default_profile_comes_from_the_project_unless_named(project, monkeypatch):
    (project / "conf" / "other.yaml").write_text("roots: {raw: elsewhere}\n")
    monkeypatch.delenv("LAKEHOUSE_PROFILE", raising=False)
    loaded = load_project(project / "jobs")
    assert load_profile(project=loaded).name == "test"  # make_project's defaults.profile
    assert load_profile("other", project=loaded).roots == {"raw": str(project / "elsewhere")}
    monkeypatch.setenv("LAKEHOUSE_PROFILE", "other")
    assert load_profile(project=loaded).name == "other"


def test_init_writes_a_project_that_validates_with_schema_lines(tmp_path, capsys):
    target = tmp_path / "my project"
    assert execute(["init", str(target)]) == 0
    assert "lakehouse run" in capsys.readouterr().out
    assert load_project(target).spec.name == "my_project"
    for path in target.rglob("*.yaml"):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        assert (path.parent / first.split("=", 1)[1]).is_file(), path
    assert ".gitignore" in {p.name for p in target.iterdir()}
    assert execute(["validate", str(target / "jobs")]) == 0
    schema = jsonschema.Draft202012Validator(json.loads((target / "schemas" / "job.schema.json").read_text()))
    for job in [*target.glob("jobs/*.yaml"), *SHOP.glob("jobs/*.yaml")]:
        schema.validate(yaml.safe_load(job.read_text()))
    assert not schema.is_valid({**yaml.safe_load((target / "jobs" / "sales.yaml").read_text()), "sorce": {}})


def test_init_profiles_are_the_demo_profiles_for_the_project(tmp_path):
    scaffold(tmp_path / "shop")
    for name in ("local", "emr", "databricks"):
        written, demo = ((folder / "conf" / f"{name}.yaml").read_text() for folder in (tmp_path / "shop", SHOP))
        assert written.split("\n", 1)[1] == demo.split("\n", 1)[1], name  # but the schema lines


def test_init_refuses_a_folder_that_is_not_empty_and_changes_nothing(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert execute(["init", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"error: {tmp_path} exists and is not an empty folder; `lakehouse init` "
                                       "creates a project only in a new or empty folder\n")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_schema_command_prints_the_models_schema(capsys):
    assert execute(["schema", "profile"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema("profile") and printed["title"] == "Profile"
    assert printed["additionalProperties"] is False


def test_the_sample_job_runs_both_sample_dates(spark, tmp_path, capsys):
    target = tmp_path / "proj"
    scaffold(target)
    job, first = SAMPLE_RUN
    for date in (first, "2024-01-02"):
        assert execute(["run", str(target / job), "--date", date]) == 0, capsys.readouterr().err
    table = spark.read.format("delta").load(str(target / "data" / "lake" / "sales"))
    expected = spark.createDataFrame([(1, "coffee"), (3, "cake"), (4, "coffee"), (5, "tea")], "sale_id BIGINT, product STRING")
    assert_df_equality(table.select("sale_id", "product"), expected, ignore_row_order=True, ignore_nullable=True)
