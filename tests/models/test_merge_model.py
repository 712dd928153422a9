"""The reference model itself, on the two bugs of issue 7 and the tie rules (no Spark)."""

import datetime as dt

import pytest

from tests.models.merge_model import MergeModel, Refused

D = [dt.date(2024, 2, 1) + dt.timedelta(days=i) for i in range(5)]


def row(id, name="a", seq=1, tb=None, op="U", day="2024-02-01"):
    return {"id": id, "name": name, "day": day, "seq": seq, "tb": tb, "op": op}


def test_a_sequence_only_update_advances_and_the_late_row_loses():
    model = MergeModel()
    model.apply([row(1, "PAID", 2)], D[0])
    assert model.apply([row(1, "PAID", 5)], D[1]).updated == 1
    assert model.apply([row(1, "CANCELLED", 3)], D[2]).updated == 0
    assert model.table() == [row(1, "PAID", 5)]


def test_a_late_update_does_not_bring_a_deleted_key_back():
    model = MergeModel()
    model.apply([row(1, seq=1)], D[0])
    assert model.apply([row(1, seq=8, op="D")], D[1]).deleted == 1
    assert model.apply([row(1, seq=6)], D[2]).inserted == 0
    assert model.apply([row(1, seq=9)], D[3]).inserted == 1


def test_tombstones_expire():
    model = MergeModel(tombstone_days=1)
    model.apply([row(1, seq=8, op="D")], D[0])
    assert model.apply([row(1, seq=6)], D[2]).inserted == 1


def test_ties():
    model = MergeModel()
    assert model.apply([row(1, "x", 4), row(1, "y", 4, op="D")], D[0]).tombstones == 1
    with pytest.raises(Refused):
        model.apply([row(2, "x", 4), row(2, "y", 4)], D[1])
    model.apply([row(3, "x", 4)], D[1])
    assert model.apply([row(3, "x", 4)], D[2]).updated == 0
    with pytest.raises(Refused):
        model.apply([row(3, "y", 4)], D[3])
