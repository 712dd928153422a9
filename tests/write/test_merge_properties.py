"""Generated CDC streams run day by day through the real runner must match the reference model.

After every run: the dry run, the commit and the model report the same counts (or all
refuse the run), and the table equals the model.  At the end every version still reads,
by time travel, exactly as it was written.
"""

import copy

import pytest
from chispa import assert_df_equality
from hypothesis import given
from hypothesis import strategies as st

from lakehouse.errors import DataError
from tests.models.merge_model import MergeModel, Refused
from tests.write.streams import DAYS, Project, expected_frame, increments, streams

TARGET = {"partition_by": ["day"], "mode": "merge",
          "merge": {"keys": ["id"], "sequence_by": "seq", "tie_breaker": "tb", "delete_when": "op = 'D'",
                    "null_keys": "drop", "tombstone_days": 2}}


def _counts(outcome) -> tuple:
    return outcome.inserted, outcome.updated, outcome.deleted, outcome.tombstones


@given(events=streams(), days=st.lists(increments, min_size=4, max_size=4))
def test_merge_matches_the_model(spark, tmp_path_factory, events, days):
    project = Project.create(tmp_path_factory.getbasetemp(), TARGET)
    model, loaded, versions = MergeModel(tombstone_days=2), set(), {}
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
        else:
            dry = project.run(spark, day, dry_run=True, force=force)
            real = project.run(spark, day, force=force)
            assert _counts(dry.outcome) == _counts(real.outcome) == tuple(vars(want).values()), (kind, day)
            model, versions[real.outcome.version] = after, after.table()
            loaded.add(day)
        if versions:
            _assert_table(spark, project, model.table())
    for version, rows in versions.items():  # time travel reads every version as it was written
        _assert_table(spark, project, rows, version=version)


def _assert_table(spark, project, rows, version=None):
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    assert_df_equality(reader.load(project.table), expected_frame(spark, rows), ignore_row_order=True,
                       ignore_nullable=True)
