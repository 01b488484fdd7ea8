"""XP rules (bot/domain/xp.py) and the page that tells members about them (docs/rules.md).

The page is the rule: every number written in it must be one of the constants the code uses,
and each constant must be written in it where the page says it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import memory, streaks, xp
from bot.domain.portfolio import XP_HELPFUL_REVIEW

RULES = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
OPENS = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(hours=24)


def test_quiz_pays_ten_per_difficulty_level_when_right_and_nothing_when_wrong() -> None:
    assert [xp.quiz_xp(d, True) for d in (1, 2, 3)] == [10, 20, 30]
    assert xp.quiz_xp(3, False) == 0


def test_review_exercise_and_lesson_pay_flat_or_by_difficulty() -> None:
    assert (xp.review_xp(True), xp.review_xp(False)) == (5, 0)
    assert [xp.exercise_xp(d) for d in (1, 2, 3)] == [20, 40, 60]
    assert xp.LESSON_XP == 20


def test_daily_pays_the_full_bonus_at_opening_and_none_at_closing() -> None:
    assert xp.daily_xp(True, OPENS, OPENS, CLOSES) == 30 + 7
    assert xp.daily_xp(True, CLOSES, OPENS, CLOSES) == 30
    assert xp.daily_xp(False, OPENS, OPENS, CLOSES) == 0


def test_daily_bonus_shrinks_linearly_and_rounds_down() -> None:
    halfway = OPENS + (CLOSES - OPENS) / 2
    assert xp.daily_xp(True, halfway, OPENS, CLOSES) == 30 + 3  # 3.75 rounded down
    a_minute_in = OPENS + timedelta(minutes=1)
    assert xp.daily_xp(True, a_minute_in, OPENS, CLOSES) == 30 + 7  # 7.49...


def test_daily_bonus_outside_the_window_is_clamped() -> None:
    early = OPENS - timedelta(hours=3)
    late = CLOSES + timedelta(days=2)
    assert xp.daily_xp(True, early, OPENS, CLOSES) == 37
    assert xp.daily_xp(True, late, OPENS, CLOSES) == 30
    assert xp.daily_xp(True, OPENS, OPENS, OPENS) == 30  # an empty window: no bonus to give


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=86_400), st.integers(min_value=0, max_value=86_400))
def test_daily_xp_never_grows_with_lateness(first: int, second: int) -> None:
    early, late = sorted((first, second))
    at = [OPENS + timedelta(seconds=s) for s in (early, late)]
    paid = [xp.daily_xp(True, t, OPENS, CLOSES) for t in at]
    assert 30 <= paid[1] <= paid[0] <= 30 + 30 * 25 / 100


def test_milestones_crossed_pays_each_milestone_once_per_climb() -> None:
    assert xp.milestones_crossed(6, 7) == [(7, 50)]
    assert xp.milestones_crossed(7, 8) == []
    assert xp.milestones_crossed(0, 100) == [(7, 50), (30, 200), (100, 500)]
    assert xp.milestones_crossed(29, 31) == [(30, 200)]


def test_milestone_ref_names_the_run_and_keeps_weekly_runs_apart() -> None:
    monday = date(2026, 3, 2)
    assert xp.milestone_ref("daily", 7, monday) == "streak:7:2026-03-02"
    assert xp.milestone_ref("weekly", 7, monday) == "weekly:7:2026-03-02"
    assert xp.milestone_ref("daily", 7, monday + timedelta(days=9)) != xp.milestone_ref(
        "daily", 7, monday
    )


def test_period_first_day_of_each_leaderboard() -> None:
    wednesday = date(2026, 4, 1)
    assert xp.period_first_day(wednesday, "week") == date(2026, 3, 30)  # ISO week: Monday
    assert xp.period_first_day(wednesday, "month") == date(2026, 4, 1)
    assert xp.period_first_day(wednesday, "rolling") == date(2026, 3, 3)  # 30 dates with today
    assert xp.period_first_day(wednesday, "all") is None
    assert set(xp.LEADERBOARD_PERIODS) == {"week", "month", "rolling", "all"}
    with pytest.raises(ValueError):
        xp.period_first_day(wednesday, "year")


# -- the page ------------------------------------------------------------------------------------

# Each rule the page states, as the words around its number(s), and the constant(s) it must be.
# A pattern's groups are the numbers; every number on the page must be in some pattern's match.
_RULES_DAILY = r"\| daily challenge, right \| (\d+) \+ up to (\d+) % \(at most (\d+)\)"
_RULES: list[tuple[str, tuple[float, ...]]] = [
    (r"between (\d\.\d+) and (\d\.\d+)", memory.RETENTION_RANGE),
    (r"default (\d\.\d+)", (memory.DEFAULT_RETENTION,)),
    (r"at most (\d+) new cards a day by default", (memory.DEFAULT_NEW_PER_DAY,)),
    (r"from (\d+) to (\d+) new cards", memory.NEW_PER_DAY_RANGE),
    (r"(\d+) day later", (memory.STEP_DAYS,)),
    (r"wait more than (\d+) days before", (memory.MAXIMUM_INTERVAL_DAYS,)),
    (r"at least (\d+) quiz or review answers", (streaks.QUALIFYING_ANSWERS,)),
    (r"every (\d+)th day of a run", (streaks.FREEZE_EVERY,)),
    (r"hold at most (\d+) freezes", (streaks.MAX_FREEZES,)),
    (r"once every (\d+) days", (streaks.ZONE_CHANGE_EVERY.days,)),
    (r"less than (\d+) hours", (streaks.SHORT_DAY.total_seconds() / 3600,)),
    (r"from (\d+) to (\d+) days a week", (streaks.WEEKLY_TARGETS[0], streaks.WEEKLY_TARGETS[-1])),
    (r"(\d+) days a week unless", (streaks.DEFAULT_WEEKLY_TARGET,)),
    (r"all (\d+) days", (streaks.WEEK_DAYS,)),
    (r"\| quiz item, right .*? \| (\d+) × difficulty \|", (xp.QUIZ_XP_PER_DIFFICULTY,)),
    (r"\| review item, right \| (\d+) \|", (xp.REVIEW_XP,)),
    (r"\| exercise, .*? \| (\d+) × difficulty \|", (xp.EXERCISE_XP_PER_DIFFICULTY,)),
    (r"\| lesson finished \| (\d+) \|", (xp.LESSON_XP,)),
    (_RULES_DAILY, ()),
    (r"(\d+)-day streak \| (\d+) \|", ()),
    (r"(\d+)-week streak", ()),
    (r"last (\d+) days", (xp.ROLLING_DAYS,)),
    (r"\| a portfolio review its author marks helpful \| (\d+) \|", (XP_HELPFUL_REVIEW,)),
]


def _page() -> str:
    return RULES.read_text(encoding="utf-8")


def _rx(pattern: str) -> str:
    """A rule's words as a pattern that a line break or a double space does not defeat."""
    return pattern.replace(" ", r"\s+")


def test_every_rule_the_page_states_matches_its_constant() -> None:
    page = _page()
    for pattern, constants in _RULES:
        found = re.findall(_rx(pattern), page)
        assert found, f"docs/rules.md no longer says /{pattern}/"
        for match in found:
            values = tuple(float(v) for v in (match if isinstance(match, tuple) else (match,)))
            if constants:
                assert values == tuple(float(c) for c in constants), pattern


def test_the_daily_challenge_and_milestones_on_the_page_are_the_constants() -> None:
    page = _page()
    (daily,) = re.findall(_rx(_RULES_DAILY), page)
    assert tuple(map(int, daily)) == (xp.DAILY_XP, xp.DAILY_SPEED_BONUS_PERCENT, xp.DAILY_MAX_BONUS)
    milestones = {int(d): int(x) for d, x in re.findall(_rx(r"(\d+)-day streak \| (\d+) \|"), page)}
    assert milestones == xp.MILESTONES
    weeks = {int(w) for w in re.findall(_rx(r"(\d+)-week streak"), page)}
    assert weeks == set(xp.MILESTONES)


def test_no_number_on_the_page_is_outside_a_rule() -> None:
    page = _page()
    covered = [m.span() for pattern, _ in _RULES for m in re.finditer(_rx(pattern), page)]
    stray = [
        (number.group(), page[max(0, number.start() - 30) : number.end() + 30])
        for number in re.finditer(r"\d+(?:\.\d+)?", page)
        if not any(start <= number.start() < end for start, end in covered)
    ]
    assert stray == [], "numbers in docs/rules.md with no constant behind them"
