"""Run dates from the command line: ISO dates and today/yesterday/today-N in the profile's time zone."""

import datetime as dt

import pytest

from lakehouse.spec.dates import date_range, resolve_run_date

NOW = dt.datetime(2024, 3, 3, 1, 30, tzinfo=dt.timezone.utc)  # still March 2nd in New York


@pytest.mark.parametrize("text, zone, expected", [
    ("2024-02-29", "UTC", dt.date(2024, 2, 29)),
    ("today", "UTC", dt.date(2024, 3, 3)),
    ("today", "America/New_York", dt.date(2024, 3, 2)),
    ("Yesterday", "UTC", dt.date(2024, 3, 2)),
    ("today-3", "Europe/Berlin", dt.date(2024, 2, 29)),
])
def test_run_dates_resolve_in_the_profiles_time_zone(text, zone, expected):
    assert resolve_run_date(text, zone, now=NOW) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "today+1", "tomorrow", "today-", "03/01/2024", ""])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        resolve_run_date(text, "UTC", now=NOW)


def test_a_range_includes_both_ends_and_refuses_going_back():
    assert date_range(dt.date(2024, 2, 28), dt.date(2024, 3, 1)) == [
        dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
    with pytest.raises(ValueError, match="the range is empty"):
        date_range(dt.date(2024, 3, 2), dt.date(2024, 3, 1))


def test_a_profile_names_a_real_time_zone():
    from pydantic import ValidationError

    from lakehouse.spec.profile import Profile

    assert Profile(time_zone="Europe/Berlin").time_zone == "Europe/Berlin"
    with pytest.raises(ValidationError, match="'Mars/Base' is not a time zone name"):
        Profile(time_zone="Mars/Base")
