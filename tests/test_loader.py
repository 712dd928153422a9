"""Job spec validation: one readable message naming the file, the line and the field. No Spark."""

import datetime as dt
import textwrap
import time

import pytest

from lakehouse.errors import SpecError
from lakehouse.spec.load import MAX_YAML_ALIAS_NODES, MAX_YAML_BYTES, MAX_YAML_DEPTH, load_job, load_profile

GOOD = """\
name: orders
source:
  format: csv
  path: orders/{run_date}/*.csv
  schema: "order_id BIGINT, updated_at TIMESTAMP"
target:
  path: orders
  mode: merge
  merge:
    keys: [order_id]
    sequence_by: updated_at
"""


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "job.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(SpecError) as err:
        load_job(path)
    return str(err.value).replace(str(path), "job.yaml")


def test_good_spec_loads(tmp_path):
    (tmp_path / "job.yaml").write_text(GOOD)
    spec = load_job(tmp_path / "job.yaml")
    assert (spec.target.mode, spec.target.merge.keys, spec.source.resolve_path(dt.date(2024, 3, 1))) \
        == ("merge", ["order_id"], "orders/2024-03-01/*.csv")


@pytest.mark.parametrize("change, message", [
    (("    sequence_by: updated_at", "    sequnce_by: updated_at"),
     "job.yaml:11: target.merge.sequnce_by: unknown key"),
    (("keys: [order_id]", "keys: order_id"),
     "job.yaml:10: target.merge.keys: input should be a valid list"),
    (("keys: [order_id]", "keys: [order id]"),
     "job.yaml:10: target.merge.keys[0]: 'order id' is not a valid column name "
     "(letters, digits and _, not starting with a digit)"),
    (('  schema: "order_id BIGINT, updated_at TIMESTAMP"\n', ""),
     "job.yaml:2: source.schema: required field is missing"),
    (("format: csv", "format: xml"),
     "job.yaml:3: source.format: must be one of 'csv', 'json', 'parquet', 'delta', got 'xml'"),
    (("mode: merge", "mode: upsert"),
     "job.yaml:8: target.mode: must be one of 'merge', 'scd2', 'append', 'overwrite', 'replace_partitions', got 'upsert'"),
    (("  path: orders\n", "  path: orders\n  table: sales.orders\n"),
     "job.yaml:6: target: set exactly one of `path` or `table`"),
    (("{run_date}", "{day}"),
     "job.yaml:4: source.path: unknown placeholder {day} in path; only {run_date} is supported"),
])
def test_invalid_spec_messages(tmp_path, change, message):
    assert _error(tmp_path, GOOD.replace(*change)) == message


def test_yaml_syntax_error_names_the_line(tmp_path):
    assert _error(tmp_path, GOOD.replace("  merge:", "  merge: [")).startswith("job.yaml:11: invalid YAML: expected ',' or ']'")


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match=r"nope\.yaml: file not found$"):
        load_job(tmp_path / "nope.yaml")


def test_unknown_profile_lists_known_ones(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "local.yaml").write_text("roots: {raw: data/raw}\n")
    with pytest.raises(SpecError, match=r"profile 'prod' not found in .* \(profiles: local\)"):
        load_profile("prod", tmp_path / "conf")
    assert load_profile("local", tmp_path / "conf").roots == {"raw": str(tmp_path / "data" / "raw")}


def test_duplicate_keys_are_errors(tmp_path):
    assert _error(tmp_path, GOOD.replace("  path: orders\n", "  path: orders\n  path: other\n")) == \
        "job.yaml:8: target.path: duplicate key"


def test_spec_paths_stay_under_their_root(tmp_path):
    assert _error(tmp_path, GOOD.replace("  path: orders\n", "  path: ../../etc\n")) == (
        "job.yaml:7: target.path: '../../etc' must be relative to its root, without '..' "
        "(roots are set in the profile)")


# ------------------------------------------------------------------ YAML limits

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi"))


def _timed_error(tmp_path, text: str) -> tuple[str, float]:
    start = time.perf_counter()
    message = _error(tmp_path, text)
    return message, time.perf_counter() - start


@pytest.mark.parametrize("text, message", [
    (BILLION_LAUGHS, f"job.yaml:4: YAML aliases exceed the limit of {MAX_YAML_ALIAS_NODES} repeated nodes"),
    ("name: " + "[" * 10_000 + "]" * 10_000 + "\n", f"job.yaml:1: YAML nesting deeper than {MAX_YAML_DEPTH} levels"),
    ("name:\n" + "- " * 10_000 + "x\n", f"job.yaml:2: YAML nesting deeper than {MAX_YAML_DEPTH} levels"),
], ids=["alias-bomb", "flow-nesting", "block-nesting"])
def test_yaml_bombs_are_refused_fast(tmp_path, text, message):
    assert _timed_error(tmp_path, text)[0] == message
    assert _timed_error(tmp_path, text)[1] < 1.0  # timed again, warm: the limit, not the parse, decides


def test_a_recursive_alias_is_refused(tmp_path):
    assert _error(tmp_path, "name: &a [*a]\n") == \
        f"job.yaml:1: YAML aliases exceed the limit of {MAX_YAML_ALIAS_NODES} repeated nodes"


def test_aliases_within_the_limit_still_work(tmp_path):
    text = GOOD.replace('  schema: "order_id', '  schema: &schema "order_id') + "description: *schema\n"
    (tmp_path / "job.yaml").write_text(text)
    assert load_job(tmp_path / "job.yaml").description == "order_id BIGINT, updated_at TIMESTAMP"


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    text = GOOD + "description: " + "x" * MAX_YAML_BYTES + "\n"
    assert _error(tmp_path, text) == "job.yaml: file is larger than the limit of 1 MiB"


def test_the_limits_keep_line_numbers_and_duplicate_keys(tmp_path):
    assert _error(tmp_path, GOOD + "name: again\n") == "job.yaml:12: name: duplicate key"
    assert _error(tmp_path, GOOD.replace("keys: [order_id]", "keys: [order id]")).startswith(
        "job.yaml:10: target.merge.keys[0]:")


# ------------------------------------------------------------- paths, formatted

RELATIVE = "must be relative to its root, without '..' (roots are set in the profile)"


def _load_or_error(tmp_path, text: str, message: str | None):
    """The loaded spec when ``message`` is None; else assert that loading fails with ``message``."""
    if message is not None:
        assert _error(tmp_path, text) == message
        return None
    (tmp_path / "job.yaml").write_text(text)
    return load_job(tmp_path / "job.yaml")


@pytest.mark.parametrize("path, message", [
    ("'{run_date:..}/outside/*.csv'", "job.yaml:4: source.path: '{run_date:..}/outside/*.csv' becomes "
                                      f"'../outside/*.csv' for run date 2024-12-31, which {RELATIVE}"),
    ("'{run_date:/etc}/*.csv'", "job.yaml:4: source.path: '{run_date:/etc}/*.csv' becomes '/etc/*.csv' "
                                f"for run date 2024-12-31, which {RELATIVE}"),
    ("'{run_date:s3://bucket}/x'", "job.yaml:4: source.path: '{run_date:s3://bucket}/x' becomes 's3://bucket/x' "
                                   f"for run date 2024-12-31, which {RELATIVE}"),
    ("'{run_date:}'", None),
    ("''", "job.yaml:4: source.path: must not be empty"),
    ("orders/../../x", f"job.yaml:4: source.path: 'orders/../../x' {RELATIVE}"),
])
def test_source_paths_are_checked_after_formatting(tmp_path, path, message):
    spec = _load_or_error(tmp_path, GOOD.replace("path: orders/{run_date}/*.csv", f"path: {path}"), message)
    assert spec is None or spec.source.resolve_path(dt.date(2024, 3, 1)) == "2024-03-01"


def test_resolve_path_checks_the_run_date_again(tmp_path):
    (tmp_path / "job.yaml").write_text(GOOD)
    source = load_job(tmp_path / "job.yaml").source
    sneaky = source.model_construct(**{**source.__dict__, "path": "{run_date:..}/x"})  # as if not validated
    with pytest.raises(SpecError) as err:
        sneaky.resolve_path(dt.date(2024, 3, 1))
    assert str(err.value) == f"<spec>: source.path: '{{run_date:..}}/x' becomes '../x' for run date 2024-03-01, " \
                             f"which {RELATIVE}"
    assert source.resolve_path(dt.date(2024, 3, 1)) == "orders/2024-03-01/*.csv"


@pytest.mark.parametrize("path, message", [
    ("'.'", "job.yaml:7: target.path: '.' must name a folder below its root, not the root itself"),
    ("'./'", "job.yaml:7: target.path: './' must name a folder below its root, not the root itself"),
    ("'a/./.'", None),  # normalised: the folder a
    ("''", "job.yaml:7: target.path: must not be empty"),
    ("'a/..'", f"job.yaml:7: target.path: 'a/..' {RELATIVE}"),
    ("/data/lake/orders", f"job.yaml:7: target.path: '/data/lake/orders' {RELATIVE}"),
])
def test_target_paths_name_a_folder_below_the_root(tmp_path, path, message):
    spec = _load_or_error(tmp_path, GOOD.replace("  path: orders\n", f"  path: {path}\n"), message)
    assert spec is None or spec.target.path == "a/./."
