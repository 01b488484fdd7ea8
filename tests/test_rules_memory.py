"""Spaced repetition rules (bot/domain/memory.py, FSRS-6 through the `fsrs` package): what
docs/rules.md promises members about /review, and the property issue 12 asks for: a right
answer on a card in review never brings it back sooner than the wait before it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.domain.memory import (
    AGAIN,
    DEFAULT_RETENTION,
    GOOD,
    LEARNING,
    MAXIMUM_INTERVAL_DAYS,
    RELEARNING,
    RETENTION_RANGE,
    REVIEW,
    MemoryCard,
    new_card,
    retention_allowed,
    retrievability,
    review,
)

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def _interval(card: MemoryCard) -> timedelta:
    assert card.last_review is not None
    return card.due - card.last_review


def _answered(
    answers: list[bool], retention: float = DEFAULT_RETENTION, at: datetime = T0
) -> MemoryCard:
    """A new card answered as given, each answer on the day it is due."""
    card = new_card(at)
    for correct in answers:
        card, _ = review(card, correct, card.due, retention)
    return card


# -- ratings and the first reviews ---------------------------------------------------------------


def test_a_new_card_is_due_when_it_is_introduced() -> None:
    card = new_card(T0)
    assert (card.state, card.step, card.stability, card.difficulty) == (LEARNING, 0, None, None)
    assert (card.due, card.last_review, card.reps, card.lapses) == (T0, None, 0, 0)


def test_wrong_is_again_and_right_is_good() -> None:
    _, wrong = review(new_card(T0), False, T0)
    _, right = review(new_card(T0), True, T0)
    assert (wrong.rating, right.rating) == (AGAIN, GOOD) == (1, 3)


def test_the_review_log_says_when_how_long_since_and_until_when() -> None:
    card, first = review(new_card(T0), True, T0)
    assert (first.at, first.elapsed_days, first.scheduled_days) == (T0, 0.0, 2.0)
    later = T0 + timedelta(days=2, hours=6)
    _, second = review(card, True, later)
    assert second.elapsed_days == pytest.approx(2.25)
    assert second.at == later


def test_an_answer_stamped_before_the_last_review_counts_as_given_at_it() -> None:
    card, _ = review(new_card(T0), True, T0)
    after, entry = review(card, True, T0 - timedelta(milliseconds=3))
    assert (entry.at, entry.elapsed_days, after.last_review) == (T0, 0.0, T0)
    assert after == review(card, True, T0)[0]


def test_a_new_card_answered_right_comes_back_in_a_couple_of_days() -> None:
    """The page: a couple of days at the default, the next day at the highest retention,
    about a week at the lowest."""
    days = {r: _interval(_answered([True], r)).days for r in (0.80, DEFAULT_RETENTION, 0.97)}
    assert days[DEFAULT_RETENTION] == 2
    assert days[0.97] == 1
    assert 5 <= days[0.80] <= 9
    assert _answered([True]).state == REVIEW


@pytest.mark.parametrize(
    ("history", "state_before"),
    [
        ([], LEARNING),  # a new card
        ([False], LEARNING),  # missed before
        ([True, True, True], REVIEW),  # a card in review
        ([True, True, False], RELEARNING),  # a lapsed card, missed again
    ],
)
def test_a_miss_comes_back_the_next_day(history: list[bool], state_before: int) -> None:
    card = _answered(history)
    assert card.state == state_before
    at = card.due + timedelta(hours=5)
    missed, entry = review(card, False, at)
    assert missed.due == at + DAY
    assert entry.scheduled_days == 1.0
    assert missed.state in (LEARNING, RELEARNING)
    assert missed.step == 0


def test_reps_count_every_review_and_lapses_only_misses_of_cards_in_review() -> None:
    card = _answered([False, True, True, False, False, True])
    assert card.reps == 6
    assert card.lapses == 1  # the first miss was of a new card, the last of a relearning one


def test_after_a_miss_right_answers_space_the_card_out_again() -> None:
    card = _answered([True, True, True, False])
    waits = []
    for _ in range(4):
        card, entry = review(card, True, card.due)
        waits.append(entry.scheduled_days)
    assert waits == sorted(waits)
    assert waits[-1] > waits[0]


def test_no_wait_is_longer_than_the_maximum_interval() -> None:
    card = _answered([True] * 12, 0.80)
    assert _interval(card) == timedelta(days=MAXIMUM_INTERVAL_DAYS)


# -- the same answers, the same schedule ---------------------------------------------------------


def test_the_schedule_is_deterministic_no_fuzz() -> None:
    """Fuzzing would spread long intervals over several days at random."""
    card = _answered([True, True, True, True])
    assert _interval(card) > timedelta(days=20)  # long enough that fuzz would show
    at = card.due + timedelta(days=3)
    results = {review(card, True, at) for _ in range(50)}
    assert len(results) == 1
    assert _answered([True, False, True, True]) == _answered([True, False, True, True])


def test_instants_in_any_zone_are_kept_in_utc_and_naive_ones_are_refused() -> None:
    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    card, entry = review(new_card(paris), True, paris)
    assert card.due.tzinfo == UTC and entry.at.tzinfo == UTC
    assert card == review(new_card(T0), True, T0)[0]
    with pytest.raises(ValueError):
        review(new_card(T0), True, datetime(2026, 3, 2, 9, 30))
    with pytest.raises(ValueError):
        new_card(datetime(2026, 3, 2))


# -- desired retention ---------------------------------------------------------------------------


def test_retention_is_allowed_from_0_80_to_0_97() -> None:
    low, high = RETENTION_RANGE
    assert (low, high, DEFAULT_RETENTION) == (0.80, 0.97, 0.9)
    for value in (low, DEFAULT_RETENTION, high):
        assert retention_allowed(value)
        review(new_card(T0), True, T0, value)
    for value in (0.79, 0.975, 0.5, 1.0, 0.0):
        assert not retention_allowed(value)
        with pytest.raises(ValueError, match="outside"):
            review(new_card(T0), True, T0, value)
        with pytest.raises(ValueError):
            retrievability(new_card(T0), T0, value)


def test_higher_desired_retention_gives_shorter_intervals() -> None:
    card = _answered([True, True, True])
    at = card.due
    waits = [_interval(review(card, True, at, r)[0]) for r in (0.80, 0.85, 0.90, 0.95, 0.97)]
    assert waits == sorted(waits, reverse=True)
    assert len(set(waits)) == len(waits)  # strictly shorter at each step for this card
    # Whole histories too: the same answers on their due days, each server its own schedule.
    spans = [_answered([True] * 5, r).due - T0 for r in (0.80, 0.90, 0.97)]
    assert spans == sorted(spans, reverse=True)


@settings(derandomize=True, database=None, max_examples=200, deadline=None)
@given(
    st.floats(*RETENTION_RANGE),
    st.floats(*RETENTION_RANGE),
    st.lists(st.booleans(), min_size=1, max_size=8),
)
def test_property_higher_retention_never_waits_longer(
    low: float, high: float, answers: list[bool]
) -> None:
    low, high = sorted((low, high))
    card = _answered(answers)
    at = card.due
    for correct in (True, False):
        assert _interval(review(card, correct, at, high)[0]) <= _interval(
            review(card, correct, at, low)[0]
        )


def test_retrievability_is_zero_before_any_review_and_about_the_retention_when_due() -> None:
    assert retrievability(new_card(T0), T0) == 0.0
    card = _answered([True, True, True])
    at_review = retrievability(card, card.last_review or T0)
    at_due = retrievability(card, card.due)
    later = retrievability(card, card.due + 30 * DAY)
    assert at_review == pytest.approx(1.0)
    assert at_due == pytest.approx(DEFAULT_RETENTION, abs=0.02)  # intervals are whole days
    assert at_review > at_due > later


# -- the property --------------------------------------------------------------------------------

# When each answer comes, in hours from the card's due time: early (the same day or days
# before, which FSRS handles with its short-term model), on time, or late by up to a year.
_when = st.one_of(
    st.integers(-72, 0),
    st.just(0),
    st.integers(1, 48),
    st.integers(48, 24 * 365),
)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(
    st.floats(*RETENTION_RANGE),
    st.lists(st.tuples(st.sampled_from([True, True, True, False]), _when), min_size=1, max_size=25),
)
def test_property_a_good_on_a_card_in_review_never_shortens_its_interval(
    retention: float, answers: list[tuple[bool, int]]
) -> None:
    card = new_card(T0)
    goods_in_review = 0
    for correct, hours in answers:
        at = card.due + timedelta(hours=hours)
        if card.last_review is not None:
            at = max(at, card.last_review + timedelta(minutes=1))
        after, entry = review(card, correct, at, retention)
        assert entry.scheduled_days >= 1.0
        assert _interval(after) <= timedelta(days=MAXIMUM_INTERVAL_DAYS)
        if correct and card.state == REVIEW:
            goods_in_review += 1
            assert _interval(after) >= _interval(card)
            assert card.last_review is not None
            soon = at - card.last_review < DAY
            event("a Good within a day of the last review" if soon else "a Good a day or more on")
            event("a Good before the card was due" if at < card.due else "a Good when due or late")
        card = after
    event(f"Goods in review: {min(goods_in_review, 5)}{'+' if goods_in_review >= 5 else ''}")
    event(f"lapses: {min(card.lapses, 2)}{'+' if card.lapses >= 2 else ''}")
