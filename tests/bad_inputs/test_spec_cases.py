"""Hostile or mistaken specs, SQL and paths: YAML bombs, paths that leave their root, SQL that is not
one query or reaches past its source, and ``vacuum`` of a folder that is not a table.

Each fails with one line naming the file and the field, exit 2, and nothing written or deleted.
"""

import pytest

from tests.bad_inputs.harness import Case, check, set_field
from tests.test_loader import BILLION_LAUGHS

ROW = "id,name,day,seq,op\n5,a,2024-01-01,2,I\n"
NOT_A_QUERY = "is not a single query (only SELECT/WITH/VALUES queries are allowed): [PARSE_SYNTAX_ERROR] Syntax error"
JAVA = "is not allowed (it calls arbitrary Java methods)"
READS_ONLY = "a SQL file reads only the view 'source' and its own WITH queries"
RELATIVE = "must be relative to its root, without '..' (roots are set in the profile)"
PARTITION = "lake/things_csv/day=2024-01-01"


def _sql(name: str, text: str) -> dict:
    """Case fields for a job whose transform is the SQL file ``name`` holding ``text``."""
    return {"edit": set_field("transform.sql", name), "files": {"a.csv": ROW},
            "setup": lambda world, case, date: (world.project / "sql" / name).write_text(text)}


def _vacuum(folder: str) -> tuple[str, ...]:
    return ("vacuum", f"{{project}}/{folder}", "--profile", "test", "--conf-dir", "{project}/conf",
            "--retain-hours", "0", "--force")


def _plain_folder(world, case, date) -> None:
    folder = world.project / "plain"
    folder.mkdir(exist_ok=True)
    (folder / "part-00000.parquet").write_bytes(b"not a table")
    (folder / "notes.txt").write_text("keep me")


CASES = [
    # ----------------------------------------------------------------------------------------- YAML limits
    Case("yaml-alias-bomb", "{job}:4: YAML aliases exceed the limit of 1000 repeated nodes", 2,
         spec_text=BILLION_LAUGHS),
    Case("yaml-recursive-alias", "{job}:1: YAML aliases exceed the limit of 1000 repeated nodes", 2,
         spec_text="name: &a [*a]\n"),
    Case("yaml-deep-nesting", "{job}:1: YAML nesting deeper than 50 levels", 2,
         spec_text="name: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    Case("yaml-too-large", "{job}: file is larger than the limit of 1 MiB", 2,
         spec_text="name: x\ndescription: " + "x" * 1024 * 1024 + "\n"),
    # ----------------------------------------------------------------------------------------------- paths
    Case("source-path-format-leaves-root",
         f"{{job}}:4: source.path: '{{{{run_date:..}}}}/outside/*.csv' becomes '../outside/*.csv' for run date "
         f"2024-12-31, which {RELATIVE}", 2, edit=set_field("source.path", "{run_date:..}/outside/*.csv")),
    Case("source-path-format-absolute",
         f"{{job}}:4: source.path: '{{{{run_date:/etc/%Y}}}}/*.csv' becomes '/etc/2024/*.csv' for run date "
         f"2024-12-31, which {RELATIVE}", 2, edit=set_field("source.path", "{run_date:/etc/%Y}/*.csv")),
    Case("target-path-is-the-root", "{job}:7: target.path: './' must name a folder below its root, not the root "
                                    "itself", 2, edit=set_field("target.path", "./")),
    Case("target-path-goes-up", f"{{job}}:7: target.path: 'things_csv/..' {RELATIVE}", 2,
         edit=set_field("target.path", "things_csv/..")),
    Case("target-path-empty", "{job}:7: target.path: must not be empty", 2, edit=set_field("target.path", "")),
    # ---------------------------------------------------------------------------------------- SQL files
    Case("sql-delete", f"{{job}}: transform.sql: SQL file delete.sql {NOT_A_QUERY} at or near 'DELETE'.", 2,
         **_sql("delete.sql", "DELETE FROM source WHERE id = 1\n")),
    Case("sql-create-view", f"{{job}}: transform.sql: SQL file view.sql {NOT_A_QUERY} at or near 'CREATE'.", 2,
         **_sql("view.sql", "CREATE OR REPLACE TEMP VIEW source AS SELECT 1 AS id\n")),
    Case("sql-two-statements", f"{{job}}: transform.sql: SQL file two.sql {NOT_A_QUERY} at or near ';'.", 2,
         **_sql("two.sql", "SELECT * FROM source;\nDROP TABLE things_csv;\n")),
    Case("sql-global-temp-view", f"{{job}}: transform.sql: SQL file global.sql: cannot read global_temp.rows: "
                                 f"{READS_ONLY}", 2,
         **_sql("global.sql", "SELECT * FROM source UNION ALL SELECT * FROM global_temp.rows\n")),
    Case("sql-reads-a-table-by-path", f"{{job}}: transform.sql: SQL file path.sql: cannot read "
                                      f"delta.`/data/lake/orders`: {READS_ONLY}", 2,
         **_sql("path.sql", "SELECT s.* FROM source AS s JOIN delta.`/data/lake/orders` USING (id)\n")),
    Case("sql-reflect", f"{{job}}: transform.sql: SQL file reflect.sql: reflect() {JAVA}", 2,
         **_sql("reflect.sql", "SELECT *, reflect('java.lang.System', 'getenv', 'HOME') AS home FROM source\n")),
    # -------------------------------------------------------------------------------------- expressions
    Case("derive-java-method", f"{{job}}: transform.derive.home: java_method() {JAVA}", 2,
         edit=set_field("transform.derive", {"home": "java_method('java.lang.System', 'getenv', 'HOME')"}),
         files={"a.csv": ROW}),
    Case("filter-reads-a-table", "{job}: transform.filter[0]: cannot read things_csv: an expression reads no table",
         2, edit=set_field("transform.filter", ["id NOT IN (SELECT id FROM things_csv)"]), files={"a.csv": ROW}),
    # ----------------------------------------------------------- `lakehouse validate`: SQL parsed without a JVM
    Case("validate-filter-syntax", "{job}:18: transform.filter[0]: syntax error at or near 'AND' (column 14)", 2,
         edit=set_field("transform.filter", ["price >> 0 AND"]), command=("validate", "{job}")),
    Case("validate-delete-when-syntax", "{job}:15: target.merge.delete_when: syntax error at or near 'OR' (column 11)",
         2, edit=set_field("target.merge.delete_when", "op = 'D' OR"), command=("validate", "{job}")),
    Case("validate-derive-java-method", f"{{job}}:18: transform.derive.home: java_method() {JAVA}", 2,
         edit=set_field("transform.derive", {"home": "java_method('java.lang.System', 'getenv', 'HOME')"}),
         command=("validate", "{job}")),
]

VACUUM_CASES = [  # (case, the folder it names)
    (Case("vacuum-partition-folder", f"no Delta table at {{project}}/{PARTITION} (no _delta_log folder)", 2,
          command=_vacuum(PARTITION)), PARTITION),
    (Case("vacuum-plain-folder", "no Delta table at {project}/plain (no _delta_log folder)", 2,
          command=_vacuum("plain"), setup=_plain_folder), "plain"),
]

DELETE_WHEN = Case(
    "delete-when-java-method", f"{{job}}: target.merge.delete_when: java_method() {JAVA}", 2,
    edit=set_field("target.merge.delete_when", "op = 'D' OR java_method('java.lang.Math', 'random') = 'x'"),
    files={"a.csv": ROW})
"""Waits for runner._with_delete_flag to build its condition with transforms.derive."""


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_spec(world, capfd, index, case):
    check(world, case, index, capfd)


@pytest.mark.parametrize("case, folder", VACUUM_CASES, ids=[c.id for c, _ in VACUUM_CASES])
def test_vacuum_of_a_folder_that_is_not_a_table(world, capfd, case, folder):
    if case.setup:
        case.setup(world, case, "")
    files = sorted((world.project / folder).iterdir())
    assert files, f"{folder} should hold files"
    check(world, case, len(CASES), capfd)
    assert sorted((world.project / folder).iterdir()) == files  # nothing deleted


def test_bad_delete_condition(world, capfd):
    check(world, DELETE_WHEN, len(CASES) + 1, capfd)
