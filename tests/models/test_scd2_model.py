"""The history-table model itself, on the cases the rules name."""

import datetime as dt

import pytest

from tests.models.merge_model import Refused
from tests.models.scd2_model import Counts, Scd2Model

D1, D2 = dt.date(2024, 1, 1), dt.date(2024, 1, 2)


def row(seq, name="a", op="U", day=D1, id=1, tb=None):
    return {"id": id, "name": name, "day": day, "seq": seq, "tb": tb, "op": op}


def intervals(model):
    return sorted((r["name"], r["valid_from"], r["valid_to"], r["is_current"]) for r in model.table())


def test_a_tracked_change_closes_the_current_row_and_a_repeat_changes_nothing():
    model = Scd2Model()
    assert model.apply([row(1), row(2), row(3, "b")], D1) == Counts(inserted=2)
    assert intervals(model) == [("a", 1, 3, False), ("b", 3, None, True)]
    assert model.apply([row(4, "b")], D2) == Counts()


def test_an_untracked_change_updates_the_current_row_in_place():
    model = Scd2Model()
    model.apply([row(1)], D1)
    assert model.apply([row(2, tb=7)], D2) == Counts(updated=1)
    assert [(r["valid_from"], r["tb"], r["seq"]) for r in model.table()] == [(1, 7, 2)]


def test_a_delete_closes_and_a_reinsert_opens_a_new_row():
    model = Scd2Model()
    model.apply([row(1), row(2, op="D"), row(3)], D1)
    assert intervals(model) == [("a", 1, 2, False), ("a", 3, None, True)]


def test_late_rows_split_an_interval_or_become_the_first_version():
    model = Scd2Model()
    model.apply([row(2), row(6, "c")], D1)
    assert model.apply([row(4, "b"), row(1, "z")], D2) == Counts(inserted=2, updated=1)
    assert intervals(model) == [("a", 2, 4, False), ("b", 4, 6, False), ("c", 6, None, True), ("z", 1, 2, False)]


def test_a_tie_is_refused_and_a_forced_reload_replaces_its_date():
    model = Scd2Model()
    with pytest.raises(Refused):
        model.apply([row(1), row(1, "b")], D1)
    model.apply([row(1)], D1)
    with pytest.raises(Refused):
        model.apply([row(1, "b")], D2)
    assert model.apply([row(1, "b")], D1) == Counts(updated=1)
