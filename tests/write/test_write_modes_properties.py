"""append, overwrite and replace_partitions against their (small) models, on generated days."""

import pytest
from chispa import assert_df_equality
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.errors import DataError
from tests.write.streams import Project, expected_frame, increments


def append(table: list[dict] | None, rows: list[dict]) -> list[dict]:
    return (table or []) + rows


def overwrite(table: list[dict] | None, rows: list[dict]) -> list[dict]:
    if not rows and table is not None:  # the first run may create an empty table, later ones never empty it
        raise DataError("would empty the table")
    return rows


def replace_partitions(table: list[dict] | None, rows: list[dict]) -> list[dict]:
    days = {r["day"] for r in rows}
    return [r for r in table or [] if r["day"] not in days] + rows


MODELS = {"append": append, "overwrite": overwrite, "replace_partitions": replace_partitions}


@pytest.mark.parametrize("mode", sorted(MODELS))
@settings(max_examples=2)
@given(days=st.lists(increments, min_size=2, max_size=3))
def test_write_mode_matches_its_model(spark, tmp_path_factory, mode, days):
    project = Project.create(tmp_path_factory.getbasetemp(), {"partition_by": ["day"], "mode": mode})
    table = None
    for day, rows in enumerate(days):
        project.write_day(day, rows)
        try:
            want = MODELS[mode](table, rows)
        except DataError:
            with pytest.raises(DataError):
                project.run(spark, day)
            continue
        summary = project.run(spark, day)
        assert summary.outcome.inserted == len(rows)
        table = want
        assert_df_equality(spark.read.format("delta").load(project.table), expected_frame(spark, table),
                           ignore_row_order=True, ignore_nullable=True)
