"""`lakehouse validate` parses every SQL expression and SQL file of a job with sqlglot, without a JVM.

Valid Spark SQL (everything the examples, the README, the `init` template and the other tests
use) passes; a mistake is one line naming the file, the line and the field.  Only the last test
starts Spark: it checks that sqlglot and Spark's own parser agree on a corpus.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.cli.main import execute
from lakehouse.spec.fields import Model, SqlExpression
from lakehouse.spec.load import load_job
from lakehouse.spec.sql import expression_problem, query_problem, sql_expressions
from tests.jobs import REPO, SHOP, make_project, merge_spec

NOT_A_QUERY = "not a single query (only SELECT/WITH/VALUES queries are allowed)"
JAVA = "is not allowed (it calls arbitrary Java methods)"

VALID_EXPRESSIONS = [
    # the other tests' expressions that Spark runs (refusals by Spark's rules are below)
    "op = 'D'", "change_type = 'delete'", "to_date(ts)", "id > 0", "id < 0", "id > 100", "1", "name = 'b'",
    "size(arr) * 10 + id", "n > 20", "upper(name)", ":run_date -- the run date, bound by Spark", ":run_date",
    "day <= :run_date", "day >= DATE'2024-03-01'", "recent", ":run_day", "nope + 1", "cast(name as int)",
    "id div (seq - 2) > 0", "name", "id NOT IN (SELECT id FROM things_csv)",
    "name = (SELECT max(name) FROM global_temp.things)", "id IN (SELECT id FROM range(3))",
    # Spark-specific syntax
    "`order date` > DATE'2024-01-01'", "`a``b` IS NOT NULL", "CASE WHEN amount > 100 THEN 'big' ELSE 'small' END",
    "CASE status WHEN 'A' THEN 1 END", "status IN ('new', 'paid')", "status NOT IN ('x')", "name RLIKE '^[a-z]+$'",
    "name REGEXP 'x' OR name ILIKE '%y%'", "name LIKE ANY ('a%', 'b%')", "date_sub(day, 3)",
    "order_date >= date_sub(:run_date, 30)", "ts > current_timestamp() - INTERVAL 3 DAYS",
    "ts + INTERVAL '1 2:03' DAY TO MINUTE", "INTERVAL '1-2' YEAR TO MONTH", "INTERVAL 1 DAY 2 HOURS",
    "amount::decimal(10,2)", "cast(x AS struct<a:int,b:array<string>>)", "try_cast(x AS TIMESTAMP)",
    "transform(arr, (x, i) -> x + i)", "filter(arr, x -> x > 0)", "aggregate(arr, 0, (acc, x) -> acc + x)",
    "named_struct('a', 1).a", "m['k']", "arr[0]", "a.b.`c d`", "struct(a AS `b c`)", "element_at(m, 'k')",
    "a <=> b", "a IS DISTINCT FROM b", "NOT a = b", "!flag", "a == b", "a != b", "a % 2 = 0", "~a & 3 | 4 ^ 1",
    "a << 1", "a >> 1", "1.5e-3D + 1Y + 1S + 10L + 100BD", "X'1F'", "0x1F", "TIMESTAMP_NTZ '2024-01-01 00:00:00'",
    "nvl(a, 0) + nvl2(a, 1, 2) + coalesce(a, b)", "if(a IS NULL, 0, 1)", "a BETWEEN 1 AND 2",
    "EXTRACT(YEAR FROM ts) = 2024", "date_trunc('MM', ts)", "trim(BOTH 'x' FROM name)", "position('a' IN name)",
    "substring(name FROM 1 FOR 2)", "overlay(name PLACING 'x' FROM 1)", "percentile_cont(0.5) WITHIN GROUP (ORDER BY a)",
    "row_number() OVER (PARTITION BY id ORDER BY seq DESC)", "count(*) FILTER (WHERE a > 1)",
    "EXISTS (SELECT 1)", "(a, b) IN ((1, 2))", "a COLLATE UTF8_LCASE = 'x'", "variant_get(parse_json(j), '$.a', 'int')",
    "regexp_extract(name, '(\\\\d+)', 1)", "a = 'it''s' OR a = 'it\\'s' OR a = \"double\"", "a /* note */ + b",
    "(\n  amount >= 0\n  AND status <> 'void'\n)", "system.builtin.upper(name)",
]
BROKEN_EXPRESSIONS = {  # text: the problem reported
    "price >> 0 AND": "syntax error at or near 'AND' (column 14)",
    "seq >": "syntax error at or near '>' (column 5)",
    "id +": "syntax error at or near '+' (column 4)",
    "a b": "syntax error at or near 'b' (column 3)",
    "(a": "syntax error at or near 'a' (column 2)",
    "a = = b": "syntax error at or near '=' (column 5)",
    "a >= 0 AND\n b < 1 AND": "syntax error at or near 'AND' (line 2 of the expression, column 10)",
    "SELECT 1": "syntax error at or near 'SELECT' (column 6)",
    "a; DROP TABLE t": "syntax error at ';': an expression is not a statement, it has no ';'",
    "a = 'x": "syntax error: unclosed '",
    "`a": "syntax error: unclosed `",
    "": "syntax error: the expression is empty",
    "reflect('java.lang.System', 'getenv', 'HOME')": f"reflect() {JAVA}",
    "transform(arr, v -> `JAVA_METHOD`('java.lang.Math', 'abs', v))": f"java_method() {JAVA}",
    "IDENTIFIER('reflect')('java.lang.Math', 'random') > 0": "IDENTIFIER(...) is not allowed: spell the name out",
}
VALID_QUERIES = [
    "SELECT id, upper(name) AS name FROM source;",
    "WITH a AS (SELECT id, name FROM source), b AS (SELECT * FROM a WHERE id > 1) SELECT * FROM b",
    "FROM source SELECT id, name WHERE id = 1",
    "SELECT id, name FROM source UNION ALL VALUES (3, 'c')",
    "SELECT id, x FROM source, LATERAL explode(arr) AS t(x) WHERE id = 1",
    "SELECT * FROM source LATERAL VIEW posexplode(arr) t AS p, x",
    "SELECT s.id FROM SOURCE AS s WHERE s.id IN (SELECT id FROM source WHERE name = 'b')",
    "SELECT * FROM source WHERE to_date(ordered_at) <= :run_date",
    "VALUES (1, 'a')", "TABLE source", "(SELECT 1)", "SELECT 1;\n\n-- the end\n",
    "FROM source |> WHERE id > 1",
]
BROKEN_QUERIES = {  # text: (line, problem)
    "DELETE FROM source WHERE id = 1": (1, f"{NOT_A_QUERY}: DELETE is not a query"),
    "-- drop it\nCREATE OR REPLACE TEMP VIEW v AS SELECT 1": (2, f"{NOT_A_QUERY}: CREATE is not a query"),
    "SET lakehouse.leaked = true": (1, f"{NOT_A_QUERY}: SET is not a query"),
    "CACHE TABLE leaked AS SELECT * FROM source": (1, f"{NOT_A_QUERY}: CACHE is not a query"),
    "EXPLAIN SELECT 1": (1, f"{NOT_A_QUERY}: EXPLAIN is not a query"),
    "SELECT * FROM source;\n\nDROP TABLE t;": (3, f"{NOT_A_QUERY}: a second statement starts here"),
    "SELECT * FROM source; SELECT 1": (1, f"{NOT_A_QUERY}: a second statement starts here"),
    "-- nothing but a comment\n": (1, f"{NOT_A_QUERY}: the file holds no SQL"),
    "AS": (1, f"{NOT_A_QUERY}: AS is not a query"),
    "SELECT\n  id\nFROM source\nWHERE (id": (4, "syntax error at or near 'id' (column 9)"),
    "SELECT id,\n  'x\nFROM source": (2, "syntax error: unclosed '"),
    "SELECT id\nFROM source\nWHERE name IN (SELECT JAVA_METHOD('java.lang.System', 'getenv', 'HOME'))":
        (3, f"java_method() {JAVA}"),
    "SELECT transform(arr, x -> system.builtin.reflect('java.lang.String', 'valueOf', x)) FROM source":
        (1, f"reflect() {JAVA}"),
    "SELECT * FROM IDENTIFIER('source')": (1, "IDENTIFIER(...) is not allowed: spell the name out"),
}


# ------------------------------------------------------------------ no false positives

@pytest.mark.parametrize("text", VALID_EXPRESSIONS)
def test_valid_spark_expressions_pass(text):
    assert expression_problem(text) is None


@pytest.mark.parametrize("text", VALID_QUERIES)
def test_valid_spark_queries_pass(text):
    assert query_problem(text) is None


def _yaml_blocks(markdown: str) -> list:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", markdown, re.S)]


def _expressions_in(node) -> list[str]:
    """Values of `derive`, items of `filter` and `delete_when` anywhere in a README YAML block."""
    if isinstance(node, list):
        return [text for item in node for text in _expressions_in(item)]
    if not isinstance(node, dict):
        return []
    found = list(node.get("derive", {}).values()) + list(node.get("filter", []))
    found += [node["delete_when"]] if isinstance(node.get("delete_when"), str) else []
    return found + [text for value in node.values() for text in _expressions_in(value)]


def test_every_expression_and_sql_file_of_the_examples_readme_and_template_passes(capsys):
    readme = [text for block in _yaml_blocks((REPO / "README.md").read_text()) for text in _expressions_in(block)]
    assert "to_date(ordered_at)" in readme and "order_date >= date_sub(:run_date, 30)" in readme
    jobs = sorted(SHOP.glob("jobs/*.yaml")) + sorted(SHOP.glob("revisions/*.yaml")) + \
        sorted((REPO / "lakehouse/cli/template/jobs").glob("*.yaml"))
    examples = [text for job in jobs for _, text in sql_expressions(load_job(job))]
    assert "op = 'D'" in examples
    assert [t for t in readme + examples if expression_problem(t)] == []
    sql_files = sorted(SHOP.glob("sql/*.sql")) + sorted((REPO / "lakehouse/cli/template/sql").glob("*.sql"))
    assert len(sql_files) == 3 and [f for f in sql_files if query_problem(f.read_text())] == []
    assert execute(["validate", str(SHOP / "jobs")]) == 0
    assert capsys.readouterr().out.count("ok  ") == 3


# --------------------------------------------------------------------- mistakes found

@pytest.mark.parametrize("text, problem", BROKEN_EXPRESSIONS.items(), ids=list(BROKEN_EXPRESSIONS))
def test_broken_expressions_are_reported(text, problem):
    assert expression_problem(text) == problem


@pytest.mark.parametrize("text, found", BROKEN_QUERIES.items(), ids=list(BROKEN_QUERIES))
def test_sql_files_that_are_not_one_valid_query_are_reported_with_their_line(text, found):
    assert query_problem(text) == found


def _validate(job: Path, capsys) -> tuple[int, str]:
    code = execute(["validate", str(job)])
    return code, capsys.readouterr().err


JOB = """\
name: orders
source:
  format: csv
  path: orders/{run_date}/*.csv
  schema: "id BIGINT, status STRING, ts TIMESTAMP, op STRING"
transform:
  derive:
    day: to_date(ts)
    status: %(derive)s
  filter:
    - id > 0
    - >-
      %(filter)s
target:
  path: orders
  mode: merge
  merge:
    keys: [id]
    delete_when: %(delete_when)s
"""
GOOD = {"derive": "upper(status)", "filter": "status <> 'void'", "delete_when": "op = 'D'"}


@pytest.mark.parametrize("field, text, line, path", [
    ("derive", "upper(status", 9, "transform.derive.status"),
    ("filter", "price >> 0 AND", 12, "transform.filter[1]"),
    ("delete_when", "\"op = 'D' OR\"", 19, "target.merge.delete_when"),
])
def test_validate_names_file_line_and_field(tmp_path, capsys, field, text, line, path):
    job = make_project(tmp_path) / "jobs" / "orders.yaml"
    job.write_text(JOB % GOOD)
    assert _validate(job, capsys) == (0, "")
    job.write_text(JOB % {**GOOD, field: text})
    code, err = _validate(job, capsys)
    assert code == 2
    assert re.fullmatch(rf"error: {re.escape(str(job))}:{line}: {re.escape(path)}: syntax error at or near '\S+' "
                        r"\(column \d+\)\n", err), err


def test_validate_names_the_sql_file_and_its_line(tmp_path, capsys):
    project = make_project(tmp_path)
    job = project / "jobs" / "things.yaml"
    job.write_text(yaml.safe_dump({**merge_spec(), "transform": {"sql": "clean.sql"}}))
    sql = project / "sql" / "clean.sql"
    sql.write_text("SELECT *\nFROM source;\nDELETE FROM source\n")
    assert _validate(job, capsys) == (2, f"error: {sql}:3: {NOT_A_QUERY}: a second statement starts here\n")
    sql.write_text("SELECT *\nFROM source\nWHERE id >\n")
    assert _validate(job, capsys) == (2, f"error: {sql}:3: syntax error at or near '>' (column 10)\n")
    sql.write_text("SELECT *\nFROM source\nWHERE id > 0\n")
    assert _validate(job, capsys)[0] == 0


class _Check(Model):
    name: str
    condition: SqlExpression


class _Spec(Model):
    expect: list[_Check] = []
    when: SqlExpression | None = None
    columns: dict[str, SqlExpression] = {}
    nested: dict[str, list[SqlExpression]] = {}
    note: str = "a = "


def test_every_field_of_the_type_is_found_by_walking_the_model():
    spec = _Spec(expect=[{"name": "positive", "condition": "amount > 0"}], columns={"d": "to_date(ts)"},
                 nested={"k": ["a", "b"]})
    assert sql_expressions(spec) == [(("expect", 0, "condition"), "amount > 0"), (("columns", "d"), "to_date(ts)"),
                                     (("nested", "k", 0), "a"), (("nested", "k", 1), "b")]
    assert sql_expressions(_Spec(when="x")) == [(("when",), "x")]


def test_validate_does_not_import_pyspark(tmp_path):
    blocked = tmp_path / "blocked"
    for name in ("pyspark", "py4j", "delta"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    env = {"PYTHONPATH": f"{blocked}:{REPO}", "PATH": "/usr/bin:/bin"}
    probe = subprocess.run([sys.executable, "-c", "import pyspark"], env=env, capture_output=True, text=True)
    assert "blocked by the test" in probe.stderr  # the blocker works
    done = subprocess.run([sys.executable, "-m", "lakehouse", "validate", str(SHOP / "jobs")], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout.count("ok  ")) == (0, "", 3)


# ------------------------------------------------------------------------ property

_COLUMN = st.sampled_from(["id", "amount", "`order date`", "s.name", "arr[0]", "m['k']", ":run_date"])
_LITERAL = st.sampled_from(["0", "-1.5", "'D'", "'it\\'s'", "DATE'2024-01-01'", "NULL", "TRUE", "INTERVAL 3 DAYS"])


_OPERATOR = st.sampled_from(["+", "-", "*", "/", "%", "=", "<>", ">=", "<=>", "AND", "OR", "||"])
_FORMS = ["({0}) {op} ({1})", "NOT ({0})", "({0}) IS NULL", "coalesce({0}, {1})", "greatest({0}, {1})",
          "to_date({0})", "cast({0} AS STRING)", "CASE WHEN {0} THEN {1} ELSE NULL END", "({0}) IN (({1}), 1)",
          "({0}) BETWEEN ({1}) AND 9", "({0}) RLIKE '^a'", "date_sub({0}, 3)", "transform(arr, x -> ({0}) + x)"]


def _compound(inner):
    """One of :data:`_FORMS` around generated operands (in parentheses where precedence could bite)."""
    return st.builds(lambda form, a, b, op: form.format(a, b, op=op), st.sampled_from(_FORMS), inner, inner, _OPERATOR)


EXPRESSIONS = st.recursive(st.one_of(_COLUMN, _LITERAL), _compound, max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(EXPRESSIONS, st.sampled_from(["AND", "+", "=", "IN (", "BETWEEN 1 AND", ","]))
def test_generated_expressions_pass_and_fail_once_cut_off(text, tail):
    assert expression_problem(text) is None, text
    assert expression_problem(f"{text} {tail}") is not None


_PIECES = st.sampled_from([*"ab1()'`\",;:.-*/+=<>!|&^%~[]{}$?@\n\\", "SELECT", "FROM", "AND", "CASE", "WHEN",
                           "END", "INTERVAL", "->", "/*", "*/", "--", "IN", "OVER", "WITH", "AS", "reflect("])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=15).map(" ".join))
def test_any_text_is_accepted_or_refused_with_a_reason_never_a_crash(text):
    for problem in (expression_problem(text), query_problem(text)):
        assert problem is None or problem


# ------------------------------------------------------------- agreement with Spark

def test_sqlglot_and_sparks_parser_agree(spark):
    """Each text is accepted by both parsers or refused by both, Spark parsing it as each run does (as an
    expression, and inside the SELECT and WHERE lakehouse builds around it)."""
    parser = spark._jsparkSession.sessionState().sqlParser()

    def spark_accepts(text: str) -> bool:
        try:
            parser.parseExpression(text)
            parser.parsePlan(f"SELECT (\n{text}\n) AS x FROM v AS v WHERE (\n{text}\n)")
            return True
        except Exception:  # noqa: BLE001 - a ParseException through py4j
            return False

    refused = [t for t in BROKEN_EXPRESSIONS if "not allowed" not in BROKEN_EXPRESSIONS[t]]
    accepted = VALID_EXPRESSIONS
    differ = [t for t in refused + accepted if spark_accepts(t) != (expression_problem(t) is None)]
    assert differ == [], textwrap.shorten(repr(differ), 500)
