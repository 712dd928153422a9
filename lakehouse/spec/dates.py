"""Run dates as the command line gives them: ``2024-03-01``, ``today``, ``yesterday``, ``today-N``.

A relative date is resolved once, when the command starts, in the time zone the profile
names (``time_zone``), so a scheduler in another zone still loads the day it means.  No
Spark import here.

Example::

    >>> resolve_run_date("today-2", "UTC", now=dt.datetime(2024, 3, 3, 1, 0, tzinfo=dt.timezone.utc))
    datetime.date(2024, 3, 1)
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RELATIVE = re.compile(r"^today(?:-(\d{1,4}))?$")
FORMS = "YYYY-MM-DD, today, yesterday or today-N"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name (for example UTC or Europe/Berlin)") from None


def resolve_run_date(text: str, time_zone: str, *, now: dt.datetime | None = None) -> dt.date:
    """``text`` as a date: ISO, or relative to today in ``time_zone``; a ValueError if it is neither."""
    value = text.strip().lower()
    if value == "yesterday":
        value = "today-1"
    relative = _RELATIVE.match(value)
    if relative:
        today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone(time_zone)).date()
        return today - dt.timedelta(days=int(relative.group(1) or 0))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"run date {text!r} is not a date ({FORMS})") from None


def date_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date from ``first`` to ``last``, both included, in order; a ValueError if ``first`` is later."""
    if last < first:
        raise ValueError(f"{first} is after {last}: the range is empty")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
