"""A mistake in each field of a job spec: one line naming the file, the line and the field, exit 2.

These fail before Spark reads anything; the harness still checks that no table changed.
"""

import pytest

from tests.bad_inputs.harness import Case, check, set_field

ROW = {"a.csv": "id,name,day,seq,op\n5,a,2024-01-01,2,I\n"}


def _drop(path: str):
    """An edit that removes the dotted ``path`` from the spec."""
    def edit(spec: dict) -> None:
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node[key]
        del node[last]
    return edit


CASES = [
    Case("unknown-top-level-key", "{job}:16: colour: unknown key", 2, edit=set_field("colour", "red")),
    Case("unknown-source-key", "{job}:6: source.compression: unknown key", 2,
         edit=set_field("source.compression", "gzip")),
    Case("misspelt-merge-key", "{job}:16: target.merge.key: unknown key", 2,
         edit=set_field("target.merge.key", ["id"])),
    Case("missing-name", "{job}:1: name: required field is missing", 2, edit=_drop("name")),
    Case("name-with-spaces", "{job}:1: name: string should match pattern '^[A-Za-z0-9_][A-Za-z0-9_.-]*$'", 2,
         edit=set_field("name", "my job")),
    Case("missing-schema", "{job}:2: source.schema: required field is missing", 2, edit=_drop("source.schema")),
    Case("empty-schema", "{job}:5: source.schema: string should have at least 1 character", 2,
         edit=set_field("source.schema", "")),
    Case("unknown-format", "{job}:3: source.format: must be one of 'csv', 'json', 'parquet', 'delta', got 'xml'", 2,
         edit=set_field("source.format", "xml")),
    Case("missing-format", "{job}:2: source.format: required field is missing", 2, edit=_drop("source.format")),
    Case("csv-option-on-parquet", "{job}:6: source.delimiter: unknown key", 2, base="parquet",
         edit=set_field("source.delimiter", ";")),
    Case("on-malformed-unknown", "{job}:6: source.on_malformed: input should be 'fail', 'drop' or 'quarantine'", 2,
         edit=set_field("source.on_malformed", "skip")),
    Case("header-match-unknown", "{job}:6: source.header_match: input should be 'name' or 'position'", 2,
         edit=set_field("source.header_match", "fuzzy")),
    Case("allow-empty-not-bool", "{job}:6: source.allow_empty: input should be a valid boolean, unable to "
                                 "interpret input", 2, edit=set_field("source.allow_empty", "sometimes")),
    Case("missing-columns-not-in-schema", "{job}: source.missing_columns: 'colour' is not a column of "
                                          "source.schema", 2, base="json",
         edit=set_field("source.missing_columns", ["colour"]), files={"a.json": '{"id": 5}\n'}),
    Case("absolute-source-path", "{job}:4: source.path: '/etc/*.csv' must be relative to its root, without '..' "
                                 "(roots are set in the profile)", 2, edit=set_field("source.path", "/etc/*.csv")),
    Case("parent-source-path", "{job}:4: source.path: '../secrets/*.csv' must be relative to its root, without "
                               "'..' (roots are set in the profile)", 2,
         edit=set_field("source.path", "../secrets/*.csv")),
    Case("unknown-placeholder", "{job}:4: source.path: unknown placeholder {{day}} in path; only {{run_date}} is "
                                "supported", 2, edit=set_field("source.path", "csv/{day}/*.csv")),
    Case("mode-unknown", "{job}:10: target.mode: must be one of 'merge', 'scd2', 'append', 'overwrite', "
                         "'replace_partitions', got 'upsert'", 2, edit=set_field("target.mode", "upsert")),
    Case("merge-without-merge-options", "{job}:6: target.merge: required field is missing", 2,
         edit=_drop("target.merge")),
    Case("merge-keys-empty", "{job}:12: target.merge.keys: list should have at least 1 item after validation, "
                             "not 0", 2, edit=set_field("target.merge.keys", [])),
    Case("merge-keys-repeated", "{job}:12: target.merge.keys: id listed more than once", 2,
         edit=set_field("target.merge.keys", ["id", "id"])),
    Case("merge-key-not-identifier", "{job}:13: target.merge.keys[0]: 'order id' is not a valid column name "
                                     "(letters, digits and _, not starting with a digit)", 2,
         edit=set_field("target.merge.keys", ["order id"])),
    Case("sequence-is-key", "{job}:11: target.merge: sequence_by and tie_breaker cannot be keys or excluded from "
                            "update", 2, edit=set_field("target.merge.sequence_by", "id")),
    Case("tie-breaker-without-sequence", "{job}:11: target.merge: tie_breaker needs sequence_by", 2,
         edit=lambda spec: spec["target"]["merge"].update(sequence_by=None, tie_breaker="name")),
    Case("key-excluded-from-update", "{job}:11: target.merge: key columns cannot be excluded from update: id", 2,
         edit=set_field("target.merge.exclude_from_update", ["id"])),
    Case("null-keys-unknown", "{job}:16: target.merge.null_keys: input should be 'fail', 'drop' or 'quarantine'", 2,
         edit=set_field("target.merge.null_keys", "ignore")),
    Case("tombstone-days-zero", "{job}:16: target.merge.tombstone_days: input should be greater than or equal "
                                "to 1", 2, edit=set_field("target.merge.tombstone_days", 0)),
    Case("scd2-track-and-ignore", "{job}:9: target.scd2: set track_columns or ignore_columns, not both", 2,
         edit=lambda spec: spec.update(target={"path": "t", "mode": "scd2", "scd2": {
             "keys": ["id"], "sequence_by": "seq", "track_columns": ["name"], "ignore_columns": ["op"]}})),
    Case("scd2-without-sequence", "{job}:9: target.scd2.sequence_by: required field is missing", 2,
         edit=lambda spec: spec.update(target={"path": "t", "mode": "scd2", "scd2": {"keys": ["id"]}})),
    Case("scd2-history-column-is-a-key", "{job}:9: target.scd2: history column names clash with data columns: id",
         2, edit=lambda spec: spec.update(target={"path": "t", "mode": "scd2", "scd2": {
             "keys": ["id"], "sequence_by": "seq", "columns": {"valid_from": "id"}}})),
    Case("path-and-table", "{job}:6: target: set exactly one of `path` or `table`", 2,
         edit=set_field("target.table", "sales.things")),
    Case("neither-path-nor-table", "{job}:6: target: set exactly one of `path` or `table`", 2,
         edit=_drop("target.path")),
    Case("table-name-invalid", "{job}:15: target.table: 'a.b.c.d' is not a valid table name (table, schema.table "
                               "or catalog.schema.table)", 2,
         edit=lambda spec: (spec["target"].pop("path"), spec["target"].update(table="a.b.c.d"))),
    Case("partition-repeated", "{job}:8: target.partition_by: day listed more than once", 2,
         edit=set_field("target.partition_by", ["day", "day"])),
    Case("replace-partitions-unpartitioned", "{job}:6: target: mode replace_partitions needs `partition_by`", 2,
         edit=lambda spec: spec.update(target={"path": "things_csv", "mode": "replace_partitions"})),
    Case("property-not-delta", "{job}:17: target.properties.owner: 'owner' is not a Delta table property: only "
                               "`delta.*` properties can be set", 2, edit=set_field("target.properties", {"owner": "me"})),
    Case("retention-zero", "{job}:16: target.retention_days: input should be greater than or equal to 1", 2,
         edit=set_field("target.retention_days", 0)),
    Case("sql-file-missing", "{job}: transform.sql: SQL file not found: {project}/sql/nope.sql", 2,
         edit=set_field("transform.sql", "nope.sql"), files=ROW),
    Case("sql-file-outside", "{job}: transform.sql: '../conf/test.yaml' is outside the sql folder {project}/sql",
         2, edit=set_field("transform.sql", "../conf/test.yaml"), files=ROW),
    Case("delta-as-of-with-changes", "{job}:6: source.as_of: as_of needs read: snapshot (read: changes always "
                                     "reads up to the latest version)", 2,
         edit=set_field("source", {"format": "delta", "path": "t", "read": "changes", "as_of": {"version": 1}})),
    Case("delta-as-of-both", "{job}:5: source.as_of: set exactly one of `version` or `timestamp`", 2,
         edit=set_field("source", {"format": "delta", "path": "t",
                                   "as_of": {"version": 1, "timestamp": "2024-01-01"}})),
    Case("delta-as-of-not-a-time", "{job}:6: source.as_of.timestamp: 'noon' is not a timestamp such as 2024-03-01 "
                                   "or 2024-03-01 12:00:00", 2,
         edit=set_field("source", {"format": "delta", "path": "t", "as_of": {"timestamp": "noon"}})),
    Case("csv-option-on-delta", "{job}:5: source.header: unknown key", 2,
         edit=set_field("source", {"format": "delta", "path": "t", "header": True})),
    Case("delta-path-and-table", "{job}:2: source: set exactly one of `path` or `table`", 2,
         edit=set_field("source", {"format": "delta", "path": "t", "table": "s.t"})),
    Case("delta-path-outside-root", "{job}:4: source.path: '../raw' must be relative to its root, without '..' "
                                    "(roots are set in the profile)", 2,
         edit=set_field("source", {"format": "delta", "path": "../raw"})),
    Case("yaml-syntax", "{job}:3: invalid YAML: expected ',' or '}}', but got '<stream end>'", 2,
         spec_text="name: x\nsource: {format: csv\n"),
    Case("yaml-duplicate-key", "{job}:3: name: duplicate key", 2, spec_text="name: a\nsource: {}\nname: b\n"),
    Case("yaml-not-a-mapping", "{job}:1: expected a mapping of keys at the top level", 2, spec_text="- a\n- b\n"),
    Case("yaml-empty", "{job}:1: expected a mapping of keys at the top level", 2, spec_text=""),
    Case("yaml-not-utf8", "{job}: not UTF-8 text", 2, spec_text=b"name: caf\xe9\n"),
]


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_spec(world, capfd, index, case):
    check(world, case, index, capfd)
