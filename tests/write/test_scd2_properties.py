"""Generated CDC streams loaded into a history table must match the reference model
(tests/models/scd2_model.py): after every run the dry run, the commit and the model
report the same counts (or all refuse the run), and the table equals the model, whatever
the delivery order, re-runs and forced reloads."""

import copy

import pytest
from chispa import assert_df_equality
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.errors import DataError
from tests.models.merge_model import Refused
from tests.models.scd2_model import HISTORY, Scd2Model
from tests.write.streams import COLUMNS, DAYS, SCHEMA, Project, increments, streams

TARGET = {"partition_by": ["day"], "mode": "scd2",
          "scd2": {"keys": ["id"], "sequence_by": "seq", "track_columns": ["name"], "delete_when": "op = 'D'",
                   "null_keys": "drop"}}
TABLE_SCHEMA = f"{SCHEMA}, valid_from INT, valid_to INT, is_current BOOLEAN"


def _counts(outcome) -> tuple:
    return outcome.inserted, outcome.updated, outcome.deleted


@settings(max_examples=3)
@given(events=streams(days=(2, 3)), days=st.lists(increments, min_size=3, max_size=3))
def test_history_matches_the_model(spark, tmp_path_factory, events, days):
    project = Project.create(tmp_path_factory.getbasetemp(), TARGET)
    model, loaded = Scd2Model(), set()
    for kind, day in events:
        if kind == "load":
            project.write_day(day, days[day])
        force = kind == "force"
        if day in loaded and not force:  # a plain re-run of a loaded date is skipped
            assert project.run(spark, day).skipped
            continue
        after = copy.deepcopy(model)
        try:
            want = after.apply(days[day], DAYS[day])
        except Refused:
            for dry_run in (True, False):
                with pytest.raises(DataError):
                    project.run(spark, day, dry_run=dry_run, force=force)
            continue
        dry = project.run(spark, day, dry_run=True, force=force)
        real = project.run(spark, day, force=force)
        assert _counts(dry.outcome) == _counts(real.outcome) == tuple(vars(want).values()), (kind, day)
        model = after
        loaded.add(day)
        assert_df_equality(spark.read.format("delta").load(project.table), _frame(spark, model.table()),
                           ignore_row_order=True, ignore_nullable=True)


def _frame(spark, rows: list[dict]):
    return spark.createDataFrame([tuple(r[c] for c in (*COLUMNS, *HISTORY)) for r in rows], TABLE_SCHEMA)
