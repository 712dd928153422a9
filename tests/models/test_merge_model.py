"""The reference model on its own (no Spark): the two known merge bugs and the rules one by one."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.models.merge_model import Counts, Options, State
from tests.models.write_modes import append, overwrite, replace_partitions

D = [dt.date(2024, 2, 1) + dt.timedelta(days=i) for i in range(6)]
OPTIONS = Options()


def row(id, name="a", seq=1, tb=None, op="U", day="2024-02-01"):
    return {"id": id, "name": name, "day": day, "seq": seq, "tb": tb, "op": op}


def run(state: State, day: int, *rows: dict, options: Options = OPTIONS):
    """One run that must succeed: (new state, counts)."""
    result = state.apply(list(rows), D[day], options)
    assert result.fails is None, result.fails
    return result.state, result.counts


def test_a_sequence_only_update_advances_and_the_late_row_loses():
    state, _ = run(State(), 2, row(1, "PAID", seq=2))
    state, counts = run(state, 3, row(1, "PAID", seq=5))  # re-sent: only the sequence moved
    assert counts == Counts(updated=1)
    state, counts = run(state, 4, row(1, "CANCELLED", seq=3))  # late: older than 5, newer than 2
    assert counts == Counts()
    assert state.table() == [row(1, "PAID", seq=5)]


def test_a_late_update_does_not_bring_a_deleted_key_back():
    state, _ = run(State(), 1, row(1, seq=1))
    state, counts = run(state, 2, row(1, seq=8, op="D"))
    assert counts == Counts(deleted=1, tombstones=1)
    state, counts = run(state, 3, row(1, "late", seq=6))
    assert (counts, state.table()) == (Counts(), [])
    state, counts = run(state, 4, row(1, "back", seq=9, op="I"))  # newer than the delete: re-inserted
    assert (counts, state.table()) == (Counts(inserted=1), [row(1, "back", seq=9, op="I")])


def test_a_delete_of_a_key_never_stored_leaves_only_a_tombstone():
    state, counts = run(State(), 0, row(1, seq=5, op="D"))
    assert (counts, state.table()) == (Counts(tombstones=1), [])
    state, counts = run(state, 1, row(1, seq=5, op="I"))  # a tombstone beats a row of equal order
    assert (counts, state.table()) == (Counts(), [])


def test_tombstones_live_for_tombstone_days_run_days():
    options = Options(tombstone_days=2)
    state, _ = run(State(), 0, row(1, seq=8, op="D"), options=options)
    assert run(state, 2, row(1, seq=6), options=options)[1] == Counts()  # 2 days later: still live
    assert run(state, 3, row(1, seq=6), options=options)[1] == Counts(inserted=1)  # 3 days: expired
    assert run(state, 0, row(1, seq=6), options=options)[1] == Counts()  # a forced re-run of day 0


def test_ties_in_the_increment():
    result = State().apply([row(1, "x", 4), row(1, "y", 4, op="D"), row(2, "z", 1), row(2, "z", 1)], D[0])
    assert (result.counts, result.duplicates_resolved) == (Counts(inserted=1, tombstones=1), 2)
    state = result.state  # a delete beats an update of equal order; identical rows collapse
    assert state.table() == [row(2, "z", 1)]
    assert state.apply([row(3, "x", 4), row(3, "y", 4)], D[1]).fails == "tie in the increment"
    assert state.apply([row(3, "x", 4, op="I"), row(3, "x", 4)], D[1]).fails == "tie in the increment"
    assert state.apply([row(3, "x", 4, tb=1), row(3, "y", 4, tb=2)], D[1]).fails is None


def test_ties_with_the_stored_row():
    state, _ = run(State(), 0, row(1, "a", 5), row(2, "b", 5))
    assert run(state, 1, row(1, "a", 5))[1] == Counts()  # every column equal: left alone
    assert run(state, 1, row(1, "a", 5), options=Options(update_only_changed=False))[1] == Counts(updated=1)
    assert run(state, 1, row(2, "b", 5, op="D"))[1] == Counts(deleted=1, tombstones=1)
    assert state.apply([row(1, "a", 5), row(2, "B", 5)], D[1]).fails == "tie with the stored row"
    assert state.apply([row(2, "b", 5, op="I")], D[1]).fails == "tie with the stored row"


def test_the_tie_breaker_orders_equal_sequences_and_null_is_the_oldest():
    state, _ = run(State(), 0, row(1, "first", 5, tb=1))
    assert run(state, 1, row(1, "older", 5, tb=0))[1] == Counts()
    assert run(state, 1, row(1, "older", 5, tb=None))[1] == Counts()
    assert run(state, 1, row(1, "newer", 5, tb=2))[1] == Counts(updated=1)
    state, _ = run(State(), 0, row(1, "a", 5, tb=None), row(1, "b", 5, tb=0))
    assert state.table() == [row(1, "b", 5, tb=0)]


def test_a_failed_run_leaves_the_state_as_it_was():
    state, _ = run(State(), 0, row(1, "a", 5))
    for rows in ([row(2, seq=None)], [row(1, "b", 5)], [row(3, "x", 1), row(3, "y", 1)]):
        result = state.apply([row(4, seq=9), *rows], D[1])
        assert result.fails and result.state is state and state.table() == [row(1, "a", 5)]


def test_null_keys_are_dropped_or_fail_the_run():
    result = State().apply([row(None), row(None, seq=None), row(1)], D[0])
    assert (result.fails, result.null_keys_dropped, result.state.table()) == (None, 2, [row(1)])
    assert State().apply([row(None), row(1)], D[0], Options(null_keys="fail")).fails == "null key"


def test_a_partition_move_is_one_update_and_leaves_one_row():
    state, _ = run(State(), 0, row(1, day="2024-02-01"))
    state, counts = run(state, 1, row(1, seq=2, day="2024-02-02"))
    assert (counts, state.table()) == (Counts(updated=1), [row(1, seq=2, day="2024-02-02")])


def test_excluded_columns_keep_their_stored_value():
    options = Options(exclude_from_update=("name",))
    state, _ = run(State(), 0, row(1, "first", 1), options=options)
    state, counts = run(state, 1, row(1, "second", 2), options=options)
    assert (counts, state.table()) == (Counts(updated=1), [row(1, "first", 2)])


def test_the_other_write_modes():
    a, b = row(1, day="d1"), row(2, day="d2")
    assert append([a], [a, b], ["day"]).table == [a, a, b]
    assert (overwrite([a], [b], ["day"]).table, overwrite([a], [b], ["day"]).deleted) == ([b], 1)
    assert overwrite([a], [], ["day"]).fails and overwrite(None, [], ["day"]).fails
    replaced = replace_partitions([a, b], [row(3, day="d2")], ["day"])
    assert (replaced.table, replaced.inserted, replaced.deleted) == ([a, row(3, day="d2")], 1, 1)


rows = st.builds(row, id=st.sampled_from([None, 1, 2, 3]), name=st.sampled_from("ab"), seq=st.integers(1, 4),
                 tb=st.sampled_from([None, 0, 1]), op=st.sampled_from("IUD"))


@settings(max_examples=300, deadline=None)
@given(days=st.lists(st.lists(rows, max_size=6), min_size=1, max_size=4), data=st.data())
def test_the_order_of_rows_in_a_file_never_matters(days, data):
    """Rule 2: never the file order.  Every day in a shuffled order gives the same results."""
    state, shuffled = State(), State()
    for day, increment in enumerate(days):
        want = state.apply(increment, D[day])
        got = shuffled.apply(data.draw(st.permutations(increment)), D[day])
        assert (got.fails, got.counts, got.duplicates_resolved) == (want.fails, want.counts, want.duplicates_resolved)
        assert sorted(map(repr, got.state.table())) == sorted(map(repr, want.state.table()))
        state, shuffled = want.state, got.state
