"""Timetables: when a server's posts go out, in the server's zone, and what each post is called.

A timetable is a local time of day and a set of weekdays. Its fire instants are computed date by
date in the server's IANA zone: a time that a spring-forward night skips fires at the first
instant after the gap (02:30 becomes 03:30), and a time that a fall-back night repeats fires at
its first occurrence, so every local date fires at most once. Each post has a key (the local
date, the ISO week or month of a leaderboard, the ISO week of a showcase) that the deliveries
table makes unique.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")
EVERY_DAY = frozenset(range(7))
WEEKDAYS_ONLY = frozenset(range(5))


class Kind(StrEnum):
    LESSONS = "lessons"
    CHALLENGE = "challenge"
    LEADERBOARD = "leaderboard"
    SHOWCASE = "showcase"


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


class ScheduleError(ValueError):
    """A schedule value a moderator typed cannot be used; the message is one sentence."""


@dataclass(frozen=True)
class Timetable:
    hour: int
    minute: int
    days: frozenset[int] = EVERY_DAY  # 0 = Monday

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ScheduleError(f"{self.hour:02d}:{self.minute:02d} is not a time of day.")
        if not self.days or not self.days <= EVERY_DAY:
            raise ScheduleError("A schedule needs at least one day of the week.")

    @property
    def time_text(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    @property
    def days_text(self) -> str:
        return days_text(self.days)


def parse_time(text: str) -> tuple[int, int]:
    """`08:30`, `8:30`, `8.30` or `8h30` as (hour, minute), 24-hour clock."""
    match = _TIME.match(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(
            f"`{text.strip()}` is not a time: use HH:MM on a 24-hour clock, like 08:30 or 19:00."
        )
    return int(match[1]), int(match[2])


def parse_days(text: str) -> frozenset[int]:
    """`daily`, `weekdays`, `weekends`, or a list such as `mon,wed,fri` (full names too)."""
    cleaned = text.strip().lower()
    if cleaned in ("daily", "every day", "everyday", "all", "*"):
        return EVERY_DAY
    if cleaned == "weekdays":
        return WEEKDAYS_ONLY
    if cleaned == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for word in re.split(r"[\s,;/]+", cleaned):
        if not word:
            continue
        if word in WEEKDAYS:
            days.add(WEEKDAYS.index(word))
        elif word in _FULL_NAMES:
            days.add(_FULL_NAMES[word])
        else:
            raise ScheduleError(
                f"`{word}` is not a day: use daily, weekdays, or days like mon,wed,fri."
            )
    if not days:
        raise ScheduleError("Name at least one day: daily, weekdays, or days like mon,wed,fri.")
    return frozenset(days)


def days_text(days: frozenset[int]) -> str:
    if days == EVERY_DAY:
        return "daily"
    if days == WEEKDAYS_ONLY:
        return "weekdays"
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def parse_period(text: str) -> Period:
    try:
        return Period(text.strip().lower())
    except ValueError:
        raise ScheduleError(f"`{text.strip()}` is not a period: use week, month or all.") from None


def local_fire(day: date, timetable: Timetable, zone: ZoneInfo) -> datetime:
    """The UTC instant of the timetable's time on a local date (fold 0: see the module doc)."""
    wall = datetime.combine(day, time(timetable.hour, timetable.minute), tzinfo=zone)
    instant = wall.astimezone(UTC)
    # A wall time inside a spring-forward gap converts with the offset from before the gap,
    # which lands it after the gap: the post goes out at the first instant that exists.
    return instant


def fires_between(
    timetable: Timetable, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Fire instants `t` with start < t <= end, in order."""
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        if day.weekday() in timetable.days:
            instant = local_fire(day, timetable, zone)
            if start < instant <= end:
                yield instant
        day += timedelta(days=1)


def next_fire(timetable: Timetable, zone: ZoneInfo, after: datetime) -> datetime:
    """The first fire instant strictly after `after` (a timetable fires at least weekly)."""
    for instant in fires_between(timetable, zone, after, after + timedelta(days=9)):
        return instant
    raise AssertionError("a timetable with a weekday fires within nine days")


def last_fire(timetable: Timetable, zone: ZoneInfo, now: datetime) -> datetime:
    """The latest fire instant at or before `now`."""
    found = None
    for instant in fires_between(timetable, zone, now - timedelta(days=9), now):
        found = instant
    assert found is not None, "a timetable with a weekday fires within nine days"
    return found


def period_key(period: Period, day: date) -> str:
    """Which leaderboard message a local date belongs to: its ISO week, its month, or ever."""
    if period is Period.WEEK:
        year, week, _ = day.isocalendar()
        return f"week:{year}-W{week:02d}"
    if period is Period.MONTH:
        return f"month:{day.year}-{day.month:02d}"
    return "all"


def delivery_key(kind: Kind, fire: datetime, zone: ZoneInfo, period: Period | None = None) -> str:
    """The unique name of the post a fire instant makes: a server posts it at most once."""
    day = fire.astimezone(zone).date()
    if kind is Kind.LEADERBOARD:
        return period_key(period or Period.WEEK, day)
    if kind is Kind.SHOWCASE:  # weekly: one post per ISO week, whichever day it is set for
        return f"{kind.value}:{period_key(Period.WEEK, day).removeprefix('week:')}"
    return f"{kind.value}:{day.isoformat()}"
