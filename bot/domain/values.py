"""Plain values every layer passes around: who is acting, what a write did, a standing.

They live here, apart from storage, so adapters can name a member without importing the layer
that builds queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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


@dataclass(frozen=True)
class Standing:
    user_id: int
    display_name: str
    xp: int


@dataclass(frozen=True)
class DueReview:
    item_id: str
    due_on: date
    reps: int
    lapses: int


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
