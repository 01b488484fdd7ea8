"""Days, streaks, XP and periods, by the Time rules of DESIGN.md.

A member's day is the calendar date of an instant in the member's zone (else the guild's, else
UTC). Streaks count consecutive dates; dates are subtracted, never built from 86,400 seconds,
so a DST change or a zone far from UTC cannot break or double a day.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

XP_LESSON_DONE = 20
XP_WRONG_ANSWER = 1
XP_BY_DIFFICULTY = {1: 5, 2: 10, 3: 15}
XP_DAILY_CHALLENGE = 25


def xp_for_answer(correct: bool, difficulty: int) -> int:
    """Right answers pay by difficulty; a wrong one still pays a little for showing up."""
    return XP_BY_DIFFICULTY.get(difficulty, 5) if correct else XP_WRONG_ANSWER


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


def period_start(now: datetime, zone: ZoneInfo, period: str) -> datetime | None:
    """Where a leaderboard period begins: ISO week (Monday), calendar month, or None for all."""
    today = local_day(now, zone)
    if period == "week":
        return start_of_day(today - timedelta(days=today.weekday()), zone)
    if period == "month":
        return start_of_day(today.replace(day=1), zone)
    if period == "all":
        return None
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True)
class Streak:
    current: int
    best: int
    active_today: bool

    @property
    def at_risk(self) -> bool:
        """Alive from yesterday but nothing done today yet."""
        return self.current > 0 and not self.active_today


@dataclass(frozen=True)
class StreakRun:
    """What the members table caches: the run ending on `last_day`, and the best run ever.

    It is a fold over the activity days in date order (`extend`), so the cache kept while days
    arrive and the one rebuilt from every stored day are the same value by construction.
    """

    current: int = 0
    best: int = 0
    last_day: date | None = None

    def extend(self, day: date) -> StreakRun:
        """The run after studying on `day`, which is not before `last_day`."""
        if self.last_day is not None and day < self.last_day:
            raise ValueError(f"{day} comes before {self.last_day}: rebuild from all days")
        if self.last_day == day:
            return self
        gap = None if self.last_day is None else (day - self.last_day).days
        current = self.current + 1 if gap == 1 else 1
        return StreakRun(current=current, best=max(self.best, current), last_day=day)

    def on(self, today: date) -> Streak:
        """The streak as it stands on `today`: alive while the last day is today or yesterday."""
        alive = self.last_day is not None and (today - self.last_day).days in (0, 1)
        return Streak(
            current=self.current if alive else 0,
            best=self.best,
            active_today=self.last_day == today,
        )


def streak_run(days: Iterable[date]) -> StreakRun:
    """The cache value rebuilt from every stored activity day."""
    run = StreakRun()
    for day in sorted(set(days)):
        run = run.extend(day)
    return run


def streak_from_days(days: Iterable[date], today: date) -> Streak:
    """Current and best runs of consecutive active dates; the current run may end yesterday."""
    return streak_run(days).on(today)
