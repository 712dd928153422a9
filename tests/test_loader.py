"""Job spec validation: one readable message naming the file, the line and the field. No Spark."""

import textwrap

import pytest

from lakehouse.errors import SpecError
from lakehouse.loader import load_job, load_profile

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
    assert (spec.target.mode, spec.target.merge.keys, spec.source.resolve_path(__import__("datetime").date(2024, 3, 1))) \
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
     "job.yaml:3: source.format: must be one of 'csv', 'json', 'parquet', got 'xml'"),
    (("mode: merge", "mode: upsert"),
     "job.yaml:8: target.mode: must be one of 'merge', 'append', 'overwrite', 'replace_partitions', got 'upsert'"),
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
