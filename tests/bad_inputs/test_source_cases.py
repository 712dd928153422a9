"""Bad raw files, as users deliver them: each fails with one line naming the file, exit 3, nothing written."""

import datetime as dt

import pytest

from tests.bad_inputs.harness import Case, check, set_field, parquet
from tests.jobs import SCHEMA

DAY = dt.date(2024, 1, 1)

H = "id,name,day,seq,op\n"
SCHEMA_COLUMNS = "id, name, day, seq, op"
POSITION = "(set source.header_match: position to read by position)"
MALFORMED = "(set source.on_malformed: drop to skip such records and count them)"


CASES = [
    # ---------------------------------------------------------------- files that are not there or hold nothing
    Case("no-files", "{job}: source.path: no files match {project}/raw/csv/{date}/*.csv", 3),
    Case("empty-file", "{job}: source: the 1 file(s) of run date {date} hold no rows ({raw}/part-1.csv); "
                       "set source.allow_empty: true if an empty day is expected", 3, files={"part-1.csv": ""}),
    Case("header-only", "{job}: source: the 1 file(s) of run date {date} hold no rows ({raw}/part-1.csv); "
                        "set source.allow_empty: true if an empty day is expected", 3, files={"part-1.csv": H}),
    Case("only-hidden-files", "{job}: source.path: no files match {project}/raw/csv/{date}/*", 3,
         edit=set_field("source.path", "csv/{run_date}/*"), files={"_SUCCESS": "", ".part-1.csv.crc": "x"}),
    Case("all-rows-malformed-dropped",
         "{job}: source: the 1 file(s) of run date {date} hold no rows ({raw}/part-1.csv); "
         "set source.allow_empty: true if an empty day is expected", 3,
         edit=set_field("source.on_malformed", "drop"), files={"part-1.csv": H + "x,a,2024-01-01,1,I\n"}),
    # ------------------------------------------------------------------------------------------ CSV headers
    Case("csv-header-other-order",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (name, id, day, seq, op) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): the same columns in another order {POSITION}", 3,
         files={"part-1.csv": "name,id,day,seq,op\na,5,2024-01-01,2,I\n"}),
    Case("csv-header-renamed",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (id, title, day, seq, op) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): missing name, not declared title {POSITION}", 3,
         files={"part-1.csv": "id,title,day,seq,op\n5,a,2024-01-01,2,I\n"}),
    Case("csv-header-missing-column",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (id, name, day, seq) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): missing op, not declared none {POSITION}", 3,
         files={"part-1.csv": "id,name,day,seq\n5,a,2024-01-01,2\n"}),
    Case("csv-header-extra-column",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (id, name, day, seq, op, note) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): missing none, not declared note {POSITION}", 3,
         files={"part-1.csv": "id,name,day,seq,op,note\n5,a,2024-01-01,2,I,x\n"}),
    Case("csv-header-wrong-in-second-file",
         f"{{job}}: source: {{raw}}/part-2.csv: the CSV header (id, name, seq, day, op) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): the same columns in another order {POSITION}", 3,
         files={"part-1.csv": H + "5,a,2024-01-01,2,I\n", "part-2.csv": "id,name,seq,day,op\n6,b,2,2024-01-01,I\n"}),
    Case("csv-header-with-other-delimiter",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (id;name;day;seq;op) does not match "
         f"source.schema ({SCHEMA_COLUMNS}): missing id, name, day, seq, op, not declared id;name;day;seq;op "
         f"{POSITION}", 3, files={"part-1.csv": "id;name;day;seq;op\n5;a;2024-01-01;2;I\n"}),
    # ------------------------------------------------------------------------------------------ CSV records
    Case("csv-too-few-columns",
         f"{{job}}: source: {{raw}}/part-1.csv: record '5,a,2024-01-01' does not have the columns of "
         f"source.schema {MALFORMED}", 3, files={"part-1.csv": H + "5,a,2024-01-01\n"}),
    Case("csv-too-many-columns",
         f"{{job}}: source: {{raw}}/part-1.csv: record '5,a,2024-01-01,2,I,extra' does not have the columns "
         f"of source.schema {MALFORMED}", 3, files={"part-1.csv": H + "5,a,2024-01-01,2,I,extra\n"}),
    Case("csv-bigint-not-a-number",
         f"{{job}}: source: {{raw}}/part-1.csv: a value does not match source.schema "
         f"(For input string: \"five\") {MALFORMED}", 3, files={"part-1.csv": H + "five,a,2024-01-01,2,I\n"}),
    Case("csv-int-overflow",
         f"{{job}}: source: {{raw}}/part-1.csv: a value does not match source.schema "
         f"(For input string: \"99999999999\") {MALFORMED}", 3,
         files={"part-1.csv": H + "5,a,2024-01-01,99999999999,I\n"}),
    Case("csv-bad-date",
         f"{{job}}: source: {{raw}}/part-1.csv: a value does not match source.schema "
         f"(Invalid value for MonthOfYear (valid values 1 - 12): 13) {MALFORMED}", 3,
         files={"part-1.csv": H + "5,a,2024-13-45,2,I\n"}),
    Case("csv-bad-timestamp",
         f"{{job}}: source: {{raw}}/part-1.csv: value 'yesterday' is not a valid TIMESTAMP as source.schema "
         f"declares {MALFORMED}", 3,
         edit=set_field("source.schema", "id BIGINT, name STRING, day DATE, seq INT, op STRING, at TIMESTAMP"),
         files={"part-1.csv": "id,name,day,seq,op,at\n5,a,2024-01-01,2,I,yesterday\n"}),
    Case("csv-unclosed-quote-at-end",
         f"{{job}}: source: {{raw}}/part-1.csv: record '5,\"a,2024-01-01,2,I' does not have the columns of "
         f"source.schema {MALFORMED}", 3, files={"part-1.csv": H + '5,"a,2024-01-01,2,I\n'}),
    Case("csv-binary-garbage",
         f"{{job}}: source: {{raw}}/part-1.csv: the CSV header (\x00\x01\x02) does not match source.schema "
         f"({SCHEMA_COLUMNS}): missing id, name, day, seq, op, not declared \x00\x01\x02 {POSITION}", 3,
         files={"part-1.csv": b"\x00\x01\x02\n\x03\x04"}),
    # ----------------------------------------------------------------------------------------------- JSON
    Case("json-malformed", f"{{job}}: source: {{raw}}/part-1.json: malformed JSON record {MALFORMED}", 3,
         base="json", files={"part-1.json": '{"id": 5, "name": "a"\n'}),
    Case("json-wrong-type",
         f"{{job}}: source: {{raw}}/part-1.json: field 'id': value five is not BIGINT as source.schema "
         f"declares {MALFORMED}", 3, base="json",
         files={"part-1.json": '{"id": "five", "name": "a", "day": "2024-01-01", "seq": 2, "op": "I"}\n'}),
    Case("json-missing-column",
         "{job}: source: {raw}/part-1.json: no column op declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="json",
         files={"part-1.json": '{"id": 5, "name": "a", "day": "2024-01-01", "seq": 2}\n'}),
    Case("json-missing-column-in-one-file",
         "{job}: source: {raw}/part-2.json: no column name declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="json",
         files={"part-1.json": '{"id": 5, "name": "a", "day": "2024-01-01", "seq": 2, "op": "I"}\n',
                "part-2.json": '{"id": 6, "day": "2024-01-01", "seq": 2, "op": "I"}\n'}),
    Case("json-renamed-key",
         "{job}: source: {raw}/part-1.json: no column name declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="json",
         files={"part-1.json": '{"id": 5, "Title": "a", "day": "2024-01-01", "seq": 2, "op": "I"}\n'}),
    Case("json-multiline-missing-column",
         "{job}: source: {raw}/part-1.json: no column seq declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="json",
         edit=set_field("source.multiline", True),
         files={"part-1.json": '[{"id": 5, "name": "a", "day": "2024-01-01", "op": "I"}]'}),
    Case("json-bad-date",
         f"{{job}}: source: {{raw}}/part-1.json: value 'soon' is not a valid DATE as source.schema declares "
         f"{MALFORMED}", 3, base="json",
         files={"part-1.json": '{"id": 5, "name": "a", "day": "soon", "seq": 2, "op": "I"}\n'}),
    Case("json-empty-file", "{job}: source: the 1 file(s) of run date {date} hold no rows ({raw}/part-1.json); "
                            "set source.allow_empty: true if an empty day is expected", 3, base="json",
         files={"part-1.json": ""}),
    # -------------------------------------------------------------------------------------------- Parquet
    Case("parquet-missing-column",
         "{job}: source: {raw}/part-1.parquet: no column op declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="parquet",
         files={"part-1.parquet": parquet("id BIGINT, name STRING, day DATE, seq INT", [(5, "a", DAY, 2)])}),
    Case("parquet-missing-column-in-one-file",
         "{job}: source: {raw}/part-2.parquet: no column name declared in source.schema "
         "(list it in source.missing_columns if files may lack it)", 3, base="parquet",
         files={"part-1.parquet": parquet(SCHEMA, [(5, "a", DAY, 2, "I")]),
                "part-2.parquet": parquet("id BIGINT, day DATE, seq INT, op STRING", [(6, DAY, 2, "I")])}),
    Case("parquet-type-conflict",
         "{job}: source: {raw}/part-1.parquet: column id is BINARY in the file, source.schema declares bigint",
         3, base="parquet", files={"part-1.parquet": parquet(SCHEMA.replace("id BIGINT", "id STRING"),
                                                             [("5", "a", DAY, 2, "I")])}),
    Case("parquet-not-parquet",
         "{job}: source: {raw}/notes.parquet: not a Parquet file (its footer cannot be read)", 3,
         base="parquet", files={"notes.parquet": "this is a CSV file, really\n1,2,3\n"}),
    Case("parquet-empty-file",
         "{job}: source: {raw}/empty.parquet: not a Parquet file (its footer cannot be read)", 3,
         base="parquet", files={"empty.parquet": b""}),
]


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_bad_source(world, capfd, index, case):
    check(world, case, index, capfd)
