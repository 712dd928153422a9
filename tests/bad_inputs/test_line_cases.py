"""Features the session's Spark/Delta line lacks: one line naming the job file and the field, exit 2, nothing
written (lakehouse.runtime.compat says which line has what).

Type widening (``delta.enableTypeWidening``) needs Delta 4.0: on Spark 3.5 with Delta 3.3 it is a preview
that widens only BYTE, SHORT and INT and lets a merge write DOUBLE values into a FLOAT column unwidened.  These
cases run on such a line (``make test-oldest``); on Delta 4 the same jobs widen (tests/write/test_schema_evolution.py).
"""

import importlib.metadata

import pyspark
import pytest

from tests.bad_inputs.harness import Case, check, parquet, set_field

DELTA = importlib.metadata.version("delta-spark")
NEEDS = f"type widening needs Delta 4.0 or later, this session runs Delta {DELTA} on Spark {pyspark.__version__}"
ROWS = parquet("id BIGINT, name STRING, day DATE, seq BIGINT, op STRING", [(5, "a", None, 5_000_000_000, "I")])


def _widening_table(world, case, date):
    """Setup: the table has delta.enableTypeWidening (set by hand, or by a job on another line)."""
    world.spark.sql(f"ALTER TABLE delta.`{world.table(case.base)}` SET TBLPROPERTIES "
                    "('delta.enableTypeWidening' = 'true')")


def _widen_seq(spec):
    set_field("target.on_schema_change", "add_columns")(spec)
    set_field("source.schema", "id BIGINT, name STRING, day DATE, seq BIGINT, op STRING")(spec)


CASES = [
    Case("type-widening-property", f"{{job}}: target.properties: delta.enableTypeWidening: {NEEDS}; remove the "
                                   "property, or run on Spark 4 with Delta 4", 2,
         edit=set_field("target.properties", {"delta.enableTypeWidening": "true"}),
         files={"a.csv": "id,name,day,seq,op\n5,a,2024-01-01,2,I\n"}),
    Case("type-widening-table", f"{{job}}: source.schema: column seq is BIGINT in the run but INT in table "
                                f"{{table}}: {NEEDS}; declare or cast it to the table's type", 2,
         base="parquet", edit=_widen_seq, files={"a.parquet": ROWS}, setup=_widening_table),
]


@pytest.mark.skipif(int(DELTA.split(".")[0]) >= 4, reason=f"Delta {DELTA} widens types on write")
@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=[c.id for c in CASES])
def test_a_feature_the_line_lacks(world, capfd, index, case):
    check(world, case, index, capfd)
