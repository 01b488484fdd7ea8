"""Days and zones, by the Time rules of DESIGN.md (streaks: bot/domain/streaks.py).

A member's day is the calendar date of an instant in the member's zone (else the guild's, else
UTC). Streaks count consecutive dates; dates are subtracted, never built from 86,400 seconds,
so a DST change or a zone far from UTC cannot break or double a day.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.cache
def _zone_keys() -> dict[str, str]:
    return {key.casefold(): key for key in zoneinfo.available_timezones()}


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name (any letter case: `europe/paris`), or None."""
    if not name or not name.strip():
        return None
    wanted = name.strip()
    key = _zone_keys().get(wanted.casefold(), wanted)
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def member_zone(member_zone_name: str | None, guild_zone_name: str | None) -> ZoneInfo:
    return zone_named(member_zone_name) or zone_named(guild_zone_name) or ZoneInfo("UTC")


def local_day(instant: datetime, zone: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("local_day needs an aware instant")
    return instant.astimezone(zone).date()


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local date begins (midnight, or the first instant after a DST gap)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
