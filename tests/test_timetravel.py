"""Timestamps for time travel: naive input is read in the Spark session time zone, never the machine's."""

import datetime as dt
import time

import pytest

from lakehouse.audit import timetravel
from lakehouse.errors import LakehouseError
from lakehouse.table.lineage import commit_conf

UTC = dt.timezone.utc


@pytest.fixture
def new_york(monkeypatch):
    """The machine's local zone is America/New_York for the test."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("text, zone, expected", [
    ("2024-03-01", "UTC", dt.datetime(2024, 3, 1, tzinfo=UTC)),
    ("2024-03-01 10:00", "UTC", dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01T10:00:00.250", "Europe/Berlin", dt.datetime(2024, 3, 1, 9, 0, 0, 250000, tzinfo=UTC)),
    ("2024-07-01 10:00", "Europe/Berlin", dt.datetime(2024, 7, 1, 8, tzinfo=UTC)),  # summer time
    ("2024-03-01T10:00:00Z", "Asia/Tokyo", dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01T10:00+02:00", "UTC", dt.datetime(2024, 3, 1, 8, tzinfo=UTC)),
    ("2024-03-01 10:00", "+05:30", dt.datetime(2024, 3, 1, 4, 30, tzinfo=UTC)),
])
def test_parse_timestamp(new_york, text, zone, expected):
    assert timetravel.parse_timestamp(text, zone) == expected


def test_local_zone_does_not_leak_into_naive_datetimes(new_york):
    assert timetravel.parse_timestamp(dt.datetime(2024, 3, 1, 10), "UTC") == dt.datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert timetravel.parse_timestamp(dt.date(2024, 3, 1), "UTC") == dt.datetime(2024, 3, 1, tzinfo=UTC)


def test_session_time_zone_decides(spark, new_york):
    with commit_conf(spark, {timetravel.SESSION_TIME_ZONE: "Asia/Tokyo"}):
        assert timetravel.resolve(spark, "2024-03-01 09:00") == dt.datetime(2024, 3, 1, 0, tzinfo=UTC)
    assert timetravel.resolve(spark, "2024-03-01 09:00") == dt.datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_epoch_micros_round_trip_and_iso():
    value = dt.datetime(2024, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)
    assert timetravel.epoch_micros(value) == 1709283600123000
    assert timetravel.from_epoch_micros(1709283600123000) == value
    assert timetravel.iso(value) == "2024-03-01T09:00:00.123Z"


@pytest.mark.parametrize("text, zone, message", [
    ("yesterday", "UTC", "'yesterday' is not a timestamp"),
    ("2024-03-01", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
])
def test_bad_input_is_a_user_error(text, zone, message):
    with pytest.raises(LakehouseError, match=message):
        timetravel.parse_timestamp(text, zone)
