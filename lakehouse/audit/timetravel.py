"""The one place that turns a user's "as of" time into an instant.

Rules:

* ISO 8601, with a ``T`` or a space: ``2024-03-01``, ``2024-03-01 10:00``,
  ``2024-03-01T10:00:00.5``, ``2024-03-01T10:00:00Z``, ``2024-03-01T10:00+02:00``.
* A time with an offset (or ``Z``) is that instant.
* A time without an offset, and a bare date (midnight), are read in the **Spark
  session time zone** (``spark.sql.session.timeZone``; the ``local`` profile sets
  ``UTC``), never in the machine's local zone, so a laptop in New York and a
  cluster in Frankfurt resolve the same text to the same instant.
* The result is an aware :class:`datetime.datetime` in UTC; :func:`epoch_micros`
  gives the number Spark's ``unix_micros`` returns for it.

Example::

    >>> parse_timestamp("2024-03-01 10:00", "Europe/Berlin").isoformat()
    '2024-03-01T09:00:00+00:00'

No Spark import at module level.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lakehouse.errors import LakehouseError

SESSION_TIME_ZONE = "spark.sql.session.timeZone"

_OFFSET_ZONE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_timestamp(text: str | dt.datetime | dt.date, time_zone: str) -> dt.datetime:
    """``text`` as an aware UTC datetime; naive input is read in ``time_zone``."""
    if isinstance(text, dt.datetime):
        value = text
    elif isinstance(text, dt.date):
        value = dt.datetime.combine(text, dt.time())
    else:
        try:
            value = dt.datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise LakehouseError(
                f"{text!r} is not a timestamp; use ISO 8601 such as 2024-03-01, 2024-03-01 10:00:00 "
                "or 2024-03-01T10:00:00+01:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(time_zone))
    return value.astimezone(dt.timezone.utc)


def zone(name: str) -> dt.tzinfo:
    """A Spark session time zone name (region such as ``Europe/Berlin``, ``UTC``, or ``+01:00``)."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    match = _OFFSET_ZONE.match(name.strip())
    if match:
        sign, hours, minutes = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LakehouseError(f"unknown time zone {name!r} in {SESSION_TIME_ZONE}") from None


def session_time_zone(spark) -> str:
    """The zone naive timestamps are read in: the Spark session time zone."""
    return spark.conf.get(SESSION_TIME_ZONE)


def resolve(spark, text: str | dt.datetime | dt.date) -> dt.datetime:
    """:func:`parse_timestamp` in the session time zone of ``spark``."""
    return parse_timestamp(text, session_time_zone(spark))


def epoch_micros(value: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (what Spark's ``unix_micros`` gives)."""
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_epoch_micros(micros: int) -> dt.datetime:
    """The aware UTC datetime of a ``unix_micros`` value."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=micros)


def iso(value: dt.datetime) -> str:
    """``2024-03-01T09:00:00.123Z`` style, milliseconds only when present."""
    value = value.astimezone(dt.timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"
