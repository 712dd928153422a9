"""Generated rows and ``expect`` rules run through the real runner must match the reference model:
the target's rows, the quarantine table's rows, the counts per rule, or the refusal of a fail rule."""

import re

import pytest
import yaml
from chispa import assert_df_equality
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.errors import DataError
from tests.models import expect_model as model
from tests.write.streams import COLUMNS, DAYS, SCHEMA, Project, expected_frame

conditions = st.one_of(
    st.builds(model.greater, st.sampled_from(["seq", "tb"]), st.integers(0, 3)),
    st.builds(model.equals, st.just("name"), st.sampled_from(["a", "b"])),
    st.builds(model.not_null, st.sampled_from(["name", "tb"])),
)
rules = st.lists(st.tuples(st.one_of(conditions, conditions.map(model.negated)),
                           st.sampled_from(["warn", "drop", "quarantine", "fail"])), min_size=1, max_size=4)
rows = st.lists(st.fixed_dictionaries({
    "name": st.sampled_from(["a", "b", None]), "seq": st.integers(0, 4), "tb": st.sampled_from([None, 0, 1, 2]),
}), max_size=8)


@settings(max_examples=8, deadline=None)
@given(data=rows, drawn=rules)
def test_expectations_match_the_model(spark, tmp_path_factory, data, drawn):
    day = DAYS[0]
    table_rows = [{"id": i, "day": day, "op": "I", **r} for i, r in enumerate(data, start=1)]
    named = [(f"r{i}", test, action) for i, ((_, test), action) in enumerate(drawn)]
    project = Project.create(tmp_path_factory.getbasetemp(), {"partition_by": ["day"], "mode": "append"})
    spec_file = project.root / "jobs" / "stream.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["expect"] = [{"name": f"r{i}", "condition": text, "action": action}
                      for i, ((text, _), action) in enumerate(drawn)]
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    project.write_day(0, table_rows)
    try:
        want = model.apply(table_rows, named)
    except model.Refused as refused:
        i, name, count = refused.args
        with pytest.raises(DataError, match=rf"^expect\[{i}\]: {count} rows? fails? rule {name} "):
            project.run(spark, 0)
        assert list((project.root / "lake").iterdir()) == []
        return
    summary = project.run(spark, 0)
    assert (summary.expectations, summary.expect_dropped, summary.quarantined) == (
        want.counts, want.dropped, len(want.quarantined))
    assert_df_equality(spark.read.format("delta").load(project.table), expected_frame(spark, want.kept),
                       ignore_row_order=True, ignore_nullable=True)
    quarantine = project.root / "lake" / "stream_quarantine"
    if not want.quarantined:
        assert not quarantine.exists()
        return
    got = spark.read.format("delta").load(str(quarantine)).select(*COLUMNS, "_rejected_by")
    expected = spark.createDataFrame([(*[r[c] for c in COLUMNS], names) for r, names in want.quarantined],
                                     f"{SCHEMA}, _rejected_by ARRAY<STRING>")
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    assert re.fullmatch(r"[0-9a-f]{12}", summary.run_id)
