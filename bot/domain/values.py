"""Plain values every layer passes around: who is acting, what a write did, a standing.

They live here, apart from storage, so adapters can name a member without importing the layer
that builds queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.streaks import StreakEvent, StreakState


@dataclass(frozen=True)
class MemberRef:
    """Who is acting: plain ids and the name to show on leaderboards."""

    guild_id: int
    user_id: int
    display_name: str = ""


@dataclass(frozen=True)
class MemberView:
    guild_id: int
    user_id: int
    display_name: str
    timezone: str | None
    guild_timezone: str | None
    xp_total: int
    known: bool = True  # False: the member has never done anything here


@dataclass(frozen=True)
class Recorded:
    """What a write did: `new` is False when the same event had been recorded before."""

    new: bool
    xp_awarded: int
    xp_total: int
    streak: int = 0  # the streak after it (the cached run length)
    events: tuple[StreakEvent, ...] = ()  # what it did to the streak: freezes, milestones
    next_due: datetime | None = None  # when the item's review card comes back


@dataclass(frozen=True)
class Standing:
    user_id: int
    display_name: str
    xp: int


@dataclass(frozen=True)
class DueCard:
    """A card /review asks: `reps` picks the seed, so each review round is a new variant."""

    item_id: str
    reps: int


@dataclass(frozen=True)
class ReviewQueue:
    """What /review serves now and what it can say about later."""

    due: tuple[DueCard, ...]  # most overdue first
    new: tuple[str, ...]  # new cards introduced for this session
    due_today: int  # cards due by the end of the member's today (all of them)
    new_left: int  # new cards still allowed today
    next_due: datetime | None  # the first card due after today
    exercises: tuple[str, ...]  # exercises whose card is due (solved again with /exercise)
    zone: str


@dataclass(frozen=True)
class StreakFacts:
    """One read for /streak: the cache, the member's today, forgiven dates, streak events."""

    state: StreakState
    today: date
    forgiven: tuple[date, ...]
    events: tuple[StreakEvent, ...]


@dataclass(frozen=True)
class ZoneChange:
    """What a /timezone request did: set (at once: nothing studied yet), scheduled (from
    `at`, with `forgiven` dates), too_soon (allowed again at `at`), same, pending."""

    status: str
    at: datetime | None = None
    forgiven: tuple[date, ...] = ()


@dataclass(frozen=True)
class Challenge:
    """A guild's daily challenge: the question is (item_id, seed)."""

    id: int
    guild_id: int
    day: date
    item_id: str
    seed: int


@dataclass(frozen=True)
class RunState:
    """A quiz or review run as stored: its plan of (item, seed) questions and its progress."""

    id: int
    guild_id: int
    user_id: int
    owner_name: str
    kind: str
    ref: str
    plan: tuple[tuple[str, int], ...]
    step: int
    results: str

    @property
    def finished(self) -> bool:
        return self.step >= len(self.plan)

    @property
    def score(self) -> int:
        return self.results.count("1")

    def current(self) -> tuple[str, int]:
        return self.plan[self.step]


@dataclass(frozen=True)
class Judged:
    """A graded answer, ready to record: what the service decided, for the store to write."""

    item_id: str
    topic: str
    seed: int
    answer: str
    correct: bool
    xp: int


@dataclass(frozen=True)
class StepOutcome:
    """What answering one step of a run did. `status` is `ok`, or why nothing was recorded:
    `missing` (no such run), `not_yours`, or `closed` (that question was already answered)."""

    status: str
    run: RunState | None = None
    judged: Judged | None = None
    recorded: Recorded | None = None


@dataclass(frozen=True)
class Profile:
    """One read's worth of a member: enough for /profile and /streak."""

    view: MemberView
    lessons_done: frozenset[str]
    days: tuple[date, ...]
    answered: int
    correct: int


@dataclass(frozen=True)
class ScheduleRow:
    """A stored schedule, with the zone and grace window of its server."""

    id: int
    guild_id: int
    kind: str
    channel_id: int | None
    hour: int
    minute: int
    days: str
    track: str | None
    period: str | None
    cursor: str | None
    enabled: bool
    problem: str | None
    configured_by: int | None
    guild_timezone: str | None
    grace_hours: int


@dataclass(frozen=True)
class Claim:
    """What claiming a post's key found. `status`: `new` (claimed now: post it), `stale` (an
    earlier claim lapsed without a message: look for it in the channel, then post), `done`
    (posted or skipped before) or `busy` (another process holds a live claim)."""

    status: str
    delivery_id: int | None = None
    ref: str | None = None
    message_id: int | None = None
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    guild_id: int
    kind: str
    key: str
    ref: str | None
    state: str
    channel_id: int | None
    message_id: int | None
    fire_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ReminderTarget:
    """A member who asked for reminders, with what deciding one needs."""

    guild_id: int
    user_id: int
    display_name: str
    timezone: str | None
    guild_timezone: str | None
    reminded_on: date | None
    last_active_day: date | None


@dataclass(frozen=True)
class ChallengePost:
    """A claimed challenge post, made in one transaction: the claim, the day's challenge, how
    many have answered it, and the previous challenge post (whose answer it reveals)."""

    claim: Claim
    challenge: Challenge | None = None
    answered: int = 0
    previous: DeliveryRow | None = None
