"""Streaks: which days count, how gaps, freezes and time-zone changes are judged, weekly mode.

Written to be fair and rebuildable. A streak is a function of stored facts only: the member's
counted days (local dates), the dates a time-zone change forgave, the mode and the weekly
target. `StreakState.count` folds one new day into the cached state; `rebuild` folds every
stored day in date order through the same `count`, so the cache kept as days arrive and the
one rebuilt by `studybot db rebuild-stats` are the same value (a property test checks it on
random histories in random zones).

Dates are subtracted, never built from 86,400 seconds, so DST and zones far from UTC neither
break nor double a day. `docs/rules.md` says all of this to members; the numbers there are the
constants here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from bot.domain.progress import local_day, start_of_day
from bot.domain.xp import MILESTONES

Mode = Literal["daily", "weekly"]
EventKind = Literal["freeze_spent", "freeze_earned", "restarted", "milestone"]
MODES: tuple[Mode, ...] = get_args(Mode)

QUALIFYING_ANSWERS = 3
FREEZE_EVERY = 7  # streak days per freeze earned
MAX_FREEZES = 2
WEEK_DAYS = 7
WEEKLY_TARGETS = range(1, 7)  # days a week; every day is the daily mode, which has freezes
DEFAULT_WEEKLY_TARGET = 3
ZONE_CHANGE_EVERY = timedelta(days=7)
SHORT_DAY = timedelta(hours=12)  # a changeover date left shorter than this is forgiven

_ONE_DAY = timedelta(days=1)


class OutOfOrder(ValueError):
    """A day earlier than the last counted one: only a rebuild from every day can place it."""


def day_qualifies(
    *, lessons: int = 0, dailies: int = 0, exercises: int = 0, answers: int = 0
) -> bool:
    """Whether a day's activity counts: one finished lesson, daily challenge answer or solved
    exercise is a real sitting; single quiz answers are not, three are."""
    return lessons > 0 or dailies > 0 or exercises > 0 or answers >= QUALIFYING_ANSWERS


def week_of(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class StreakEvent:
    """Something /streak can show with its date; `count` is the streak length it is about.

    freeze_spent: `day` is the missed date it covered, `count` the run it kept alive.
    freeze_earned: `day` the study day that earned it, `count` the run length (7, 14, ...).
    restarted: `day` the study day that began the new run (weekly: the one that met its first
    week's target; the run's `start` is that week's Monday), `count` the length of the run
    that ended.
    milestone: `day` the study day that reached it, `count` the length reached (7, 30, 100).
    """

    kind: EventKind
    day: date
    count: int


@dataclass(frozen=True)
class StreakView:
    """What /streak shows on a given local date.

    A run is alive while the freezes held can still cover every date missed since it last
    grew (weekly: while the last counted week is this one or the one before). `freezes_needed`
    is how many a study day today would spend; `at_risk` means alive but not yet safe for
    today (daily: nothing counted today; weekly: this week's target not met yet).
    """

    current: int
    best: int
    freezes: int
    alive: bool
    studied_today: bool
    at_risk: bool
    freezes_needed: int
    mode: Mode = "daily"
    week_days: int = 0  # weekly: days counted this ISO week
    week_target: int = 0  # weekly: days this week needs (the target, less forgiven dates)


@dataclass(frozen=True)
class StreakState:
    """The cached streak of one member: what `rebuild` of their stored facts returns.

    `last` is the last counted day (weekly: the Monday of the last counted week), `start` the
    first day of the current run (weekly: its first Monday), `latest` the last day passed to
    `count` in either mode and `week_days` how many days of `latest`'s ISO week counted (weekly
    mode keeps them until the week reaches its target).
    """

    mode: Mode = "daily"
    target: int = DEFAULT_WEEKLY_TARGET
    current: int = 0
    best: int = 0
    last: date | None = None
    freezes: int = 0
    start: date | None = None
    latest: date | None = None
    week_days: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown streak mode {self.mode!r}")
        if self.target not in WEEKLY_TARGETS:
            raise ValueError(f"a weekly target is {WEEKLY_TARGETS[0]} to {WEEKLY_TARGETS[-1]}")

    def count(
        self, day: date, skipped: Iterable[date] = ()
    ) -> tuple[StreakState, tuple[StreakEvent, ...]]:
        """The state after `day` counts, and what happened on the way.

        `skipped` holds the member's forgiven dates (those a time-zone change took away); passing
        all of them is fine, only those from the Monday of `latest`'s week on matter. Counting
        the same day twice changes nothing; a day before `latest` raises `OutOfOrder` (rebuild).
        """
        if self.latest is not None:
            if day == self.latest:
                return self, ()
            if day < self.latest:
                raise OutOfOrder(f"{day} comes before {self.latest}: rebuild from all days")
        forgiven = frozenset(skipped)
        if self.mode == "weekly":
            return self._count_week(day, forgiven)
        return self._count_day(day, forgiven)

    def _count_day(
        self, day: date, forgiven: frozenset[date]
    ) -> tuple[StreakState, tuple[StreakEvent, ...]]:
        events: list[StreakEvent] = []
        freezes, current, start = self.freezes, self.current + 1, self.start
        if self.last is None:
            current, start = 1, day
        elif _missed_count(self.last, day, forgiven) > freezes:
            events.append(StreakEvent("restarted", day, self.current))
            current, start = 1, day
        else:
            missed = _missed_dates(self.last, day, forgiven)
            freezes -= len(missed)
            events.extend(StreakEvent("freeze_spent", gap, self.current) for gap in missed)
        if current % FREEZE_EVERY == 0 and freezes < MAX_FREEZES:
            freezes += 1
            events.append(StreakEvent("freeze_earned", day, current))
        if current in MILESTONES:
            events.append(StreakEvent("milestone", day, current))
        state = replace(
            self,
            current=current,
            best=max(self.best, current),
            last=day,
            freezes=freezes,
            start=start,
            latest=day,
            week_days=self._week_days_after(day),
        )
        return state, tuple(events)

    def _count_week(
        self, day: date, forgiven: frozenset[date]
    ) -> tuple[StreakState, tuple[StreakEvent, ...]]:
        week = week_of(day)
        week_days = self._week_days_after(day)
        state = replace(self, latest=day, week_days=week_days)
        if self.last == week or week_days < _week_target(self.target, week, day, forgiven):
            return state, ()
        events: list[StreakEvent] = []
        current, start = self.current + 1, self.start
        if self.last != week - timedelta(days=WEEK_DAYS):
            if self.last is not None:
                events.append(StreakEvent("restarted", day, self.current))
            current, start = 1, week
        if current in MILESTONES:
            events.append(StreakEvent("milestone", day, current))
        state = replace(
            state, current=current, best=max(self.best, current), last=week, start=start
        )
        return state, tuple(events)

    def _week_days_after(self, day: date) -> int:
        same_week = self.latest is not None and week_of(self.latest) == week_of(day)
        return self.week_days + 1 if same_week else 1

    def on(self, today: date, skipped: Iterable[date] = ()) -> StreakView:
        """The streak as it stands on the member's `today` (nothing is spent by looking)."""
        forgiven = frozenset(skipped)
        if self.mode == "weekly":
            return self._on_week(today, forgiven)
        if self.last is None:
            return StreakView(0, self.best, self.freezes, False, False, False, 0)
        if today <= self.last:  # today, or a date a westward zone change brought back
            return StreakView(self.current, self.best, self.freezes, True, True, False, 0)
        missed = _missed_count(self.last, today, forgiven)
        if missed > self.freezes:
            return StreakView(0, self.best, self.freezes, False, False, False, 0)
        return StreakView(self.current, self.best, self.freezes, True, False, True, missed)

    def _on_week(self, today: date, forgiven: frozenset[date]) -> StreakView:
        week = week_of(today)
        latest = self.latest
        week_days = self.week_days if latest is not None and week_of(latest) == week else 0
        studied = latest is not None and latest >= today
        alive = self.last is not None and self.last >= week - timedelta(days=WEEK_DAYS)
        return StreakView(
            current=self.current if alive else 0,
            best=self.best,
            freezes=0,
            alive=alive,
            studied_today=studied,
            at_risk=alive and self.last is not None and self.last < week,
            freezes_needed=0,
            mode="weekly",
            week_days=week_days,
            week_target=_week_target(self.target, week, today + _ONE_DAY, forgiven),
        )


def rebuild(
    days: Iterable[date],
    skipped: Iterable[date] = (),
    mode: Mode = "daily",
    target: int = DEFAULT_WEEKLY_TARGET,
) -> tuple[StreakState, list[StreakEvent]]:
    """The streak and every event of it, from the stored facts alone: each counted day in date
    order through `StreakState.count`, the same fold the cache follows."""
    forgiven = frozenset(skipped)
    state = StreakState(mode=mode, target=target)
    events: list[StreakEvent] = []
    for day in sorted(set(days)):
        state, new = state.count(day, forgiven)
        events.extend(new)
    return state, events


def _missed_count(last: date, day: date, forgiven: frozenset[date]) -> int:
    """Dates strictly between `last` and `day` that were neither studied nor forgiven."""
    lost = sum(1 for gap in forgiven if last < gap < day)
    return (day - last).days - 1 - lost


def _missed_dates(last: date, day: date, forgiven: frozenset[date]) -> list[date]:
    gaps = (last + _ONE_DAY * i for i in range(1, (day - last).days))
    return [gap for gap in gaps if gap not in forgiven]


def _week_target(target: int, week: date, until: date, forgiven: frozenset[date]) -> int:
    """Days a week needs: the target, or fewer if dates forgiven in it before `until` left it
    with less than that many dates."""
    lost = sum(1 for gap in forgiven if week <= gap < until)
    return max(1, min(target, WEEK_DAYS - lost))


# -- time-zone changes ---------------------------------------------------------------------------


def zone_in_force(
    zone: str | None, zone_next: str | None, zone_next_at: datetime | None, at: datetime
) -> str | None:
    """The member's own zone name at `at`: a requested change applies from its instant on
    (None: they have none, the server's applies)."""
    if zone_next is not None and zone_next_at is not None and at >= zone_next_at:
        return zone_next
    return zone


def zone_change_allowed(now: datetime, last_requested: datetime | None) -> bool:
    """One change per `ZONE_CHANGE_EVERY`, so a zone cannot be hopped to gain days."""
    return last_requested is None or now - last_requested >= ZONE_CHANGE_EVERY


def zone_change_effective(now: datetime, old_zone: ZoneInfo, new_zone: ZoneInfo) -> datetime:
    """When a change asked for at `now` takes effect: the next local midnight of the old zone,
    so the day in progress ends as it began. (The new zone does not move that instant; it is
    here so callers pass both sides of the change the same way.)"""
    del new_zone
    return start_of_day(local_day(now, old_zone) + _ONE_DAY, old_zone)


def skipped_dates(effective_at: datetime, old_zone: ZoneInfo, new_zone: ZoneInfo) -> list[date]:
    """The dates a change effective at `effective_at` forgives, usually none.

    A date is forgiven when the change leaves the member less than `SHORT_DAY` of it: the dates
    it jumps over entirely (a move east by a day or more), and the first date in the new zone
    when it began long before the change and never in the old zone (a move east by half a day
    or more). A westward move repeats a date instead: it is one date, counted once.
    """
    before = local_day(effective_at - timedelta(microseconds=1), old_zone)
    first = local_day(effective_at, new_zone)
    if first <= before:
        return []
    forgiven = [before + _ONE_DAY * i for i in range(1, (first - before).days)]
    if start_of_day(first + _ONE_DAY, new_zone) - effective_at < SHORT_DAY:
        forgiven.append(first)
    return forgiven
