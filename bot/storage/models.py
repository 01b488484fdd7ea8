"""The tables. Facts (activity days, XP events, attempts) are written once; totals are caches.

Every member-owned row is keyed by (guild_id, user_id); unique constraints, not application
checks, make a repeated delivery of the same event harmless.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime

# Named constraints, so later migrations (SQLite rebuilds tables for them) can address them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _id(**kw: Any) -> Any:
    """A Discord id column: 64-bit. Typed Any like `Field` itself, so models keep their types."""
    return Field(sa_type=BigInteger, **kw)


def _instant(nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable)


class GuildSettings(SQLModel, table=True):
    __tablename__ = "guild_settings"

    guild_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    timezone: str = Field(default="UTC", max_length=64)
    lesson_channel_id: int | None = _id(default=None, nullable=True)
    challenge_channel_id: int | None = _id(default=None, nullable=True)
    leaderboard_channel_id: int | None = _id(default=None, nullable=True)
    moderator_role_id: int | None = _id(default=None, nullable=True)
    grace_hours: int = 6  # a post missed while the bot was down goes out this late, no later
    announce_quizzes: bool = True  # "ada finished a NumPy quiz: 4/5" in the channel
    retention: float = 0.9  # FSRS desired retention, 0.80-0.97 (docs/rules.md)
    new_per_day: int = 10  # new review cards a member is given a day
    rolling_day: date | None = None  # the server date the rolling-30-days totals end on
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Schedule(SQLModel, table=True):
    """When and where a guild's timed posts go out. The database is the source of truth; the
    scheduler's jobs are rebuilt from these rows at start and whenever one changes."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("guild_id", "kind", name="uq_schedule_guild_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id(index=True)
    kind: str = Field(max_length=16)  # lessons | challenge | leaderboard
    channel_id: int | None = _id(default=None, nullable=True)
    hour: int
    minute: int
    days: str = Field(max_length=32)  # daily | weekdays | mon,wed,fri
    track: str | None = Field(default=None, max_length=64)  # lessons: where the walk starts
    period: str | None = Field(default=None, max_length=8)  # leaderboard: week | month | all
    cursor: str | None = Field(default=None, max_length=64)  # lessons: the next lesson to post
    enabled: bool = True
    problem: str | None = Field(default=None, max_length=300)  # why it was switched off
    configured_by: int | None = _id(default=None, nullable=True)  # told if it breaks
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Member(SQLModel, table=True):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", name="uq_member"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    display_name: str = Field(default="", max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    xp_total: int = 0
    xp_reached_at: datetime | None = _instant(nullable=True)  # when xp_total last grew
    # The streak cache (bot.domain.streaks.StreakState); `studybot db rebuild-stats` rebuilds
    # it from activity_days and streak_forgiven.
    streak_mode: str = Field(default="daily", max_length=8)  # daily | weekly
    streak_target: int = 3  # weekly mode: days a week
    streak_current: int = 0
    streak_best: int = 0
    last_active_day: date | None = None  # the last counted day (weekly: its Monday)
    streak_start: date | None = None
    streak_latest: date | None = None  # the last day folded in, either mode
    week_days: int = 0  # days counted in streak_latest's ISO week
    freezes: int = 0  # streak freezes held: earned and spent by the learning-engine rules
    zone_next: str | None = Field(default=None, max_length=64)  # a requested zone change...
    zone_next_at: datetime | None = _instant(nullable=True)  # ...and when it takes effect
    zone_changed_at: datetime | None = _instant(nullable=True)  # one change per 7 days
    reminders: bool = False  # a DM near the end of a day without study
    reminded_on: date | None = None  # the local date of the last reminder (one a day)
    feed_seen_at: datetime | None = _instant(nullable=True)  # the console's /feed
    created_at: datetime = _instant()


class ActivityDay(SQLModel, table=True):
    """One row for each local day a member did something: what they did, and whether the day
    counted for the streak (`counted`: the fact streaks are rebuilt from)."""

    __tablename__ = "activity_days"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", "day", name="uq_activity_day"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    day: date
    first_at: datetime = _instant()
    lessons: int = 0
    dailies: int = 0
    exercises: int = 0  # solved
    answers: int = 0  # quiz and review answers
    counted: bool = False


class StreakForgiven(SQLModel, table=True):
    """A date a time-zone change took away from a member: never a missed day."""

    __tablename__ = "streak_forgiven"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", "day", name="uq_streak_forgiven"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    day: date


class StreakLog(SQLModel, table=True):
    """What happened to a streak and when (freezes earned and spent, restarts, milestones), for
    /streak. Derived: rebuild-stats writes it again from the facts."""

    __tablename__ = "streak_events"
    __table_args__ = (Index("ix_streak_event_member", "guild_id", "user_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    kind: str = Field(max_length=16)  # freeze_spent | freeze_earned | restarted | milestone
    day: date
    count: int


class XpTotal(SQLModel, table=True):
    """A member's XP in one leaderboard period, kept as awards arrive so a board is an index
    scan. `period`: `all`, `w:<Monday>`, `m:<YYYY-MM>`, `d:<date>` (server dates) or `r`
    (rolling 30 days ending on guild_settings.rolling_day). `reached_at` is when the total
    last grew: equal totals rank by who got there first."""

    __tablename__ = "xp_totals"
    __table_args__ = (
        UniqueConstraint("guild_id", "period", "user_id", name="uq_xp_total"),
        # xp descending, reached_at ascending: a board and a rank are one index range.
        Index(
            "ix_xp_total_board",
            "guild_id",
            "period",
            text("xp DESC"),
            "reached_at",
            "user_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    period: str = Field(max_length=16)
    user_id: int = _id()
    xp: int
    reached_at: datetime = _instant()


class XpEvent(SQLModel, table=True):
    __tablename__ = "xp_events"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "reason", "ref", name="uq_xp_event"),
        Index("ix_xp_guild_at", "guild_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    reason: str = Field(max_length=32)  # lesson | quiz | challenge | review
    ref: str = Field(max_length=128)
    amount: int
    at: datetime = _instant()


class LessonProgress(SQLModel, table=True):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "lesson_id", name="uq_lesson_progress"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    lesson_id: str = Field(max_length=64)
    completed_at: datetime = _instant()


class QuizAttempt(SQLModel, table=True):
    """One answer. `attempt_ref` names the asked question, so a replayed answer is one row."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "attempt_ref", name="uq_quiz_attempt"),
        Index("ix_attempt_member_item", "guild_id", "user_id", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    attempt_ref: str = Field(max_length=128)
    item_id: str = Field(max_length=64)
    topic: str = Field(max_length=64)
    seed: int | None = _id(default=None, nullable=True)
    answer: str = Field(max_length=500)
    correct: bool
    at: datetime = _instant()


class MemoryCard(SQLModel, table=True):
    """One member's FSRS-6 memory of one item (bot.domain.memory.MemoryCard's fields).
    `kind` is quiz (served by /review) or exercise (pointed to by /review)."""

    __tablename__ = "memory_cards"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "item_id", name="uq_memory_card"),
        Index("ix_memory_card_due", "guild_id", "user_id", "kind", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    item_id: str = Field(max_length=64)
    kind: str = Field(default="quiz", max_length=8)
    state: int
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime = _instant()
    last_review: datetime | None = _instant(nullable=True)
    reps: int = 0
    lapses: int = 0
    introduced_on: date | None = None  # the member's date a new card was first served


class ReviewLog(SQLModel, table=True):
    """Every graded answer as an FSRS review, kept so the parameters can be optimised later."""

    __tablename__ = "review_logs"
    __table_args__ = (Index("ix_review_log_member", "guild_id", "user_id", "item_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    item_id: str = Field(max_length=64)
    source: str = Field(max_length=8)  # quiz | review | daily | exercise
    rating: int  # 1 Again, 3 Good
    at: datetime = _instant()
    elapsed_days: float
    scheduled_days: float


class QuizRun(SQLModel, table=True):
    """A run of questions (a quiz or a review session): its plan, where it is and how it went.

    Buttons name a run and a step; answering moves `step` on with a compare-and-set, so a stale
    button or a second click finds the question closed and records nothing.
    """

    __tablename__ = "quiz_runs"
    __table_args__ = (Index("ix_quiz_run_member", "guild_id", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    kind: str = Field(max_length=16)  # topic | lesson | studied | review
    ref: str = Field(default="", max_length=64)  # the topic or lesson id
    plan: str = Field(sa_type=Text)  # JSON: [[item_id, seed], ...]
    step: int = 0  # questions answered so far
    results: str = Field(default="", max_length=64)  # "1" right / "0" wrong, one per step
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class DailyChallenge(SQLModel, table=True):
    __tablename__ = "daily_challenges"
    __table_args__ = (UniqueConstraint("guild_id", "day", name="uq_daily_challenge"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    day: date
    item_id: str = Field(max_length=64)
    seed: int = _id()
    created_at: datetime = _instant()


class ChallengeAnswer(SQLModel, table=True):
    __tablename__ = "challenge_answers"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id", name="uq_challenge_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="daily_challenges.id")
    guild_id: int = _id()
    user_id: int = _id()
    answer: str = Field(max_length=500)
    correct: bool
    at: datetime = _instant()


class Delivery(SQLModel, table=True):
    """A post made (or being made) by a timed job: one per (guild, kind, key).

    A job claims the key before posting (`state` claimed, with a lease), records the message
    after; a claim whose lease ran out without a message is checked against the channel and
    then posted or marked, so a crash between the two never posts twice or not at all.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("guild_id", "kind", "key", name="uq_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    kind: str = Field(max_length=32)
    key: str = Field(max_length=128)
    ref: str | None = Field(default=None, max_length=128)  # the lesson, challenge day, …
    state: str = Field(default="claimed", max_length=16)  # claimed | posted | skipped
    channel_id: int | None = _id(default=None, nullable=True)
    message_id: int | None = _id(default=None, nullable=True)
    fire_at: datetime | None = _instant(nullable=True)
    lease_until: datetime | None = _instant(nullable=True)
    detail: str | None = Field(default=None, max_length=300)
    created_at: datetime = _instant()
    updated_at: datetime | None = _instant(nullable=True)


class Run(SQLModel, table=True):
    """A snippet run: who ran what (by hash) and how it ended, for rate limits and reports."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_run_member_at", "guild_id", "user_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    code_sha256: str = Field(max_length=64)
    code: str | None = Field(default=None, sa_type=Text)  # for its owner's "Edit & run again"
    status: str = Field(max_length=16)
    exit_code: int | None = None
    wall_ms: float = 0.0
    started_at: datetime = _instant()


class ExerciseAttempt(SQLModel, table=True):
    """One checked submission to an exercise: a fact, written once. Solved means some attempt
    passed; the XP of a first solve is the XP event (`exercise`, exercise id), so it is paid once
    however the submissions race. `run_id` is the snippet run it was (for the rate limit)."""

    __tablename__ = "exercise_attempts"
    __table_args__ = (
        Index("ix_exercise_attempt_member", "guild_id", "user_id", "exercise_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    exercise_id: str = Field(max_length=64)
    run_id: int | None = None  # the `runs` row it was (no foreign key: runs are never deleted)
    code: str = Field(sa_type=Text)  # the member's last attempt fills the next form
    passed: bool
    cases_passed: int
    cases_total: int
    at: datetime = _instant()
