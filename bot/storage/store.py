"""Every query the services need, as async methods over `Database`.

Each public method is one unit of work in one transaction on one thread hop. Writes that
record facts go through the unique constraints with INSERT … ON CONFLICT DO NOTHING and update
totals with atomic `x = x + n` UPDATEs, so a replayed event counts once and concurrent writers
never lose an update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Insert,
    TextClause,
    and_,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from bot.storage.db import Database
from bot.storage.models import (
    ActivityDay,
    ChallengeAnswer,
    DailyChallenge,
    GuildSettings,
    LessonProgress,
    Member,
    QuizAttempt,
    ReviewCard,
    Run,
    XpEvent,
)
from bot.storage.types import UTCDateTime


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


@dataclass(frozen=True)
class AnswerRecord:
    attempt_ref: str
    item_id: str
    topic: str
    seed: int | None
    answer: str
    correct: bool
    xp: int
    at: datetime
    day: date


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


def _sql(statement: str, **types: Any) -> TextClause:
    """A statement built once; typed parameters keep instants UTC and dates dates."""
    return text(statement).bindparams(
        *(bindparam(name, type_=kind) for name, kind in types.items())
    )


# The answer path is written as SQL once: building Core statements per answer cost more CPU
# than SQLite spent running them. The ON CONFLICT forms are the same in SQLite and PostgreSQL.
_INSERT_ATTEMPT = _sql(
    "INSERT INTO quiz_attempts (guild_id, user_id, attempt_ref, item_id, topic, seed, answer,"
    " correct, at) VALUES (:g, :u, :ref, :item, :topic, :seed, :answer, :correct, :at)"
    " ON CONFLICT (guild_id, user_id, attempt_ref) DO NOTHING RETURNING id",
    correct=Boolean(),
    at=UTCDateTime(),
)
_INSERT_XP = _sql(
    "INSERT INTO xp_events (guild_id, user_id, reason, ref, amount, at)"
    " VALUES (:g, :u, :reason, :ref, :amount, :at)"
    " ON CONFLICT (guild_id, user_id, reason, ref) DO NOTHING",
    at=UTCDateTime(),
)
_INSERT_DAY = _sql(
    "INSERT INTO activity_days (guild_id, user_id, day, first_at) VALUES (:g, :u, :day, :at)"
    " ON CONFLICT (guild_id, user_id, day) DO NOTHING RETURNING id",
    day=Date(),
    at=UTCDateTime(),
)
_MEMBER_XP = _sql("SELECT xp_total FROM members WHERE guild_id = :g AND user_id = :u")
_NEW_MEMBER = (
    "INSERT INTO members (guild_id, user_id, display_name, xp_total, streak_current,"
    " streak_best, last_active_day, freezes, created_at)"
    " VALUES (:g, :u, :name, :xp, 1, 1, :day, 0, :at)"
    " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
    " display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name"
    " ELSE members.display_name END,"
    " xp_total = members.xp_total + excluded.xp_total"
)
_CREDIT_SAME_DAY = _sql(_NEW_MEMBER + " RETURNING xp_total", day=Date(), at=UTCDateTime())
# The streak cache moves on a new day; it can always be rebuilt from activity_days.
_STREAK = (
    "CASE WHEN members.last_active_day IS NULL THEN 1"
    " WHEN members.last_active_day >= excluded.last_active_day THEN members.streak_current"
    " WHEN members.last_active_day = :yesterday THEN members.streak_current + 1 ELSE 1 END"
)
_CREDIT_NEW_DAY = _sql(
    _NEW_MEMBER + f", streak_current = {_STREAK},"
    f" streak_best = CASE WHEN {_STREAK} > members.streak_best THEN {_STREAK}"
    " ELSE members.streak_best END,"
    " last_active_day = CASE WHEN members.last_active_day > excluded.last_active_day"
    " THEN members.last_active_day ELSE excluded.last_active_day END"
    " RETURNING xp_total",
    day=Date(),
    yesterday=Date(),
    at=UTCDateTime(),
)
_REVIEW_SEEN = _sql(
    "UPDATE review_cards SET reps = reps + 1, last_seen_at = :at"
    " WHERE guild_id = :g AND user_id = :u AND item_id = :item",
    at=UTCDateTime(),
)
# Wrong answers come back for review; the full spacing rules arrive in a later issue.
_REVIEW_MISSED = _sql(
    "INSERT INTO review_cards (guild_id, user_id, item_id, box, interval_days, due_on, reps,"
    " lapses, last_seen_at) VALUES (:g, :u, :item, 0, 1, :due, 1, 1, :at)"
    " ON CONFLICT (guild_id, user_id, item_id) DO UPDATE SET box = 0, interval_days = 1,"
    " due_on = excluded.due_on, lapses = review_cards.lapses + 1,"
    " reps = review_cards.reps + 1, last_seen_at = excluded.last_seen_at",
    due=Date(),
    at=UTCDateTime(),
)


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- helpers -------------------------------------------------------------------------

    def _insert(self, model: type[SQLModel]) -> Any:
        table = model.__table__  # type: ignore[attr-defined]
        return sqlite.insert(table) if self.db.sqlite else postgresql.insert(table)

    def _insert_ignore(self, session: Session, statement: Insert, *returning: Any) -> Any:
        statement = statement.on_conflict_do_nothing()  # type: ignore[attr-defined]
        if returning:
            return session.execute(statement.returning(*returning)).first()
        session.execute(statement)
        return None

    def _upsert_member(self, session: Session, who: MemberRef, at: datetime) -> None:
        statement = self._insert(Member).values(
            guild_id=who.guild_id,
            user_id=who.user_id,
            display_name=who.display_name,
            xp_total=0,
            streak_current=0,
            streak_best=0,
            freezes=0,
            created_at=at,
        )
        if who.display_name:
            statement = statement.on_conflict_do_update(
                index_elements=["guild_id", "user_id"],
                set_={"display_name": who.display_name},
            )
        else:
            statement = statement.on_conflict_do_nothing()
        session.execute(statement)

    @staticmethod
    def _member_where(who: MemberRef) -> Any:
        return and_(Member.guild_id == who.guild_id, Member.user_id == who.user_id)

    # -- members and guilds --------------------------------------------------------------

    async def member(self, who: MemberRef) -> MemberView | None:
        def work(session: Session) -> MemberView | None:
            row = session.execute(
                select(Member, GuildSettings.timezone)
                .outerjoin(GuildSettings, GuildSettings.guild_id == Member.guild_id)
                .where(self._member_where(who))
            ).first()
            if row is None:
                guild_zone = session.get(GuildSettings, who.guild_id)
                return MemberView(
                    who.guild_id,
                    who.user_id,
                    who.display_name,
                    None,
                    guild_zone.timezone if guild_zone else None,
                    0,
                )
            member, guild_zone_name = row
            return MemberView(
                member.guild_id,
                member.user_id,
                member.display_name or who.display_name,
                member.timezone,
                guild_zone_name,
                member.xp_total,
            )

        return await self.db.read(work)

    async def set_member_timezone(self, who: MemberRef, zone: str, at: datetime) -> None:
        def work(session: Session) -> None:
            self._upsert_member(session, who, at)
            session.execute(update(Member).where(self._member_where(who)).values(timezone=zone))

        await self.db.write(work)

    async def guild_settings(self, guild_id: int) -> GuildSettings | None:
        return await self.db.read(lambda session: session.get(GuildSettings, guild_id))

    # -- lessons -------------------------------------------------------------------------

    async def completed_lessons(self, who: MemberRef) -> set[str]:
        def work(session: Session) -> set[str]:
            rows = session.execute(
                select(LessonProgress.lesson_id).where(
                    LessonProgress.guild_id == who.guild_id, LessonProgress.user_id == who.user_id
                )
            )
            return set(rows.scalars())

        return await self.db.read(work)

    async def complete_lesson(
        self, who: MemberRef, lesson_id: str, xp: int, at: datetime, day: date
    ) -> Recorded:
        def work(session: Session) -> Recorded:
            inserted = self._insert_ignore(
                session,
                self._insert(LessonProgress).values(
                    guild_id=who.guild_id, user_id=who.user_id, lesson_id=lesson_id, completed_at=at
                ),
                LessonProgress.id,
            )
            ids = {"g": who.guild_id, "u": who.user_id}
            if inserted is None:
                total = session.execute(_MEMBER_XP, ids).scalar()
                return Recorded(new=False, xp_awarded=0, xp_total=int(total or 0))
            xp_event = {"reason": "lesson", "ref": lesson_id, "amount": xp, "at": at}
            session.execute(_INSERT_XP, {**ids, **xp_event})
            total = self._credit(session, who, xp, day, at)
            return Recorded(new=True, xp_awarded=xp, xp_total=total)

        return await self.db.write(work)

    # -- quizzes -------------------------------------------------------------------------

    async def record_answer(self, who: MemberRef, answer: AnswerRecord) -> Recorded:
        """The hot path: five prepared statements, no ORM objects, one transaction."""

        def work(session: Session) -> Recorded:
            ids = {"g": who.guild_id, "u": who.user_id}
            inserted = session.execute(
                _INSERT_ATTEMPT,
                {
                    **ids,
                    "ref": answer.attempt_ref,
                    "item": answer.item_id,
                    "topic": answer.topic,
                    "seed": answer.seed,
                    "answer": answer.answer[:500],
                    "correct": answer.correct,
                    "at": answer.at,
                },
            ).first()
            if inserted is None:
                total = session.execute(_MEMBER_XP, ids).scalar()
                return Recorded(new=False, xp_awarded=0, xp_total=int(total or 0))
            xp_event = {"reason": "quiz", "ref": answer.attempt_ref, "amount": answer.xp}
            session.execute(_INSERT_XP, {**ids, **xp_event, "at": answer.at})
            review = {**ids, "item": answer.item_id, "at": answer.at}
            if answer.correct:
                session.execute(_REVIEW_SEEN, review)
            else:
                session.execute(_REVIEW_MISSED, {**review, "due": answer.day + timedelta(days=1)})
            total = self._credit(session, who, answer.xp, answer.day, answer.at)
            return Recorded(new=True, xp_awarded=answer.xp, xp_total=total)

        return await self.db.write(work)

    def _credit(self, session: Session, who: MemberRef, xp: int, day: date, at: datetime) -> int:
        """Record the study day and add XP to the member's caches; returns the new XP total."""
        ids = {"g": who.guild_id, "u": who.user_id}
        new_day = session.execute(_INSERT_DAY, {**ids, "day": day, "at": at}).first() is not None
        statement = _CREDIT_NEW_DAY if new_day else _CREDIT_SAME_DAY
        params = {**ids, "name": who.display_name, "xp": xp, "day": day, "at": at}
        if new_day:
            params["yesterday"] = day - timedelta(days=1)
        return int(session.execute(statement, params).scalar_one())

    async def item_stats(self, who: MemberRef, item_ids: Sequence[str]) -> dict[str, bool]:
        """For each item the member has answered: whether any answer was right."""

        def work(session: Session) -> dict[str, bool]:
            rows = session.execute(
                select(QuizAttempt.item_id, func.max(case((QuizAttempt.correct, 1), else_=0)))
                .where(
                    QuizAttempt.guild_id == who.guild_id,
                    QuizAttempt.user_id == who.user_id,
                    QuizAttempt.item_id.in_(list(item_ids)),
                )
                .group_by(QuizAttempt.item_id)
            )
            return {item_id: bool(best) for item_id, best in rows}

        return await self.db.read(work)

    # -- progress and leaderboards -------------------------------------------------------

    async def activity_days(self, who: MemberRef) -> list[date]:
        def work(session: Session) -> list[date]:
            rows = session.execute(
                select(ActivityDay.day)
                .where(ActivityDay.guild_id == who.guild_id, ActivityDay.user_id == who.user_id)
                .order_by(ActivityDay.day)
            )
            return list(rows.scalars())

        return await self.db.read(work)

    async def leaderboard(
        self, guild_id: int, since: datetime | None, limit: int
    ) -> list[Standing]:
        """Top members by XP earned since an instant (or ever), ties broken by user id."""

        def work(session: Session) -> list[Standing]:
            if since is None:
                rows = session.execute(
                    select(Member.user_id, Member.display_name, Member.xp_total)
                    .where(Member.guild_id == guild_id, Member.xp_total > 0)
                    .order_by(Member.xp_total.desc(), Member.user_id)
                    .limit(limit)
                )
            else:
                earned = func.sum(XpEvent.amount).label("earned")
                rows = session.execute(
                    select(XpEvent.user_id, Member.display_name, earned)
                    .join(
                        Member,
                        and_(
                            Member.guild_id == XpEvent.guild_id, Member.user_id == XpEvent.user_id
                        ),
                    )
                    .where(XpEvent.guild_id == guild_id, XpEvent.at >= since)
                    .group_by(XpEvent.user_id, Member.display_name)
                    .order_by(earned.desc(), XpEvent.user_id)
                    .limit(limit)
                )
            return [Standing(int(u), name or f"member {u}", int(xp)) for u, name, xp in rows]

        return await self.db.read(work)

    # -- snippet runs --------------------------------------------------------------------

    async def runs_since(self, who: MemberRef, since: datetime) -> int:
        """How many runs the member started since an instant (for the rate limit)."""

        def work(session: Session) -> int:
            count = session.execute(
                select(func.count(Run.id)).where(
                    Run.guild_id == who.guild_id,
                    Run.user_id == who.user_id,
                    Run.started_at >= since,
                )
            ).scalar_one()
            return int(count)

        return await self.db.read(work)

    async def record_run(
        self,
        who: MemberRef,
        code_sha256: str,
        status: str,
        exit_code: int | None,
        wall_ms: float,
        started_at: datetime,
    ) -> None:
        def work(session: Session) -> None:
            session.execute(
                self._insert(Run).values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    code_sha256=code_sha256,
                    status=status,
                    exit_code=exit_code,
                    wall_ms=wall_ms,
                    started_at=started_at,
                )
            )

        await self.db.write(work)

    # -- reviews -------------------------------------------------------------------------

    async def due_reviews(self, who: MemberRef, today: date) -> list[DueReview]:
        """Items due by `today` whose latest answer was wrong, longest waiting first."""

        def work(session: Session) -> list[DueReview]:
            cards = session.execute(
                select(ReviewCard.item_id, ReviewCard.due_on, ReviewCard.reps, ReviewCard.lapses)
                .where(
                    ReviewCard.guild_id == who.guild_id,
                    ReviewCard.user_id == who.user_id,
                    ReviewCard.due_on <= today,
                )
                .order_by(ReviewCard.due_on, ReviewCard.last_seen_at, ReviewCard.item_id)
            ).all()
            if not cards:
                return []
            latest = (
                select(func.max(QuizAttempt.id))
                .where(
                    QuizAttempt.guild_id == who.guild_id,
                    QuizAttempt.user_id == who.user_id,
                    QuizAttempt.item_id.in_([card.item_id for card in cards]),
                )
                .group_by(QuizAttempt.item_id)
            )
            right = set(
                session.execute(
                    select(QuizAttempt.item_id).where(
                        QuizAttempt.id.in_(latest), QuizAttempt.correct
                    )
                ).scalars()
            )
            return [DueReview(*card) for card in cards if card.item_id not in right]

        return await self.db.read(work)

    # -- daily challenges ----------------------------------------------------------------

    @staticmethod
    def _challenge_on(session: Session, guild_id: int, day: date) -> Challenge | None:
        row = session.execute(
            select(DailyChallenge).where(
                DailyChallenge.guild_id == guild_id, DailyChallenge.day == day
            )
        ).scalar_one_or_none()
        if row is None or row.id is None:
            return None
        return Challenge(row.id, row.guild_id, row.day, row.item_id, row.seed)

    async def daily_challenge(
        self, guild_id: int, day: date, item_id: str, seed: int, at: datetime
    ) -> Challenge:
        """The guild's challenge of the day; the first caller's (item, seed) is kept for good."""
        found = await self.db.read(lambda session: self._challenge_on(session, guild_id, day))
        if found is not None:
            return found

        def work(session: Session) -> Challenge:
            self._insert_ignore(
                session,
                self._insert(DailyChallenge).values(
                    guild_id=guild_id, day=day, item_id=item_id, seed=seed, created_at=at
                ),
            )
            made = self._challenge_on(session, guild_id, day)
            assert made is not None
            return made

        return await self.db.write(work)

    async def challenge_answer_count(self, challenge_id: int) -> int:
        def work(session: Session) -> int:
            count = session.execute(
                select(func.count(ChallengeAnswer.id)).where(
                    ChallengeAnswer.challenge_id == challenge_id
                )
            ).scalar_one()
            return int(count)

        return await self.db.read(work)

    async def answer_challenge(
        self,
        who: MemberRef,
        challenge: Challenge,
        *,
        answer: str,
        correct: bool,
        xp: int,
        at: datetime,
        day: date,
    ) -> Recorded:
        """The member's one answer; a second one is not recorded (`new` is False)."""

        def work(session: Session) -> Recorded:
            self._upsert_member(session, who, at)
            inserted = self._insert_ignore(
                session,
                self._insert(ChallengeAnswer).values(
                    challenge_id=challenge.id,
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    answer=answer[:500],
                    correct=correct,
                    at=at,
                ),
                ChallengeAnswer.id,
            )
            if inserted is None:
                total = session.execute(
                    select(Member.xp_total).where(self._member_where(who))
                ).scalar_one()
                return Recorded(new=False, xp_awarded=0, xp_total=int(total))
            if xp:
                self._insert_ignore(
                    session,
                    self._insert(XpEvent).values(
                        guild_id=who.guild_id,
                        user_id=who.user_id,
                        reason="challenge",
                        ref=str(challenge.id),
                        amount=xp,
                        at=at,
                    ),
                )
            total = self._credit(session, who, xp, day, at)
            return Recorded(new=True, xp_awarded=xp, xp_total=total)

        return await self.db.write(work)

    # -- guild setup and profiles --------------------------------------------------------

    async def update_guild_settings(
        self, guild_id: int, values: dict[str, Any], at: datetime
    ) -> GuildSettings:
        """Set some of a guild's settings (creating the row), leaving the others as they are."""

        def work(session: Session) -> GuildSettings:
            session.execute(
                self._insert(GuildSettings)
                .values(guild_id=guild_id, created_at=at, updated_at=at, **values)
                .on_conflict_do_update(
                    index_elements=["guild_id"], set_={**values, "updated_at": at}
                )
            )
            settings = session.get(GuildSettings, guild_id)
            assert settings is not None
            return settings

        return await self.db.write(work)

    async def quiz_totals(self, who: MemberRef) -> tuple[int, int]:
        """How many quiz answers the member gave, and how many were right."""

        def work(session: Session) -> tuple[int, int]:
            answered, right = session.execute(
                select(
                    func.count(QuizAttempt.id),
                    func.coalesce(func.sum(case((QuizAttempt.correct, 1), else_=0)), 0),
                ).where(QuizAttempt.guild_id == who.guild_id, QuizAttempt.user_id == who.user_id)
            ).one()
            return int(answered), int(right)

        return await self.db.read(work)
