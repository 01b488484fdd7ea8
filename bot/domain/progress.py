"""Days, streaks, XP and periods, by the Time rules of DESIGN.md.

A member's day is the calendar date of an instant in the member's zone (else the guild's, else
UTC). Streaks count consecutive dates; dates are subtracted, never built from 86,400 seconds,
so a DST change or a zone far from UTC cannot break or double a day.
"""

from __future__ import annotations

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


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when there is no such zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
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


def streak_from_days(days: Iterable[date], today: date) -> Streak:
    """Current and best runs of consecutive active dates; the current run may end yesterday."""
    ordered = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        best = max(best, run)
        previous = day
    active_today = previous == today
    alive = previous is not None and (today - previous).days in (0, 1)
    return Streak(current=run if alive else 0, best=best, active_today=active_today)
