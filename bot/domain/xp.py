"""XP: what each kind of study pays, and the periods leaderboards add it up over.

The numbers are the ones `docs/rules.md` gives members (a test reads the page and checks them
against these constants). Paying once is not decided here: every award is an XP event with a
unique (member, reason, ref), so a replay or a double click finds the event already there. The
functions below only say how much an award is worth and which ref makes it unique.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

QUIZ_XP_PER_DIFFICULTY = 10
REVIEW_XP = 5
EXERCISE_XP_PER_DIFFICULTY = 20
LESSON_XP = 20
DAILY_XP = 30
DAILY_SPEED_BONUS_PERCENT = 25
DAILY_MAX_BONUS = DAILY_XP * DAILY_SPEED_BONUS_PERCENT // 100  # rounded down: 7
MILESTONES: dict[int, int] = {7: 50, 30: 200, 100: 500}

LEADERBOARD_PERIODS = ("week", "month", "rolling", "all")
ROLLING_DAYS = 30


def quiz_xp(difficulty: int, correct: bool) -> int:
    """A right answer pays by difficulty; the store pays it once per (item, seed), so answering
    the same generated variant again earns nothing."""
    return QUIZ_XP_PER_DIFFICULTY * difficulty if correct else 0


def review_xp(correct: bool) -> int:
    """Reviews pay a flat amount: the schedule, not the member, chose the item."""
    return REVIEW_XP if correct else 0


def exercise_xp(difficulty: int) -> int:
    """An exercise is more work than a quiz item, so it pays twice as much per difficulty
    level; only the first pass pays (ref: the exercise id)."""
    return EXERCISE_XP_PER_DIFFICULTY * difficulty


def daily_xp(correct: bool, answered_at: datetime, opens_at: datetime, closes_at: datetime) -> int:
    """The daily challenge pays a base plus a bonus that shrinks linearly from `opens_at` to
    `closes_at`, rounded down, so being early helps but never outweighs being right."""
    if not correct:
        return 0
    window = closes_at - opens_at
    if window <= timedelta(0):
        return DAILY_XP
    left = min(max(closes_at - answered_at, timedelta(0)), window)
    # Whole microseconds keep the rounding exact (no float drift at the edges).
    bonus = DAILY_XP * DAILY_SPEED_BONUS_PERCENT * _us(left) // (100 * _us(window))
    return DAILY_XP + bonus


def _us(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def milestones_crossed(before: int, after: int) -> list[tuple[int, int]]:
    """The milestones (length, xp) a streak passes going from `before` to `after`."""
    return [(days, xp) for days, xp in sorted(MILESTONES.items()) if before < days <= after]


def milestone_ref(mode: str, length: int, start: date) -> str:
    """The XP ref of a streak milestone: a run that restarts (new start) can earn it again, a
    replay of the same run cannot. Weekly runs have their own prefix, so a weekly run and a
    daily one that begin on the same Monday never share a ref."""
    prefix = "streak" if mode == "daily" else "weekly"
    return f"{prefix}:{length}:{start.isoformat()}"


def period_first_day(today: date, period: str) -> date | None:
    """The first local date (server zone) a leaderboard period counts; None for all time.

    week: the ISO week's Monday; month: the 1st; rolling: the last `ROLLING_DAYS` dates,
    today included.
    """
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    if period == "rolling":
        return today - timedelta(days=ROLLING_DAYS - 1)
    if period == "all":
        return None
    raise ValueError(f"unknown period {period!r}")
