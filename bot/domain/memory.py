"""Spaced repetition with FSRS-6 (the `fsrs` package): when each item should come back.

One card per member and item. Every graded answer is a review: wrong is Again, right is Good.
Hard and Easy are never given: what a member sends through Discord says whether they knew the
answer, not how hard it felt, and the time an answer takes there is mostly reading, typing and
the network, so it cannot tell a hesitant right answer from a sure one.

The bot works in days, not minutes: a member opens /review once or twice a day, so the steps a
new or forgotten card goes through are one day each (a miss comes back tomorrow), not the
minutes a desktop app uses within one sitting. No fuzzing: the same answers at the same times
always give the same schedule, which the store, the tests and a rebuild rely on.

The card is kept as plain fields (what the database stores); `fsrs.Card` only exists for the
length of one call. Building a `fsrs.Scheduler` costs more than a review, so there is one per
desired retention, cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, Scheduler, State

RETENTION_RANGE = (0.80, 0.97)
DEFAULT_RETENTION = 0.9
DEFAULT_NEW_PER_DAY = 10
NEW_PER_DAY_RANGE = (0, 50)
STEP_DAYS = 1  # each learning and relearning step
MAXIMUM_INTERVAL_DAYS = 365

LEARNING, REVIEW, RELEARNING = int(State.Learning), int(State.Review), int(State.Relearning)
AGAIN, GOOD = int(Rating.Again), int(Rating.Good)

_STEPS = (timedelta(days=STEP_DAYS),)
_DAY_SECONDS = 86_400.0


@dataclass(frozen=True, slots=True)
class MemoryCard:
    """What the store keeps of one member's memory of one item.

    `state` is 1 learning, 2 review, 3 relearning; `step` the learning or relearning step
    (None in review); `stability` (days until recall falls to 90%) and `difficulty` (1 to 10)
    are FSRS's memory model, None until the first review. `lapses` counts the times a card in
    review was forgotten.
    """

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int
    lapses: int


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """The review log the store keeps so FSRS's parameters can be optimised later."""

    rating: int
    at: datetime
    elapsed_days: float  # since the previous review (0 for the first)
    scheduled_days: float  # until the card is due again


def retention_allowed(value: float) -> bool:
    """Whether a server may ask for this retention: below the range reviews come too rarely to
    help, above it the daily load grows steeply for little more recall."""
    return RETENTION_RANGE[0] <= value <= RETENTION_RANGE[1]


def new_card(at: datetime) -> MemoryCard:
    """A card for an item the member has not been asked yet: due as soon as it is introduced."""
    return MemoryCard(
        state=LEARNING,
        step=0,
        stability=None,
        difficulty=None,
        due=_utc(at),
        last_review=None,
        reps=0,
        lapses=0,
    )


def review(
    card: MemoryCard, correct: bool, at: datetime, desired_retention: float = DEFAULT_RETENTION
) -> tuple[MemoryCard, ReviewEntry]:
    """The card after one graded answer at `at`, and the log entry of that review.

    An answer stamped before the card's last review (two answers to one item recorded at once,
    their clocks read in the other order) counts as given at that last review: the log never
    holds a negative elapsed time and the card's history never runs backwards.
    """
    at = _utc(at)
    if card.last_review is not None and at < card.last_review:
        at = _utc(card.last_review)
    rating = Rating.Good if correct else Rating.Again
    after, _log = _scheduler(desired_retention).review_card(_to_fsrs(card), rating, at)
    lapsed = not correct and card.state == REVIEW
    reviewed = MemoryCard(
        state=int(after.state),
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=after.due,
        last_review=at,
        reps=card.reps + 1,
        lapses=card.lapses + lapsed,
    )
    elapsed = 0.0 if card.last_review is None else _days(at - card.last_review)
    return reviewed, ReviewEntry(int(rating), at, elapsed, _days(after.due - at))


def retrievability(
    card: MemoryCard, at: datetime, desired_retention: float = DEFAULT_RETENTION
) -> float:
    """FSRS's predicted chance the member recalls the item at `at` (0 before any review).

    The forgetting curve does not depend on the retention asked for; the argument only picks
    the cached scheduler, so callers can pass the server's setting as they do to `review`.
    """
    return float(_scheduler(desired_retention).get_card_retrievability(_to_fsrs(card), _utc(at)))


@functools.lru_cache(maxsize=32)
def _scheduler(desired_retention: float) -> Scheduler:
    if not retention_allowed(desired_retention):
        low, high = RETENTION_RANGE
        raise ValueError(f"desired retention {desired_retention} is outside {low}-{high}")
    return Scheduler(
        desired_retention=desired_retention,
        learning_steps=_STEPS,
        relearning_steps=_STEPS,
        maximum_interval=MAXIMUM_INTERVAL_DAYS,
        enable_fuzzing=False,
    )


def _to_fsrs(card: MemoryCard) -> Card:
    # card_id is given: without one, fsrs.Card reads the clock and sleeps a millisecond.
    return Card(
        card_id=0,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("FSRS needs an aware instant")
    return at.astimezone(UTC)


def _days(span: timedelta) -> float:
    return span.total_seconds() / _DAY_SECONDS
