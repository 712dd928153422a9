"""Mistakes found while a job runs: transforms, keys, the table, re-runs and the command line.

Each fails with one line naming the job file and the field, the documented exit code, and
nothing written.
"""

import pytest

from tests.bad_inputs.harness import Case, check, set_field, load_ok

H = "id,name,day,seq,op\n"
ROW = H + "5,a,2024-01-01,2,I\n"


def _reload_with(files):
    """Setup: load the case's date, then deliver ``files`` (a late or corrected file)."""
    def setup(world, case, date):
        load_ok(world, case, date)
        world.write_files(case.base, date, files)
    return setup


def _evolving(edit):
    """``edit``, with ``target.on_schema_change: add_columns``."""
    def both(spec):
        edit(spec)
        set_field("target.on_schema_change", "add_columns")(spec)
    return both


CASES = [
    # ---------------------------------------------------------------------------------------- transforms
    Case("derive-syntax", "{job}: transform.derive.big: [PARSE_SYNTAX_ERROR] Syntax error at or near end of "
                          "input.", 2,
         edit=set_field("transform.derive", {"big": "seq >"}), files={"a.csv": ROW}),
    Case("derive-unknown-column", "{job}: transform.derive.big: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, "
                                  "variable, or function parameter with name `nope` cannot be resolved. Did you "
                                  "mean one of the following? [`op`, `id`, `name`, `day`, `seq`].", 2,
         edit=set_field("transform.derive", {"big": "nope + 1"}), files={"a.csv": ROW}),
    Case("derive-fails-at-run-time", "{job}: transform.derive.n: The value 'a' of the type \"STRING\" cannot be "
                                     "cast to \"INT\" because it is malformed", 3,
         edit=set_field("transform.derive", {"n": "cast(name as int)"}), files={"a.csv": ROW}),
    Case("filter-divides-by-zero", "{job}: transform.filter[0]: Division by zero", 3,
         edit=set_field("transform.filter", ["id div (seq - 2) > 0"]), files={"a.csv": ROW}),
    Case("filter-not-boolean", "{job}: transform.filter[0]: [DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] Cannot resolve "
                               "\"name\" due to data type mismatch: Filter expression \"name\" of type \"STRING\" "
                               "is not a boolean.", 2,
         edit=set_field("transform.filter", ["name"]), files={"a.csv": ROW}),
    Case("cast-unknown-type", "{job}: transform.cast.seq: [UNSUPPORTED_DATATYPE] Unsupported data type \"NUMBERZ\".", 2,
         edit=set_field("transform.cast", {"seq": "numberz"}), files={"a.csv": ROW}),
    Case("rename-unknown-column", "{job}: transform.rename.nope: no column 'nope' to rename (columns: id, name, "
                                  "day, seq, op)", 2,
         edit=set_field("transform.rename", {"nope": "other"}), files={"a.csv": ROW}),
    Case("delete-when-not-boolean", "{job}: target.merge.delete_when: 'op' is STRING, not a condition (BOOLEAN)", 2,
         edit=set_field("target.merge.delete_when", "op"), files={"a.csv": ROW}),
    Case("delete-when-unknown-column", "{job}: target.merge.delete_when: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A "
                                       "column, variable, or function parameter with name `kind` cannot be "
                                       "resolved. Did you mean one of the following? [`id`, `op`, `day`, `seq`, "
                                       "`name`].", 2,
         edit=set_field("target.merge.delete_when", "kind = 'D'"), files={"a.csv": ROW}),
    Case("bad-schema-ddl", "{job}: source.schema: invalid schema: [UNSUPPORTED_DATATYPE] Unsupported data type "
                           "\"BIGINTT\".", 2,
         edit=set_field("source.schema", "id BIGINTT"), files={"a.csv": ROW}),
    # ------------------------------------------------------------------------------------- keys and order
    Case("partition-column-missing", "{job}: target.partition_by: column 'region' is not in the data (columns: "
                                     "id, name, day, seq, op)", 2,
         edit=set_field("target.partition_by", ["region"]), files={"a.csv": ROW}),
    Case("merge-key-missing", "{job}: target.merge.keys: column 'order_id' is not in the data (columns: id, name, "
                              "day, seq, op)", 2,
         edit=set_field("target.merge.keys", ["order_id"]), files={"a.csv": ROW}),
    Case("sequence-column-missing", "{job}: target.merge.sequence_by: column 'version' is not in the data "
                                    "(columns: id, name, day, seq, op)", 2,
         edit=set_field("target.merge.sequence_by", "version"), files={"a.csv": ROW}),
    Case("null-key", "{job}: target.merge.keys: 1 row with a null key (id); nothing was written (set "
                     "target.merge.null_keys: drop to drop and count them)", 3, files={"a.csv": H + ",a,2024-01-01,2,I\n"}),
    Case("null-sequence", "{job}: target.merge.sequence_by: rows with a null seq (sequence_by), e.g. (id=5); nothing "
                          "was written", 3,
         files={"a.csv": H + "5,a,2024-01-01,,I\n"}),
    Case("tie-in-increment", "{job}: target.merge.sequence_by: rows of equal order (seq) with different values "
                             "for one key in the increment, e.g. (id=5); nothing was written", 3,
         files={"a.csv": H + "5,a,2024-01-01,2,I\n5,b,2024-01-01,2,I\n"}),
    Case("scd2-history-column-in-data", "{job}: target.scd2.columns: the data already has a column 'day', a history "
                                        "column of the table; rename it or name the history columns otherwise", 2,
         edit=set_field("target", {"path": "things_scd2", "mode": "scd2", "scd2": {
             "keys": ["id"], "sequence_by": "seq", "columns": {"valid_to": "day"}}}), files={"a.csv": ROW}),
    Case("scd2-null-sequence", "{job}: target.scd2.sequence_by: rows with a null seq (sequence_by), e.g. (id=5); "
                               "nothing was written", 3,
         edit=set_field("target", {"path": "things_scd2", "mode": "scd2", "scd2": {"keys": ["id"], "sequence_by": "seq"}}),
         files={"a.csv": H + "5,a,2024-01-01,,I\n"}),
    Case("duplicate-keys-without-sequence", "{job}: target.merge.keys: duplicate keys in the increment, e.g. "
                                            "(id=5); set target.merge.sequence_by to keep the latest row per "
                                            "key; nothing was written", 3,
         edit=set_field("target.merge", {"keys": ["id"]}), files={"a.csv": H + "5,a,2024-01-01,2,I\n5,b,2024-01-01,3,I\n"}),
    # --------------------------------------------------------------------------------------------- the table
    Case("partitioning-differs", "{job}: target.partition_by: table {table} is partitioned by ['day'], the spec "
                                 "declares ['op']", 2,
         edit=set_field("target.partition_by", ["op"]), files={"a.csv": ROW}),
    Case("column-type-differs", "{job}: source.schema: column seq is STRING in the run but INT in table {table}; "
                                "declare or cast it to the table's type", 2,
         edit=set_field("transform.cast", {"seq": "string"}), files={"a.csv": ROW}),
    Case("column-not-in-table", "{job}: the run's columns do not match table {table}: missing none, not in the "
                                "table ['extra']; nothing was written", 3,
         edit=set_field("transform.derive", {"extra": "1"}), files={"a.csv": ROW}),
    Case("add-columns-refuses-string-to-int", "{job}: source.schema: column name is INT in the run but STRING in "
                                              "table {table}: not a widening target.on_schema_change: add_columns "
                                              "applies; declare or cast it to the table's type", 2,
         edit=_evolving(set_field("transform.cast", {"name": "int"})), files={"a.csv": H + "5,7,2024-01-01,2,I\n"}),
    Case("add-columns-ordering-type-change", "{job}: source.schema: column seq is BIGINT in the run but INT in table "
                                             "{table}: a key, ordering or partition column cannot change type; cast "
                                             "it to the table's type", 2,
         edit=_evolving(set_field("transform.cast", {"seq": "bigint"})), files={"a.csv": ROW}),
    Case("add-columns-run-lacks-a-column", "{job}: the run lacks column name of table {table} "
                                           "(target.on_schema_change never drops a column); nothing was written", 3,
         edit=_evolving(set_field("transform.rename", {"name": "full_name"})), files={"a.csv": ROW}),
    Case("target-folder-holds-files", "{job}: target.path: {project}/lake/notes is not a Delta table but holds "
                                      "other files (readme.txt); point the target at an empty or new folder", 2,
         edit=set_field("target.path", "notes"), files={"a.csv": ROW},
         setup=lambda world, case, date: ((world.project / "lake" / "notes").mkdir(exist_ok=True),
                                          (world.project / "lake" / "notes" / "readme.txt").write_text("mine"))),
    Case("overwrite-with-no-rows", "{job}: the run has no rows: overwrite would empty table {table}; nothing was "
                                   "written", 3, base="parquet",
         edit=lambda spec: (spec["target"].update(mode="overwrite"), spec.update(transform={"filter": ["id < 0"]})),
         files={}, setup=lambda world, case, date: world.write_files(
             "parquet", date, {"part-1.parquet": _parquet_rows()})),
    # ---------------------------------------------------------------------------------------------- re-runs
    Case("rerun-with-changed-file", "{job}: run date {date} was loaded in version 1, but its source files changed "
                                    "since (changed: {raw}/a.csv); run with --force to load it again", 3,
         files={"a.csv": ROW}, setup=_reload_with({"a.csv": ROW + "6,b,2024-01-01,2,I\n"})),
    Case("rerun-with-late-file", "{job}: run date {date} was loaded in version 2, but its source files changed "
                                 "since (new: {raw}/b.csv); run with --force to load it again", 3,
         files={"a.csv": ROW}, setup=_reload_with({"b.csv": H + "7,c,2024-01-01,2,I\n"})),
    Case("rerun-with-file-gone", "{job}: run date {date} was loaded in version 3, but its source files changed "
                                 "since (gone: {raw}/b.csv); run with --force to load it again", 3,
         files={"a.csv": ROW, "b.csv": H + "8,c,2024-01-01,2,I\n"},
         setup=lambda world, case, date: (load_ok(world, case, date), world.raw_dir("csv", date).joinpath(
             "b.csv").unlink())),
    # ------------------------------------------------------------------------------------- the command line
    Case("date-not-a-date", "lakehouse run: argument --date: run date '2024-02-30' is not a date "
                            "(YYYY-MM-DD, today, yesterday or today-N) (see lakehouse run --help)", 2, command=("run", "{job}", "--date", "2024-02-30", "--profile", "test")),
    Case("date-relative-unknown", "lakehouse run: argument --date: run date 'today+1' is not a date "
                                  "(YYYY-MM-DD, today, yesterday or today-N) (see lakehouse run --help)", 2, command=("run", "{job}", "--date", "today+1", "--profile", "test")),
    Case("date-missing", "lakehouse run: a run date is required: --date DATE, or --from DATE --to DATE "
                         "(see lakehouse run --help)",
         2, command=("run", "{job}", "--profile", "test")),
    Case("from-without-to", "lakehouse run: --from and --to go together (see lakehouse run --help)", 2,
         command=("run", "{job}", "--from", "2024-03-01", "--profile", "test")),
    Case("from-after-to", "lakehouse run: argument --from: 2024-03-02 is after 2024-03-01: the range is "
                          "empty (see lakehouse run --help)", 2,
         command=("run", "{job}", "--from", "2024-03-02", "--to", "2024-03-01", "--profile", "test")),
    Case("select-unknown-job", "lakehouse run: argument --select: no job named 'nope' (jobs: things_csv) (see "
                               "lakehouse run --help)", 2,
         command=("run", "{job}", "--date", "2024-03-01", "--select", "nope", "--profile", "test")),
    Case("parallel-zero", "lakehouse run: argument --parallel: expected a whole number of at least 1, got '0' "
                          "(see lakehouse run --help)", 2, args=("--parallel", "0")),
    Case("unknown-option", "lakehouse: unrecognized arguments: --colour red (see lakehouse --help)", 2,
         args=("--colour", "red")),
    Case("unknown-profile", "{project}/conf/nope.yaml: profile 'nope' not found in {project}/conf (profiles: "
                            "test)", 2, command=("run", "{job}", "--date", "2024-03-01", "--profile", "nope")),
    Case("unknown-root", "{job}: source.root: root 'archive' is not defined in profile 'test' (roots: lake, raw)",
         2, edit=set_field("source.root", "archive")),
    Case("job-file-missing", "{project}/jobs/nope.yaml: file not found", 2,
         command=("run", "{project}/jobs/nope.yaml", "--date", "2024-03-01", "--profile", "test")),
    Case("output-format-unknown", "lakehouse run: argument --output: invalid choice: 'xml' (choose from 'text', "
                                  "'json') (see lakehouse run --help)", 2, args=("--output", "xml")),
]


def _parquet_rows():
    import datetime as dt

    from tests.bad_inputs.harness import parquet
    from tests.jobs import SCHEMA

    return parquet(SCHEMA, [(5, "a", dt.date(2024, 1, 1), 2, "I")])


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_run(world, capfd, index, case):
    check(world, case, index, capfd)
