"""Every query the services need, as async methods over `Database`.

Each public method is one unit of work in one transaction on one thread hop. Writes that
record facts go through the unique constraints with INSERT … ON CONFLICT DO NOTHING and update
totals with atomic `x = x + n` UPDATEs, so a replayed event counts once and concurrent writers
never lose an update. A member's day is computed inside the transaction that records the fact,
from the zones stored beside it, so a click is one hop however much it writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, Insert, Integer, TextClause, bindparam, case, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, and_, col, select

from bot.domain.progress import StreakRun, local_day, member_zone, streak_run
from bot.domain.values import (
    Challenge,
    ChallengePost,
    Claim,
    DueReview,
    Judged,
    MemberRef,
    MemberView,
    Profile,
    Recorded,
    RunState,
    ScheduleRow,
    Standing,
    StepOutcome,
)
from bot.storage.db import Database
from bot.storage.models import (
    ChallengeAnswer,
    ExerciseAttempt,
    GuildSettings,
    LessonProgress,
    Member,
    QuizAttempt,
    QuizRun,
    ReviewCard,
    Run,
    XpEvent,
)
from bot.storage.timed import TimedStore
from bot.storage.types import UTCDateTime

JudgeStep = Callable[[RunState], Judged]
JudgeChallenge = Callable[[Challenge], Judged]


def _sql(statement: str, **types: Any) -> TextClause:
    """A statement built once; typed parameters keep instants UTC and dates dates."""
    return text(statement).bindparams(
        *(bindparam(name, type_=kind) for name, kind in types.items())
    )


# The answer path is written as SQL once: building Core statements per answer cost more CPU
# than SQLite spent running them. The ON CONFLICT forms are the same in SQLite and PostgreSQL.
_ZONES = _sql(
    "SELECT (SELECT timezone FROM members WHERE guild_id = :g AND user_id = :u),"
    " (SELECT timezone FROM guild_settings WHERE guild_id = :g)"
)
_INSERT_ATTEMPT = _sql(
    "INSERT INTO quiz_attempts (guild_id, user_id, attempt_ref, item_id, topic, seed, answer,"
    " correct, at) VALUES (:g, :u, :ref, :item, :topic, :seed, :answer, :correct, :at)"
    " ON CONFLICT (guild_id, user_id, attempt_ref) DO NOTHING RETURNING id",
    correct=Boolean(),
    at=UTCDateTime(),
)
# The one way an XP event is written; a repeated (member, reason, ref) inserts nothing.
_INSERT_XP = _sql(
    "INSERT INTO xp_events (guild_id, user_id, reason, ref, amount, at)"
    " VALUES (:g, :u, :reason, :ref, :amount, :at)"
    " ON CONFLICT (guild_id, user_id, reason, ref) DO NOTHING RETURNING id",
    at=UTCDateTime(),
)
_INSERT_DAY = _sql(
    "INSERT INTO activity_days (guild_id, user_id, day, first_at) VALUES (:g, :u, :day, :at)"
    " ON CONFLICT (guild_id, user_id, day) DO NOTHING RETURNING id",
    day=Date(),
    at=UTCDateTime(),
)
_MEMBER_XP = _sql("SELECT xp_total FROM members WHERE guild_id = :g AND user_id = :u")
# Result columns typed, so SQLite's text dates come back as dates.
_MEMBER_STREAK = text(
    "SELECT streak_current, streak_best, last_active_day FROM members"
    " WHERE guild_id = :g AND user_id = :u"
).columns(streak_current=Integer(), streak_best=Integer(), last_active_day=Date())
_DAYS = text("SELECT day FROM activity_days WHERE guild_id = :g AND user_id = :u").columns(
    day=Date()
)
# The one way a member row is written after the first study: XP added, name kept fresh, and
# on a new day the streak cache set to what `StreakRun.extend` computed.
_UPSERT = (
    "INSERT INTO members (guild_id, user_id, display_name, xp_total, streak_current,"
    " streak_best, last_active_day, freezes, created_at)"
    " VALUES (:g, :u, :name, :xp, :current, :best, :last, 0, :at)"
    " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
    " display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name"
    " ELSE members.display_name END,"
    " xp_total = members.xp_total + excluded.xp_total"
)
_CREDIT_SAME_DAY = _sql(_UPSERT + " RETURNING xp_total", last=Date(), at=UTCDateTime())
_CREDIT_NEW_DAY = _sql(
    _UPSERT + ", streak_current = excluded.streak_current, streak_best = excluded.streak_best,"
    " last_active_day = excluded.last_active_day RETURNING xp_total",
    last=Date(),
    at=UTCDateTime(),
)
_REVIEW_SEEN = _sql(
    "UPDATE review_cards SET reps = reps + 1, last_seen_at = :at"
    " WHERE guild_id = :g AND user_id = :u AND item_id = :item",
    at=UTCDateTime(),
)
# Wrong answers come back for review the next day; the spacing model arrives in a later issue.
_REVIEW_MISSED = _sql(
    "INSERT INTO review_cards (guild_id, user_id, item_id, due_on, reps, lapses, last_seen_at)"
    " VALUES (:g, :u, :item, :due, 1, 1, :at)"
    " ON CONFLICT (guild_id, user_id, item_id) DO UPDATE SET due_on = excluded.due_on,"
    " lapses = review_cards.lapses + 1, reps = review_cards.reps + 1,"
    " last_seen_at = excluded.last_seen_at",
    due=Date(),
    at=UTCDateTime(),
)
_RUN = _sql(
    "SELECT r.id, r.guild_id, r.user_id, COALESCE(m.display_name, ''), r.kind, r.ref, r.plan,"
    " r.step, r.results FROM quiz_runs r LEFT JOIN members m"
    " ON m.guild_id = r.guild_id AND m.user_id = r.user_id WHERE r.id = :run"
)
# Compare-and-set: only the click on the question that is open moves the run on.
_ADVANCE_RUN = _sql(
    "UPDATE quiz_runs SET step = step + 1, results = results || :mark, updated_at = :at"
    " WHERE id = :run AND step = :step RETURNING id",
    at=UTCDateTime(),
)


_INSERT_CHALLENGE = _sql(
    "INSERT INTO daily_challenges (guild_id, day, item_id, seed, created_at)"
    " VALUES (:g, :day, :item, :seed, :at) ON CONFLICT (guild_id, day) DO NOTHING",
    day=Date(),
    at=UTCDateTime(),
)
_CHALLENGE_OF_DAY = _sql(
    "SELECT id, item_id, seed FROM daily_challenges WHERE guild_id = :g AND day = :day",
    day=Date(),
)
_ANSWER_COUNT = _sql("SELECT count(*) FROM challenge_answers WHERE challenge_id = :id")


def _run_state(row: Sequence[Any]) -> RunState:
    run_id, guild_id, user_id, name, kind, ref, plan, step, results = tuple(row)
    pairs = tuple((str(item), int(seed)) for item, seed in json.loads(plan))
    return RunState(
        int(run_id),
        int(guild_id),
        int(user_id),
        str(name),
        str(kind),
        str(ref),
        pairs,
        int(step),
        str(results),
    )


def _due_review(row: Sequence[Any]) -> DueReview:
    item_id, due_on, reps, lapses = tuple(row)
    return DueReview(str(item_id), due_on, int(reps), int(lapses))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _streak(row: Sequence[Any] | None) -> StreakRun:
    """The cached streak columns of a member row (none yet: the empty run)."""
    if row is None:
        return StreakRun()
    current, best, last = tuple(row)
    return StreakRun(int(current), int(best), last)


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.timed = TimedStore(db)  # schedules, deliveries, reminders

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

    def _touch_member(self, session: Session, who: MemberRef, at: datetime) -> None:
        """Make sure the member has a row (with their current name) before they own a run."""
        statement = self._insert(Member).values(
            guild_id=who.guild_id, user_id=who.user_id, display_name=who.display_name, created_at=at
        )
        if who.display_name:
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["guild_id", "user_id"],
                    set_={"display_name": who.display_name},
                )
            )
        else:
            session.execute(statement.on_conflict_do_nothing())

    @staticmethod
    def _ids(who: MemberRef) -> dict[str, int]:
        return {"g": who.guild_id, "u": who.user_id}

    @staticmethod
    def _member_where(who: MemberRef) -> Any:
        return and_(col(Member.guild_id) == who.guild_id, col(Member.user_id) == who.user_id)

    def _today(self, session: Session, who: MemberRef, at: datetime) -> date:
        """The member's date at `at`: their zone, else the server's, else UTC."""
        row = session.execute(_ZONES, self._ids(who)).one()
        return local_day(at, member_zone(_text(row[0]), _text(row[1])))

    def _credit(self, session: Session, who: MemberRef, xp: int, at: datetime) -> int:
        """Record the study day, add XP and move the streak cache; returns the XP total.

        The only place a member's caches change. A day earlier than the cached last day (after
        a time-zone change) rebuilds the streak from every stored day, so the cache always
        equals `streak_run(days)`.
        """
        ids = self._ids(who)
        day = self._today(session, who, at)
        new_day = session.execute(_INSERT_DAY, {**ids, "day": day, "at": at}).first() is not None
        params: dict[str, Any] = {**ids, "name": who.display_name, "xp": xp, "at": at}
        if not new_day:
            params.update(current=1, best=1, last=day)  # only used if the row is new
            return int(session.execute(_CREDIT_SAME_DAY, params).scalar_one())
        run = _streak(session.execute(_MEMBER_STREAK, ids).first())
        if run.last_day is not None and day < run.last_day:
            run = streak_run(session.execute(_DAYS, ids).scalars())
        else:
            run = run.extend(day)
        params.update(current=run.current, best=run.best, last=run.last_day)
        return int(session.execute(_CREDIT_NEW_DAY, params).scalar_one())

    def _award(
        self, session: Session, who: MemberRef, reason: str, ref: str, xp: int, at: datetime
    ) -> int:
        """The one way XP is awarded: an event once per (member, reason, ref); the amount
        actually awarded (0 when the event was recorded before)."""
        if xp <= 0:
            return 0
        event = {**self._ids(who), "reason": reason, "ref": ref, "amount": xp, "at": at}
        return xp if session.execute(_INSERT_XP, event).first() is not None else 0

    def _xp_total(self, session: Session, who: MemberRef) -> int:
        return int(session.execute(_MEMBER_XP, self._ids(who)).scalar() or 0)

    def _record_answer(
        self, session: Session, who: MemberRef, judged: Judged, at: datetime
    ) -> Recorded:
        """The hot path: attempt, XP, review card, day and member, all prepared SQL."""
        ids = self._ids(who)
        ref = f"{judged.item_id}:{judged.seed}"
        inserted = session.execute(
            _INSERT_ATTEMPT,
            {
                **ids,
                "ref": ref,
                "item": judged.item_id,
                "topic": judged.topic,
                "seed": judged.seed,
                "answer": judged.answer[:500],
                "correct": judged.correct,
                "at": at,
            },
        ).first()
        if inserted is None:
            return Recorded(new=False, xp_awarded=0, xp_total=self._xp_total(session, who))
        awarded = self._award(session, who, "quiz", ref, judged.xp, at)
        review = {**ids, "item": judged.item_id, "at": at}
        if judged.correct:
            session.execute(_REVIEW_SEEN, review)
        else:
            due = self._today(session, who, at) + timedelta(days=1)
            session.execute(_REVIEW_MISSED, {**review, "due": due})
        total = self._credit(session, who, awarded, at)
        return Recorded(new=True, xp_awarded=awarded, xp_total=total)

    # -- members and guilds --------------------------------------------------------------

    @staticmethod
    def _member_view(session: Session, who: MemberRef) -> MemberView:
        row = session.execute(
            select(Member, GuildSettings.timezone)
            .outerjoin(GuildSettings, col(GuildSettings.guild_id) == col(Member.guild_id))
            .where(col(Member.guild_id) == who.guild_id, col(Member.user_id) == who.user_id)
        ).first()
        if row is None:
            guild = session.get(GuildSettings, who.guild_id)
            return MemberView(
                who.guild_id,
                who.user_id,
                who.display_name,
                None,
                guild.timezone if guild else None,
                0,
                known=False,
            )
        member: Member = row[0]
        guild_zone_name = _text(row[1])
        return MemberView(
            member.guild_id,
            member.user_id,
            member.display_name or who.display_name,
            member.timezone,
            guild_zone_name,
            member.xp_total,
        )

    async def member(self, who: MemberRef) -> MemberView:
        return await self.db.read(lambda session: self._member_view(session, who))

    async def set_member_timezone(self, who: MemberRef, zone: str, at: datetime) -> None:
        def work(session: Session) -> None:
            session.execute(
                self._insert(Member)
                .values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    display_name=who.display_name,
                    timezone=zone,
                    created_at=at,
                )
                .on_conflict_do_update(
                    index_elements=["guild_id", "user_id"], set_={"timezone": zone}
                )
            )

        await self.db.write(work)

    async def guild_settings(self, guild_id: int) -> GuildSettings | None:
        return await self.db.read(lambda session: session.get(GuildSettings, guild_id))

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

    # -- lessons -------------------------------------------------------------------------

    @staticmethod
    def _lessons_done(session: Session, who: MemberRef) -> set[str]:
        rows = session.execute(
            select(LessonProgress.lesson_id).where(
                col(LessonProgress.guild_id) == who.guild_id,
                col(LessonProgress.user_id) == who.user_id,
            )
        )
        return set(rows.scalars())

    async def completed_lessons(self, who: MemberRef) -> set[str]:
        return await self.db.read(lambda session: self._lessons_done(session, who))

    async def complete_lesson(
        self, who: MemberRef, lesson_id: str, xp: int, at: datetime
    ) -> Recorded:
        def work(session: Session) -> Recorded:
            inserted = self._insert_ignore(
                session,
                self._insert(LessonProgress).values(
                    guild_id=who.guild_id, user_id=who.user_id, lesson_id=lesson_id, completed_at=at
                ),
                LessonProgress.id,
            )
            if inserted is None:
                return Recorded(new=False, xp_awarded=0, xp_total=self._xp_total(session, who))
            awarded = self._award(session, who, "lesson", lesson_id, xp, at)
            total = self._credit(session, who, awarded, at)
            return Recorded(new=True, xp_awarded=awarded, xp_total=total)

        return await self.db.write(work)

    # -- quiz runs -----------------------------------------------------------------------

    async def item_stats(self, who: MemberRef, item_ids: Sequence[str]) -> dict[str, bool]:
        """For each item the member has answered: whether any answer was right."""

        def work(session: Session) -> dict[str, bool]:
            rows = session.execute(
                select(
                    QuizAttempt.item_id,
                    func.max(case((col(QuizAttempt.correct), 1), else_=0)),
                )
                .where(
                    col(QuizAttempt.guild_id) == who.guild_id,
                    col(QuizAttempt.user_id) == who.user_id,
                    col(QuizAttempt.item_id).in_(list(item_ids)),
                )
                .group_by(col(QuizAttempt.item_id))
            )
            return {str(item_id): bool(best) for item_id, best in rows}

        return await self.db.read(work)

    async def start_run(
        self,
        who: MemberRef,
        kind: str,
        ref: str,
        plan: Sequence[tuple[str, int]],
        at: datetime,
    ) -> RunState:
        def work(session: Session) -> RunState:
            self._touch_member(session, who, at)
            run_id: int = session.execute(
                self._insert(QuizRun)
                .values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    kind=kind,
                    ref=ref,
                    plan=json.dumps([[item, seed] for item, seed in plan]),
                    step=0,
                    results="",
                    created_at=at,
                    updated_at=at,
                )
                .returning(col(QuizRun.id))
            ).scalar_one()
            return RunState(
                int(run_id),
                who.guild_id,
                who.user_id,
                who.display_name,
                kind,
                ref,
                tuple(plan),
                0,
                "",
            )

        return await self.db.write(work)

    async def run(self, run_id: int) -> RunState | None:
        def work(session: Session) -> RunState | None:
            row = session.execute(_RUN, {"run": run_id}).first()
            return _run_state(row) if row is not None else None

        return await self.db.read(work)

    async def answer_step(
        self, who: MemberRef, run_id: int, step: int, at: datetime, judge: JudgeStep
    ) -> StepOutcome:
        """Grade and record the answer to one step of a run, and move the run on: one
        transaction. `judge` (pure) grades the run's current question or raises to record
        nothing; a stale step, a finished run or someone else's run records nothing either."""

        def work(session: Session) -> StepOutcome:
            row = session.execute(_RUN, {"run": run_id}).first()
            if row is None:
                return StepOutcome("missing")
            run = _run_state(row)
            if (run.guild_id, run.user_id) != (who.guild_id, who.user_id):
                return StepOutcome("not_yours", run)
            if run.step != step or run.finished:
                return StepOutcome("closed", run)
            judged = judge(run)
            mark = "1" if judged.correct else "0"
            moved = session.execute(
                _ADVANCE_RUN, {"run": run_id, "step": step, "mark": mark, "at": at}
            ).first()
            if moved is None:  # another click on the same question won the race
                return StepOutcome("closed", run)
            recorded = self._record_answer(session, who, judged, at)
            after = RunState(
                run.id,
                run.guild_id,
                run.user_id,
                run.owner_name,
                run.kind,
                run.ref,
                run.plan,
                run.step + 1,
                run.results + mark,
            )
            return StepOutcome("ok", after, judged, recorded)

        return await self.db.write(work)

    # -- progress and leaderboards -------------------------------------------------------

    async def activity_days(self, who: MemberRef) -> list[date]:
        def work(session: Session) -> list[date]:
            return sorted(session.execute(_DAYS, self._ids(who)).scalars())

        return await self.db.read(work)

    async def profile(self, who: MemberRef) -> Profile:
        """Everything /profile and /streak show, in one read."""

        def work(session: Session) -> Profile:
            view = self._member_view(session, who)
            answered, right = session.execute(
                select(
                    func.count(col(QuizAttempt.id)),
                    func.coalesce(func.sum(case((col(QuizAttempt.correct), 1), else_=0)), 0),
                ).where(
                    col(QuizAttempt.guild_id) == who.guild_id,
                    col(QuizAttempt.user_id) == who.user_id,
                )
            ).one()
            days: tuple[date, ...] = tuple(sorted(session.execute(_DAYS, self._ids(who)).scalars()))
            return Profile(
                view=view,
                lessons_done=frozenset(self._lessons_done(session, who)),
                days=days,
                answered=int(str(answered)),
                correct=int(str(right)),
            )

        return await self.db.read(work)

    async def streak_cache(self, who: MemberRef) -> StreakRun:
        def work(session: Session) -> StreakRun:
            return _streak(session.execute(_MEMBER_STREAK, self._ids(who)).first())

        return await self.db.read(work)

    async def rebuild_stats(self, guild_id: int | None = None) -> int:
        """Recompute every member's XP total and streak cache from the stored facts (XP events
        and activity days); returns how many members were rebuilt."""

        def work(session: Session) -> int:
            query = select(Member.guild_id, Member.user_id)
            if guild_id is not None:
                query = query.where(col(Member.guild_id) == guild_id)
            members = session.execute(query).all()
            for g, u in members:
                ids = {"g": g, "u": u}
                run = streak_run(session.execute(_DAYS, ids).scalars())
                xp: int = session.execute(
                    select(func.coalesce(func.sum(col(XpEvent.amount)), 0)).where(
                        col(XpEvent.guild_id) == g, col(XpEvent.user_id) == u
                    )
                ).scalar_one()
                session.execute(
                    text(
                        "UPDATE members SET xp_total = :xp, streak_current = :current,"
                        " streak_best = :best, last_active_day = :last"
                        " WHERE guild_id = :g AND user_id = :u"
                    ).bindparams(bindparam("last", type_=Date())),
                    {
                        **ids,
                        "xp": int(xp),
                        "current": run.current,
                        "best": run.best,
                        "last": run.last_day,
                    },
                )
            return len(members)

        return await self.db.write(work)

    async def leaderboard(
        self, guild_id: int, since: datetime | None, limit: int
    ) -> list[Standing]:
        """Top members by XP earned since an instant (or ever), ties broken by user id."""

        def work(session: Session) -> list[Standing]:
            if since is None:
                rows = session.execute(
                    select(Member.user_id, Member.display_name, Member.xp_total)
                    .where(col(Member.guild_id) == guild_id, col(Member.xp_total) > 0)
                    .order_by(col(Member.xp_total).desc(), col(Member.user_id))
                    .limit(limit)
                ).all()
            else:
                earned = func.sum(col(XpEvent.amount)).label("earned")
                rows = session.execute(
                    select(XpEvent.user_id, Member.display_name, earned)
                    .join(
                        Member,
                        and_(
                            col(Member.guild_id) == col(XpEvent.guild_id),
                            col(Member.user_id) == col(XpEvent.user_id),
                        ),
                    )
                    .where(col(XpEvent.guild_id) == guild_id, col(XpEvent.at) >= since)
                    .group_by(col(XpEvent.user_id), col(Member.display_name))
                    .order_by(earned.desc(), col(XpEvent.user_id))
                    .limit(limit)
                ).all()
            return [
                Standing(int(str(u)), _text(name) or f"member {u}", int(str(xp)))
                for u, name, xp in rows
            ]

        return await self.db.read(work)

    async def rank_of(
        self, guild_id: int, user_id: int, since: datetime | None
    ) -> tuple[int, int, int] | None:
        """(rank, XP, members ranked) of one member in a period; None without XP in it. Ties
        are broken as the board breaks them (by user id)."""

        def work(session: Session) -> tuple[int, int, int] | None:
            if since is None:
                scores = session.execute(
                    select(Member.user_id, Member.xp_total).where(
                        col(Member.guild_id) == guild_id, col(Member.xp_total) > 0
                    )
                ).all()
            else:
                scores = session.execute(
                    select(XpEvent.user_id, func.sum(col(XpEvent.amount)))
                    .where(col(XpEvent.guild_id) == guild_id, col(XpEvent.at) >= since)
                    .group_by(col(XpEvent.user_id))
                ).all()
            table = {int(str(u)): int(str(xp)) for u, xp in scores if int(str(xp)) > 0}
            if user_id not in table:
                return None
            mine = table[user_id]
            ahead = sum(1 for u, xp in table.items() if xp > mine or (xp == mine and u < user_id))
            return ahead + 1, mine, len(table)

        return await self.db.read(work)

    # -- snippet runs --------------------------------------------------------------------

    async def runs_since(self, who: MemberRef, since: datetime) -> int:
        """How many runs the member started since an instant (for the rate limit)."""

        def work(session: Session) -> int:
            count: int = session.execute(
                select(func.count(col(Run.id))).where(
                    col(Run.guild_id) == who.guild_id,
                    col(Run.user_id) == who.user_id,
                    col(Run.started_at) >= since,
                )
            ).scalar_one()
            return int(count)

        return await self.db.read(work)

    async def record_run(
        self,
        who: MemberRef,
        code: str,
        code_sha256: str,
        status: str,
        exit_code: int | None,
        wall_ms: float,
        started_at: datetime,
    ) -> int:
        """The run's id; its code is kept for its owner's "Edit & run again"."""

        def work(session: Session) -> int:
            run_id: Any = session.execute(
                self._insert(Run)
                .values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    code=code,
                    code_sha256=code_sha256,
                    status=status,
                    exit_code=exit_code,
                    wall_ms=wall_ms,
                    started_at=started_at,
                )
                .returning(col(Run.id))
            ).scalar_one()
            return int(run_id)

        return await self.db.write(work)

    async def run_code(self, who: MemberRef, run_id: int) -> str | None:
        """The code of one of the member's own runs (nobody else's)."""

        def work(session: Session) -> str | None:
            code = session.execute(
                select(Run.code).where(
                    col(Run.id) == run_id,
                    col(Run.guild_id) == who.guild_id,
                    col(Run.user_id) == who.user_id,
                )
            ).scalar_one_or_none()
            return None if code is None else str(code)

        return await self.db.write(work)

    # -- exercises -----------------------------------------------------------------------

    async def record_exercise_attempt(
        self,
        who: MemberRef,
        exercise_id: str,
        code: str,
        run: tuple[str, int | None, float],
        cases: tuple[int, int],
        xp: int,
        at: datetime,
    ) -> Recorded:
        """One checked submission, in one transaction: the run (it counts for the rate limit),
        the attempt, the study day, and on the first solve the XP (`new` is True then).

        `run` is (status, exit code, wall ms), `cases` (passed, total); it passed when all did.
        """
        passed = cases[0] == cases[1]

        def work(session: Session) -> Recorded:
            run_id: Any = session.execute(
                self._insert(Run)
                .values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    code=code,
                    code_sha256=hashlib.sha256(code.encode()).hexdigest(),
                    status=run[0],
                    exit_code=run[1],
                    wall_ms=run[2],
                    started_at=at,
                )
                .returning(col(Run.id))
            ).scalar_one()
            session.execute(
                self._insert(ExerciseAttempt).values(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    exercise_id=exercise_id,
                    run_id=int(run_id),
                    code=code,
                    passed=passed,
                    cases_passed=cases[0],
                    cases_total=cases[1],
                    at=at,
                )
            )
            awarded = self._award(session, who, "exercise", exercise_id, xp, at) if passed else 0
            total = self._credit(session, who, awarded, at)
            return Recorded(new=awarded > 0, xp_awarded=awarded, xp_total=total)

        return await self.db.write(work)

    async def exercise_progress(self, who: MemberRef) -> dict[str, bool]:
        """For each exercise the member has submitted: whether it is solved."""

        def work(session: Session) -> dict[str, bool]:
            rows = session.execute(
                select(
                    ExerciseAttempt.exercise_id,
                    func.max(case((col(ExerciseAttempt.passed), 1), else_=0)),
                )
                .where(
                    col(ExerciseAttempt.guild_id) == who.guild_id,
                    col(ExerciseAttempt.user_id) == who.user_id,
                )
                .group_by(col(ExerciseAttempt.exercise_id))
            )
            return {str(exercise_id): bool(best) for exercise_id, best in rows}

        return await self.db.read(work)

    async def last_exercise_code(self, who: MemberRef, exercise_id: str) -> str | None:
        """The code of the member's latest submission to an exercise (to edit it)."""

        def work(session: Session) -> str | None:
            code = session.execute(
                select(ExerciseAttempt.code)
                .where(
                    col(ExerciseAttempt.guild_id) == who.guild_id,
                    col(ExerciseAttempt.user_id) == who.user_id,
                    col(ExerciseAttempt.exercise_id) == exercise_id,
                )
                .order_by(col(ExerciseAttempt.at).desc(), col(ExerciseAttempt.id).desc())
                .limit(1)
            ).scalar_one_or_none()
            return None if code is None else str(code)

        return await self.db.read(work)

    # -- reviews -------------------------------------------------------------------------

    async def due_reviews(self, who: MemberRef, at: datetime) -> list[DueReview]:
        """Items due by the member's today whose latest answer was wrong, longest waiting first."""

        def work(session: Session) -> list[DueReview]:
            today = self._today(session, who, at)
            cards = session.execute(
                select(
                    col(ReviewCard.item_id),
                    col(ReviewCard.due_on),
                    col(ReviewCard.reps),
                    col(ReviewCard.lapses),
                )
                .where(
                    col(ReviewCard.guild_id) == who.guild_id,
                    col(ReviewCard.user_id) == who.user_id,
                    col(ReviewCard.due_on) <= today,
                )
                .order_by(
                    col(ReviewCard.due_on), col(ReviewCard.last_seen_at), col(ReviewCard.item_id)
                )
            ).all()
            if not cards:
                return []
            latest = (
                select(func.max(col(QuizAttempt.id)))
                .where(
                    col(QuizAttempt.guild_id) == who.guild_id,
                    col(QuizAttempt.user_id) == who.user_id,
                    col(QuizAttempt.item_id).in_([card.item_id for card in cards]),
                )
                .group_by(col(QuizAttempt.item_id))
            )
            right: set[str] = set(
                session.execute(
                    select(QuizAttempt.item_id).where(
                        col(QuizAttempt.id).in_(latest), col(QuizAttempt.correct)
                    )
                ).scalars()
            )
            due = [_due_review(card) for card in cards]
            return [d for d in due if d.item_id not in right]

        return await self.db.read(work)

    # -- daily challenges ----------------------------------------------------------------

    def _challenge(
        self, session: Session, guild_id: int, day: date, pick: tuple[str, int], at: datetime
    ) -> Challenge:
        """The guild's challenge of the day, created by the first caller: insert, then read
        what won (ours or a concurrent caller's), in the same transaction."""
        item_id, seed = pick
        params = {"g": guild_id, "day": day, "item": item_id, "seed": seed, "at": at}
        session.execute(_INSERT_CHALLENGE, params)
        found = session.execute(_CHALLENGE_OF_DAY, params).one()
        return Challenge(int(found[0]), guild_id, day, str(found[1]), int(found[2]))

    async def daily_challenge(
        self, guild_id: int, day: date, pick: tuple[str, int], at: datetime
    ) -> tuple[Challenge, int]:
        """The guild's challenge of `day` (the first caller's pick is kept for good) and how
        many members have answered it."""

        def work(session: Session) -> tuple[Challenge, int]:
            challenge = self._challenge(session, guild_id, day, pick, at)
            count: int = session.execute(
                select(func.count(col(ChallengeAnswer.id))).where(
                    col(ChallengeAnswer.challenge_id) == challenge.id
                )
            ).scalar_one()
            return challenge, int(count)

        return await self.db.write(work)

    async def claim_challenge(
        self,
        schedule: ScheduleRow,
        key: str,
        day: date,
        pick: tuple[str, int],
        fire_at: datetime,
        at: datetime,
        lease: timedelta,
    ) -> ChallengePost:
        """Claim a day's challenge post and make everything it shows, in one transaction."""

        def work(session: Session) -> ChallengePost:
            claim = self.timed.claim_in(session, schedule, "challenge", key, fire_at, at, lease)
            if claim.status not in ("new", "stale"):
                return ChallengePost(claim)
            challenge = self._challenge(session, schedule.guild_id, day, pick, at)
            answered: Any = session.execute(_ANSWER_COUNT, {"id": challenge.id}).scalar_one()
            previous = self.timed.latest_posted_in(
                session, schedule.guild_id, "challenge", f"challenge:{day.isoformat()}"
            )
            return ChallengePost(claim, challenge, int(str(answered)), previous)

        try:
            return await self.db.write(work)
        except IntegrityError:
            return ChallengePost(Claim("busy"))

    async def challenge_results(self, challenge_id: int) -> tuple[int, int]:
        """How many members answered a challenge, and how many of them were right."""

        def work(session: Session) -> tuple[int, int]:
            answered, right = session.execute(
                select(
                    func.count(col(ChallengeAnswer.id)),
                    func.coalesce(func.sum(case((col(ChallengeAnswer.correct), 1), else_=0)), 0),
                ).where(col(ChallengeAnswer.challenge_id) == challenge_id)
            ).one()
            return int(str(answered)), int(str(right))

        return await self.db.read(work)

    async def answer_challenge(
        self,
        who: MemberRef,
        day: date,
        pick: tuple[str, int],
        at: datetime,
        judge: JudgeChallenge,
    ) -> tuple[Judged, Recorded]:
        """The member's one answer to the challenge of `day`: graded by `judge` (which may
        raise to record nothing) and recorded with its XP in one transaction. A second answer
        is not recorded (`new` is False)."""

        def work(session: Session) -> tuple[Judged, Recorded]:
            challenge = self._challenge(session, who.guild_id, day, pick, at)
            judged = judge(challenge)
            inserted = self._insert_ignore(
                session,
                self._insert(ChallengeAnswer).values(
                    challenge_id=challenge.id,
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    answer=judged.answer[:500],
                    correct=judged.correct,
                    at=at,
                ),
                ChallengeAnswer.id,
            )
            if inserted is None:
                total = self._xp_total(session, who)
                return judged, Recorded(new=False, xp_awarded=0, xp_total=total)
            awarded = self._award(session, who, "challenge", str(challenge.id), judged.xp, at)
            total = self._credit(session, who, awarded, at)
            return judged, Recorded(new=True, xp_awarded=awarded, xp_total=total)

        return await self.db.write(work)
