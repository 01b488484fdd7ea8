"""Streak rules (bot/domain/streaks.py): examples for each rule of docs/rules.md, then the
properties issue 12 asks for on random histories in random zones: the cache folded day by day
equals the rebuild from the stored facts, and the streak never goes down on a day with
activity.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.progress import local_day, start_of_day
from bot.domain.streaks import (
    FREEZE_EVERY,
    MAX_FREEZES,
    ZONE_CHANGE_EVERY,
    Mode,
    OutOfOrder,
    StreakEvent,
    StreakState,
    StreakView,
    day_qualifies,
    rebuild,
    skipped_dates,
    week_of,
    zone_change_allowed,
    zone_change_effective,
)

DAY = timedelta(days=1)
MONDAY = date(2026, 3, 2)  # an ISO week's first day
UTC_ZONE = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
SANTIAGO = ZoneInfo("America/Santiago")  # its clocks jump at midnight
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # half-hour DST
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC-11


def _days(first: date, n: int) -> list[date]:
    return [first + DAY * i for i in range(n)]


def _fold(
    days: list[date], state: StreakState | None = None, skipped: tuple[date, ...] = ()
) -> tuple[StreakState, list[StreakEvent]]:
    """Count `days` one by one, as they would arrive, keeping every event."""
    state = state or StreakState()
    events: list[StreakEvent] = []
    for day in days:
        state, new = state.count(day, skipped)
        events.extend(new)
    return state, events


def _kinds(events: list[StreakEvent], kind: str) -> list[StreakEvent]:
    return [e for e in events if e.kind == kind]


# -- which days count ----------------------------------------------------------------------------


def test_a_day_counts_for_one_lesson_daily_or_exercise_or_three_answers() -> None:
    assert day_qualifies(lessons=1)
    assert day_qualifies(dailies=1)
    assert day_qualifies(exercises=1)
    assert day_qualifies(answers=3)
    assert not day_qualifies(answers=2)
    assert not day_qualifies()


# -- daily mode ----------------------------------------------------------------------------------


def test_the_first_day_starts_a_run_of_one() -> None:
    state, events = StreakState().count(MONDAY)
    assert (state.current, state.best, state.start, state.last) == (1, 1, MONDAY, MONDAY)
    assert events == ()


def test_the_next_day_adds_one() -> None:
    state, events = _fold(_days(MONDAY, 3))
    assert (state.current, state.best, state.start, state.last) == (3, 3, MONDAY, MONDAY + 2 * DAY)
    assert events == []


def test_the_same_day_twice_changes_nothing() -> None:
    state, _ = _fold(_days(MONDAY, 7))
    again, events = state.count(MONDAY + 6 * DAY)
    assert again == state
    assert events == ()


def test_a_day_before_the_last_one_asks_for_a_rebuild() -> None:
    state, _ = _fold(_days(MONDAY, 3))
    with pytest.raises(OutOfOrder):
        state.count(MONDAY)
    assert rebuild([MONDAY + 2 * DAY, MONDAY, MONDAY + DAY])[0] == state


def test_a_freeze_is_earned_on_every_seventh_day_and_at_most_two_are_held() -> None:
    state, events = _fold(_days(MONDAY, 21))
    earned = _kinds(events, "freeze_earned")
    assert [(e.day, e.count) for e in earned] == [(MONDAY + 6 * DAY, 7), (MONDAY + 13 * DAY, 14)]
    assert FREEZE_EVERY == 7 and MAX_FREEZES == 2
    assert state.freezes == 2  # day 21 would have earned a third


def test_one_missed_day_spends_one_freeze_and_the_run_goes_on() -> None:
    week, _ = _fold(_days(MONDAY, 7))
    assert week.freezes == 1
    back = MONDAY + 8 * DAY  # the 8th of the run, after missing MONDAY + 7
    state, events = week.count(back)
    assert (state.current, state.freezes, state.start) == (8, 0, MONDAY)
    assert events == (StreakEvent("freeze_spent", MONDAY + 7 * DAY, 7),)


def test_each_missed_day_spends_one_freeze_when_enough_are_held() -> None:
    two, _ = _fold(_days(MONDAY, 14))
    assert two.freezes == 2
    back = MONDAY + 16 * DAY  # missed the 15th and 16th dates
    state, events = two.count(back)
    assert (state.current, state.freezes) == (15, 0)
    assert [e.day for e in _kinds(list(events), "freeze_spent")] == [
        MONDAY + 14 * DAY,
        MONDAY + 15 * DAY,
    ]


def test_more_missed_days_than_freezes_restarts_at_one_and_keeps_the_freezes() -> None:
    week, _ = _fold(_days(MONDAY, 7))
    back = MONDAY + 9 * DAY  # two missed, one freeze
    state, events = week.count(back)
    assert (state.current, state.best, state.freezes, state.start) == (1, 7, 1, back)
    assert events == (StreakEvent("restarted", back, 7),)


def test_frozen_days_keep_the_run_alive_but_do_not_add_to_it() -> None:
    week, _ = _fold(_days(MONDAY, 7))
    state, _ = week.count(MONDAY + 8 * DAY)
    assert state.current == 8  # nine dates from start to last, eight studied


def test_milestones_are_events_at_seven_thirty_and_a_hundred_days() -> None:
    _, events = _fold(_days(MONDAY, 100))
    assert [(e.count, e.day) for e in _kinds(events, "milestone")] == [
        (7, MONDAY + 6 * DAY),
        (30, MONDAY + 29 * DAY),
        (100, MONDAY + 99 * DAY),
    ]


def test_rebuild_folds_any_order_and_repeats_into_the_same_state() -> None:
    days = [*_days(MONDAY, 10), MONDAY + 11 * DAY, MONDAY + 20 * DAY]
    folded = _fold(days)
    assert rebuild(reversed(days + days[:3])) == folded


# -- what /streak shows --------------------------------------------------------------------------


def test_nothing_counted_yet_is_no_streak() -> None:
    assert StreakState().on(MONDAY) == StreakView(0, 0, 0, False, False, False, 0)


def test_studied_today_is_alive_and_safe() -> None:
    state, _ = _fold(_days(MONDAY, 3))
    view = state.on(MONDAY + 2 * DAY)
    assert (view.current, view.alive, view.studied_today, view.at_risk) == (3, True, True, False)
    assert view.freezes_needed == 0


def test_studied_yesterday_is_alive_and_at_risk() -> None:
    state, _ = _fold(_days(MONDAY, 3))
    view = state.on(MONDAY + 3 * DAY)
    assert (view.current, view.alive, view.studied_today, view.at_risk) == (3, True, False, True)
    assert view.freezes_needed == 0


def test_missed_days_the_freezes_cover_are_alive_and_say_what_today_would_spend() -> None:
    state, _ = _fold(_days(MONDAY, 14))  # two freezes
    view = state.on(MONDAY + 16 * DAY)  # the 15th and 16th dates missed
    assert (view.current, view.freezes, view.alive, view.at_risk) == (14, 2, True, True)
    assert view.freezes_needed == 2
    assert state.count(MONDAY + 16 * DAY)[0].freezes == 0  # studying spends what it said


def test_missed_days_the_freezes_cannot_cover_are_a_lost_streak_but_best_stays() -> None:
    state, _ = _fold(_days(MONDAY, 7))  # one freeze
    view = state.on(MONDAY + 9 * DAY)  # two dates missed
    assert (view.current, view.best, view.freezes, view.alive, view.at_risk) == (
        0,
        7,
        1,
        False,
        False,
    )


def test_looking_spends_nothing() -> None:
    state, _ = _fold(_days(MONDAY, 7))
    state.on(MONDAY + 8 * DAY)
    assert state.freezes == 1


def test_a_date_a_westward_zone_change_brings_back_is_studied_today() -> None:
    state, _ = _fold(_days(MONDAY, 3))
    view = state.on(MONDAY + DAY)
    assert (view.current, view.alive, view.studied_today, view.at_risk) == (3, True, True, False)


# -- weekly mode ---------------------------------------------------------------------------------


def _weekly(target: int = 3) -> StreakState:
    return StreakState(mode="weekly", target=target)


def test_a_week_counts_once_its_target_is_met_and_the_run_counts_weeks() -> None:
    state, events = _fold([MONDAY, MONDAY + DAY], _weekly())
    assert (state.current, state.week_days, state.last) == (0, 2, None)
    state, events = _fold([MONDAY + 3 * DAY, MONDAY + 5 * DAY], state)
    assert (state.current, state.week_days, state.last, state.start) == (1, 4, MONDAY, MONDAY)
    assert events == []
    next_week = MONDAY + 7 * DAY
    state, _ = _fold([next_week, next_week + 2 * DAY, next_week + 4 * DAY], state)
    assert (state.current, state.last) == (2, next_week)


def test_a_week_below_target_ends_the_weekly_run() -> None:
    state, _ = _fold([MONDAY, MONDAY + DAY, MONDAY + 2 * DAY], _weekly())
    skipped_week = MONDAY + 14 * DAY
    state, events = _fold([skipped_week + DAY * i for i in range(3)], state)
    assert (state.current, state.best, state.start) == (1, 1, skipped_week)
    assert events == [StreakEvent("restarted", skipped_week + 2 * DAY, 1)]


def test_weekly_mode_has_no_freezes_and_its_milestones_are_weeks() -> None:
    days = [MONDAY + 7 * DAY * w + DAY * d for w in range(8) for d in range(2)]
    state, events = _fold(days, _weekly(2))
    assert (state.current, state.freezes) == (8, 0)
    assert not _kinds(events, "freeze_earned")
    assert [(e.count, e.day) for e in _kinds(events, "milestone")] == [
        (7, MONDAY + 7 * DAY * 6 + DAY)
    ]


def test_weekly_view_is_alive_through_the_week_after_a_met_one() -> None:
    state, _ = _fold([MONDAY, MONDAY + DAY], _weekly(2))
    following = MONDAY + 7 * DAY
    view = state.on(following + DAY)
    assert (view.current, view.alive, view.at_risk, view.studied_today) == (1, True, True, False)
    assert (view.week_days, view.week_target, view.freezes, view.mode) == (0, 2, 0, "weekly")
    state, _ = state.count(following + DAY)
    view = state.on(following + DAY)
    assert (view.week_days, view.studied_today, view.at_risk) == (1, True, True)
    lost = state.on(following + 7 * DAY)  # the following week missed its target
    assert (lost.current, lost.alive) == (0, False)


def test_forgiven_dates_lower_a_weeks_target_to_the_days_it_has_left() -> None:
    forgiven = tuple(MONDAY + DAY * i for i in range(2, 5))  # three dates of seven
    state, _ = _fold([MONDAY + 5 * DAY, MONDAY + 6 * DAY], _weekly(6), forgiven)
    assert state.current == 0  # a target of 6 becomes 4: the two dates before it are not enough
    state, _ = _fold([*_days(MONDAY, 2), MONDAY + 5 * DAY, MONDAY + 6 * DAY], _weekly(6), forgiven)
    assert state.current == 1
    assert state.on(MONDAY + 6 * DAY, forgiven).week_target == 4


def test_targets_and_modes_are_checked() -> None:
    for bad in (0, 7):
        with pytest.raises(ValueError):
            StreakState(mode="weekly", target=bad)
    with pytest.raises(ValueError):
        StreakState(mode="monthly")  # type: ignore[arg-type]


def test_switching_mode_recounts_the_same_days() -> None:
    days = _days(MONDAY, 17)  # two whole weeks and three days of the third
    daily, _ = rebuild(days, mode="daily")
    weekly, _ = rebuild(days, mode="weekly", target=3)
    assert (daily.current, daily.freezes) == (17, 2)
    assert (weekly.current, weekly.freezes, weekly.last) == (3, 0, week_of(MONDAY + 16 * DAY))
    assert rebuild(days, mode="weekly", target=4)[0].current == 2


# -- time-zone changes ---------------------------------------------------------------------------


def test_a_zone_change_is_allowed_once_every_seven_days() -> None:
    asked = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert zone_change_allowed(asked, None)
    assert not zone_change_allowed(asked + ZONE_CHANGE_EVERY - timedelta(seconds=1), asked)
    assert zone_change_allowed(asked + ZONE_CHANGE_EVERY, asked)


def test_a_zone_change_takes_effect_at_the_next_midnight_of_the_old_zone() -> None:
    asked = datetime(2026, 3, 10, 12, tzinfo=UTC)  # 21:00 on the 10th in Tokyo
    effective = zone_change_effective(asked, TOKYO, NEW_YORK)
    assert effective == datetime(2026, 3, 10, 15, tzinfo=UTC)  # midnight of the 11th in Tokyo
    assert effective.astimezone(TOKYO).hour == 0
    at_midnight = datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert zone_change_effective(at_midnight, TOKYO, NEW_YORK) == at_midnight + DAY


def test_a_zone_change_on_a_night_without_midnight_takes_effect_when_the_day_begins() -> None:
    asked = datetime(2026, 9, 5, 18, tzinfo=UTC)  # Saturday afternoon in Santiago
    effective = zone_change_effective(asked, SANTIAGO, UTC_ZONE)
    assert effective == datetime(2026, 9, 6, 4, tzinfo=UTC)  # 00:00 never happens: 01:00 -03
    assert local_day(effective, SANTIAGO) == date(2026, 9, 6)
    assert local_day(effective - timedelta(microseconds=1), SANTIAGO) == date(2026, 9, 5)


def test_moving_west_repeats_a_date_and_forgives_nothing() -> None:
    effective = zone_change_effective(datetime(2026, 3, 10, 12, tzinfo=UTC), TOKYO, NEW_YORK)
    assert local_day(effective, NEW_YORK) == date(2026, 3, 10)  # the 10th again
    assert skipped_dates(effective, TOKYO, NEW_YORK) == []


def test_moving_west_by_more_than_a_day_gives_back_the_date_before_too() -> None:
    effective = zone_change_effective(datetime(2026, 3, 10, 1, tzinfo=UTC), KIRITIMATI, PAGO)
    assert local_day(effective - timedelta(microseconds=1), KIRITIMATI) == date(2026, 3, 10)
    assert local_day(effective, PAGO) == date(2026, 3, 9)
    assert skipped_dates(effective, KIRITIMATI, PAGO) == []
    # The 9th in Pago Pago is the 9th once more: missed in Kiritimati, it can still be studied.
    # The cache cannot place a date before its last one; the store rebuilds, and the date counts.
    days = _days(date(2026, 3, 4), 5)  # the 4th to the 8th
    state, events = _fold([*days, date(2026, 3, 10)])
    assert (state.current, events[-1].kind) == (1, "restarted")
    with pytest.raises(OutOfOrder):
        state.count(date(2026, 3, 9))
    rebuilt, _ = rebuild([*days, date(2026, 3, 10), date(2026, 3, 9)])
    assert (rebuilt.current, rebuilt.start, rebuilt.freezes) == (7, date(2026, 3, 4), 1)


def test_moving_east_by_half_a_day_forgives_the_short_first_date() -> None:
    effective = zone_change_effective(datetime(2026, 3, 10, 12, tzinfo=UTC), NEW_YORK, TOKYO)
    assert effective == datetime(2026, 3, 11, 4, tzinfo=UTC)  # midnight in New York (EDT)
    assert effective.astimezone(TOKYO).hour == 13  # 11 hours of the 11th are left
    assert skipped_dates(effective, NEW_YORK, TOKYO) == [date(2026, 3, 11)]


def test_moving_east_by_a_little_forgives_nothing() -> None:
    effective = zone_change_effective(datetime(2026, 3, 10, 12, tzinfo=UTC), LONDON, TOKYO)
    assert effective.astimezone(TOKYO).hour == 9  # 15 hours of the 11th are left
    assert skipped_dates(effective, LONDON, TOKYO) == []


def test_moving_east_by_more_than_a_day_forgives_the_date_jumped_over() -> None:
    effective = zone_change_effective(datetime(2026, 3, 10, 12, tzinfo=UTC), PAGO, KIRITIMATI)
    assert local_day(effective - timedelta(microseconds=1), PAGO) == date(2026, 3, 10)
    assert local_day(effective, KIRITIMATI) == date(2026, 3, 12)
    assert skipped_dates(effective, PAGO, KIRITIMATI) == [date(2026, 3, 11)]


def test_a_forgiven_date_is_not_a_missed_day() -> None:
    state, _ = _fold(_days(date(2026, 3, 4), 7))  # through the 10th, one freeze
    forgiven = (date(2026, 3, 11),)
    kept, events = state.count(date(2026, 3, 12), forgiven)
    assert (kept.current, kept.freezes) == (8, 1)
    assert events == ()
    assert state.on(date(2026, 3, 12), forgiven).freezes_needed == 0
    spent, _ = state.count(date(2026, 3, 12))  # the same gap unforgiven costs the freeze
    assert spent.freezes == 0


def test_a_forgiven_date_studied_anyway_counts() -> None:
    forgiven = (date(2026, 3, 11),)
    state, _ = _fold(_days(date(2026, 3, 9), 4), skipped=forgiven)
    assert state.current == 4


# -- DST days ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        (LONDON, date(2026, 3, 28)),  # 29 March: 23 hours
        (LONDON, date(2026, 10, 24)),  # 25 October: 25 hours
        (NEW_YORK, date(2026, 3, 7)),
        (NEW_YORK, date(2026, 10, 31)),
        (SANTIAGO, date(2026, 9, 5)),  # 6 September starts at 01:00
        (SANTIAGO, date(2026, 4, 3)),  # 4 April has 23:00 twice
        (LORD_HOWE, date(2026, 4, 4)),  # half an hour back
    ],
)
def test_dst_days_are_ordinary_days(zone: ZoneInfo, first: date) -> None:
    """Study just after each local midnight and just before the next: three dates, +1 each,
    however long the day in the middle is."""
    instants = [
        start_of_day(first + DAY * i, zone) + timedelta(minutes=offset)
        for i in range(3)
        for offset in (1, 23 * 60 - 1)
    ]
    days = [local_day(i, zone) for i in instants]
    assert sorted(set(days)) == _days(first, 3)
    state, _ = _fold(days)
    assert (state.current, state.freezes) == (3, 0)
    # A day later in hours is not always the next date: dates are compared, never hours.
    assert local_day(start_of_day(first + DAY, zone) + timedelta(hours=24), zone) in (
        first + DAY,
        first + 2 * DAY,
    )


# -- properties ----------------------------------------------------------------------------------

# Zones at the edges: DST at midnight, half-hour DST, negative DST, Ramadan DST, ±14 h, odd
# offsets; random picks from every IANA zone come on top of these.
EDGE_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "America/Asuncion",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Antarctica/Troll",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Chatham",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "Asia/Tokyo",
)
ALL_ZONES = tuple(sorted(zoneinfo.available_timezones()))
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@functools.cache
def _transitions(name: str) -> tuple[datetime, ...]:
    """Instants near which a zone's offset changes in 2026 (a 6-hour scan: close enough to start
    a history a little before one)."""
    zone = _zone(name)
    found = []
    previous = YEAR_START.astimezone(zone).utcoffset()
    for quarter in range(1, 366 * 4):
        instant = YEAR_START + timedelta(hours=6 * quarter)
        offset = instant.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(instant)
        previous = offset
    return tuple(found)


@dataclass(frozen=True)
class Block:
    """A stretch of the member's life: `days` dates in a row studied at `minute` past local
    midnight (and, when `twice`, again an hour before that date ends), then a zone change
    asked for if `new_zone`, then `gap` dates without study. After a change the next block
    starts from the first date the new zone gives (a date again, when moving west)."""

    days: int
    minute: int
    twice: bool
    new_zone: str | None
    gap: int


@dataclass(frozen=True)
class History:
    mode: Mode
    target: int
    zone: str
    begin: datetime
    blocks: tuple[Block, ...]


# The zones a day apart or more: a move between them skips a date, or gives one back.
FAR_ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Chatham",  # +13:45 in its summer
    "Etc/GMT-14",
    "Pacific/Tongatapu",
    "Pacific/Pago_Pago",
    "Pacific/Niue",
    "Etc/GMT+12",
)
_zone_names = st.one_of(
    st.sampled_from(EDGE_ZONES), st.sampled_from(ALL_ZONES), st.sampled_from(FAR_ZONES)
)
# Minutes past local midnight, often at the edges: midnight itself, and the hours DST moves.
_minutes = st.one_of(
    st.integers(0, 1439),
    st.sampled_from([0, 1, 29, 30, 59, 60, 61, 119, 120, 121, 150, 179, 180, 181, 1380, 1439]),
)
_gaps = st.one_of(
    st.just(0),
    st.just(0),
    st.just(1),
    st.integers(2, 3),
    st.integers(4, 9),  # weekly runs end, daily runs restart unless two freezes cover it
    st.integers(10, 30),
)
_blocks = st.builds(
    Block,
    days=st.integers(1, 21),
    minute=_minutes,
    twice=st.booleans(),
    new_zone=st.one_of(st.none(), st.none(), _zone_names),
    gap=_gaps,
)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A member's study from a random start (often a day or three before a DST change of their
    zone), with zone changes asked for along the way."""
    zone = draw(_zone_names)
    transitions = _transitions(zone)
    if transitions and draw(st.sampled_from([True, True, True, False])):
        begin = draw(st.sampled_from(transitions)) - timedelta(minutes=draw(st.integers(0, 4320)))
    else:
        begin = YEAR_START + timedelta(minutes=draw(st.integers(0, 365 * 1440)))
    mode: Mode = draw(st.sampled_from(["daily", "daily", "weekly"]))
    blocks = draw(st.lists(_blocks, min_size=1, max_size=12))
    return History(mode, draw(st.integers(1, 6)), zone, begin, tuple(blocks))


@st.composite
def far_histories(draw: st.DrawFn) -> History:
    """Moves between zones a day apart, late in the evening, after gaps: a westward move of
    more than a day gives back the date before the last one studied, which the cache cannot
    fold (it is rare in `histories()`, so it gets examples of its own)."""
    blocks = st.builds(
        Block,
        days=st.one_of(st.just(1), st.just(1), st.integers(1, 9)),
        minute=st.sampled_from([0, 30, 1380, 1410, 1439]),
        twice=st.booleans(),
        new_zone=st.sampled_from(FAR_ZONES),
        gap=st.sampled_from([0, 0, 1, 2, 7]),
    )
    zone = draw(st.sampled_from(FAR_ZONES))
    if draw(st.booleans()):  # around Chatham's DST changes, which move it across a day
        begin = draw(st.sampled_from(_transitions("Pacific/Chatham"))) - timedelta(days=3)
    else:
        begin = YEAR_START + timedelta(minutes=draw(st.integers(0, 365 * 1440)))
    mode: Mode = draw(st.sampled_from(["daily", "daily", "weekly"]))
    target = draw(st.integers(1, 6))
    return History(
        mode, target, zone, begin, tuple(draw(st.lists(blocks, min_size=2, max_size=12)))
    )


@dataclass
class Replay:
    """A history as the store lives it: the facts it keeps (counted dates, forgiven dates) and
    the cache folded as each new date arrives. A date before the last counted one (only a
    westward move of more than a day brings one) cannot be folded: the store rebuilds."""

    state: StreakState
    events: list[StreakEvent] = field(default_factory=list)
    days: set[date] = field(default_factory=set)
    forgiven: set[date] = field(default_factory=set)
    shown: list[tuple[StreakView, StreakView]] = field(default_factory=list)  # before, after
    # The cache and the facts at the end of each block, for a rebuild at that moment.
    kept: list[tuple[StreakState, list[StreakEvent], frozenset[date], frozenset[date]]] = field(
        default_factory=list
    )
    rebuilds: int = 0
    changes: int = 0
    offsets: set[tuple[str, timedelta | None]] = field(default_factory=set)

    def study(self, day: date) -> None:
        before = self.state.on(day, self.forgiven)
        if day not in self.days:  # a date is counted once, when it first qualifies
            try:
                self.state, new = self.state.count(day, self.forgiven)
                self.events.extend(new)
            except OutOfOrder:
                self.rebuilds += 1
                self.state, self.events = rebuild(
                    self.days | {day}, self.forgiven, self.state.mode, self.state.target
                )
            self.days.add(day)
        elif day == self.state.latest:
            assert self.state.count(day, self.forgiven) == (self.state, ())
        self.shown.append((before, self.state.on(day, self.forgiven)))


def _zone_at(zones: list[tuple[datetime, ZoneInfo]], at: datetime) -> ZoneInfo:
    return next(zone for since, zone in reversed(zones) if since <= at)


def _replay(history: History) -> Replay:
    """Play the history: every study instant is a local time in the zone in effect then (a
    time a DST jump skips, or repeats, resolves as `datetime` does); a zone change asked for
    is granted once per 7 days, and its skipped dates are stored when it is asked."""
    replay = Replay(StreakState(mode=history.mode, target=history.target))
    zones = [(datetime.min.replace(tzinfo=UTC), _zone(history.zone))]
    asked: datetime | None = None
    at = history.begin
    day = local_day(at, _zone(history.zone))

    def study_at(minute: int) -> None:
        nonlocal at
        for since, zone in reversed(zones):  # the newest zone whose rule covers that time
            wanted = start_of_day(day, zone) + timedelta(minutes=minute)
            if wanted >= since:
                break
        at = max(at, wanted)
        zone = _zone_at(zones, at)
        replay.offsets.add((zone.key, at.astimezone(zone).utcoffset()))
        replay.study(local_day(at, zone))

    for block in history.blocks:
        for _ in range(block.days):
            study_at(block.minute)
            if block.twice:
                study_at(max(block.minute, 23 * 60))
            day = local_day(at, _zone_at(zones, at)) + DAY
        zone = _zone_at(zones, at)
        if block.new_zone not in (None, zone.key) and zone_change_allowed(at, asked):
            new = _zone(str(block.new_zone))
            effective = zone_change_effective(at, zone, new)
            zones.append((effective, new))
            replay.forgiven.update(skipped_dates(effective, zone, new))
            asked = at
            replay.changes += 1
            day = local_day(effective, new)
        day += DAY * block.gap
        replay.kept.append(
            (replay.state, list(replay.events), frozenset(replay.days), frozenset(replay.forgiven))
        )
    return replay


def _label(history: History, replay: Replay) -> None:
    """What the examples covered, for --hypothesis-show-statistics."""
    event(f"mode {history.mode}")
    keys = [key for key, _ in replay.offsets]
    event("a DST change inside the history" if len(keys) > len(set(keys)) else "no DST change")
    event(f"zone changes: {min(replay.changes, 3)}{'+' if replay.changes >= 3 else ''}")
    event("forgiven dates" if replay.forgiven else "no forgiven date")
    if replay.rebuilds:
        event("a date before the last (westward by more than a day): the cache rebuilt")
    kinds = {e.kind for e in replay.events}
    for kind in ("freeze_spent", "freeze_earned", "restarted", "milestone"):
        if kind in kinds:
            event(f"event {kind}")
    event(f"longest run: {'7+' if replay.state.best >= 7 else 'under 7'}")


_PROPERTY = settings(
    derandomize=True,
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_PROPERTY
@given(st.one_of(histories(), far_histories()))
def test_property_the_cache_folded_day_by_day_equals_the_rebuild(history: History) -> None:
    replay = _replay(history)
    _label(history, replay)
    for state, events, days, forgiven in replay.kept:  # the last one is the whole history
        assert (state, events) == rebuild(days, forgiven, history.mode, history.target)
    state = replay.state
    assert 0 <= state.freezes <= MAX_FREEZES
    assert state.current <= state.best
    assert state.last is not None or state.current == 0
    if history.mode == "daily" and state.last is not None and state.start is not None:
        in_run = [day for day in replay.days if state.start <= day <= state.last]
        assert state.current == len(in_run)  # frozen dates keep a run alive, they add nothing


@_PROPERTY
@given(st.one_of(histories(), far_histories()))
def test_property_the_streak_never_goes_down_on_a_day_with_activity(history: History) -> None:
    replay = _replay(history)
    _label(history, replay)
    for before, after in replay.shown:
        assert after.current >= before.current
        assert after.best >= before.best
        assert after.studied_today
        if history.mode == "daily":
            assert after.alive and not after.at_risk and after.current >= 1
