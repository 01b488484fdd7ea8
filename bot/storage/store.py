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

from sqlalchemy import Date, Insert, TextClause, bindparam, case, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, and_, col, select

from bot.domain.memory import DEFAULT_NEW_PER_DAY, MemoryCard
from bot.domain.progress import local_day, member_zone, start_of_day
from bot.domain.streaks import (
    ZONE_CHANGE_EVERY,
    StreakEvent,
    StreakState,
    skipped_dates,
    zone_change_allowed,
    zone_change_effective,
    zone_in_force,
)
from bot.domain.values import (
    Challenge,
    ChallengePost,
    Claim,
    DueCard,
    Judged,
    MemberRef,
    MemberView,
    Profile,
    Recorded,
    ReviewQueue,
    RunState,
    ScheduleRow,
    Standing,
    StepOutcome,
    StreakFacts,
    ZoneChange,
)
from bot.storage import engine
from bot.storage.db import Database, Sql, Tx
from bot.storage.models import (
    ChallengeAnswer,
    ExerciseAttempt,
    GuildSettings,
    LessonProgress,
    Member,
    QuizAttempt,
    QuizRun,
    Run,
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
# Result columns typed, so SQLite's text dates come back as dates.
_DAYS = text(
    "SELECT day FROM activity_days WHERE guild_id = :g AND user_id = :u AND counted"
).columns(day=Date())
_RUN = _sql(
    "SELECT r.id, r.guild_id, r.user_id, COALESCE(m.display_name, ''), r.kind, r.ref, r.plan,"
    " r.step, r.results FROM quiz_runs r LEFT JOIN members m"
    " ON m.guild_id = r.guild_id AND m.user_id = r.user_id WHERE r.id = :run"
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


# The same statements for the units on the driver's cursor (bot/storage/engine.py).
_RUN_Q = Sql(
    "SELECT r.id, r.guild_id, r.user_id, COALESCE(m.display_name, ''), r.kind, r.ref, r.plan,"
    " r.step, r.results FROM quiz_runs r LEFT JOIN members m"
    " ON m.guild_id = r.guild_id AND m.user_id = r.user_id WHERE r.id = :run"
)
_ADVANCE_Q = Sql(
    "UPDATE quiz_runs SET step = step + 1, results = results || :mark, updated_at = :at"
    " WHERE id = :run AND step = :step RETURNING id"
)
_ATTEMPT_Q = Sql(
    "INSERT INTO quiz_attempts (guild_id, user_id, attempt_ref, item_id, topic, seed, answer,"
    " correct, at) VALUES (:g, :u, :ref, :item, :topic, :seed, :answer, :correct, :at)"
    " ON CONFLICT (guild_id, user_id, attempt_ref) DO NOTHING RETURNING id"
)
_LESSON_DONE_Q = Sql(
    "INSERT INTO lesson_progress (guild_id, user_id, lesson_id, completed_at)"
    " VALUES (:g, :u, :lesson, :at) ON CONFLICT (guild_id, user_id, lesson_id) DO NOTHING"
    " RETURNING id"
)
_RECORD_RUN_Q = Sql(
    "INSERT INTO runs (guild_id, user_id, code_sha256, code, status, exit_code, wall_ms,"
    " started_at) VALUES (:g, :u, :sha, :code, :status, :exit, :wall, :at) RETURNING id"
)
_EXERCISE_ATTEMPT_Q = Sql(
    "INSERT INTO exercise_attempts (guild_id, user_id, exercise_id, run_id, code, passed,"
    " cases_passed, cases_total, at)"
    " VALUES (:g, :u, :exercise, :run, :code, :passed, :cases, :total, :at)"
)
_INSERT_CHALLENGE_Q = Sql(
    "INSERT INTO daily_challenges (guild_id, day, item_id, seed, created_at)"
    " VALUES (:g, :day, :item, :seed, :at) ON CONFLICT (guild_id, day) DO NOTHING"
)
_CHALLENGE_OF_DAY_Q = Sql(
    "SELECT id, item_id, seed FROM daily_challenges WHERE guild_id = :g AND day = :day"
)
_CHALLENGE_ANSWER_Q = Sql(
    "INSERT INTO challenge_answers (challenge_id, guild_id, user_id, answer, correct, at)"
    " VALUES (:challenge, :g, :u, :answer, :correct, :at)"
    " ON CONFLICT (challenge_id, user_id) DO NOTHING RETURNING id"
)


# Engine reads (bot/storage/engine.py writes).
_STREAK_ROW_Q = Sql(
    "SELECT timezone, zone_next, zone_next_at, streak_mode, streak_target, streak_current,"
    " streak_best, last_active_day, streak_start, streak_latest, week_days, freezes"
    " FROM members WHERE guild_id = :g AND user_id = :u"
)
_GUILD_ZONE_Q = Sql("SELECT timezone, rolling_day FROM guild_settings WHERE guild_id = :g")
_FORGIVEN_Q = Sql("SELECT day FROM streak_forgiven WHERE guild_id = :g AND user_id = :u")
_STREAK_EVENTS_Q = Sql(
    "SELECT kind, day, count FROM streak_events WHERE guild_id = :g AND user_id = :u"
    " ORDER BY day DESC, id DESC LIMIT 10"
)
_ANY_DAY_Q = Sql("SELECT 1 FROM activity_days WHERE guild_id = :g AND user_id = :u LIMIT 1")
_SET_ZONE_Q = Sql(
    "UPDATE members SET timezone = :zone, zone_next = NULL, zone_next_at = NULL"
    " WHERE guild_id = :g AND user_id = :u"
)
_PLAN_ZONE_Q = Sql(
    "UPDATE members SET timezone = :zone, zone_next = :next, zone_next_at = :next_at,"
    " zone_changed_at = :at WHERE guild_id = :g AND user_id = :u"
)
_FORGIVE_Q = Sql(
    "INSERT INTO streak_forgiven (guild_id, user_id, day) VALUES (:g, :u, :day)"
    " ON CONFLICT (guild_id, user_id, day) DO NOTHING"
)
_GUILDS_Q = Sql("SELECT DISTINCT guild_id FROM members ORDER BY guild_id")
_GUILD_MEMBERS_Q = Sql("SELECT user_id FROM members WHERE guild_id = :g ORDER BY user_id")
_BOARD_Q = Sql(
    "SELECT t.user_id, m.display_name, t.xp FROM xp_totals t LEFT JOIN members m"
    " ON m.guild_id = t.guild_id AND m.user_id = t.user_id"
    " WHERE t.guild_id = :g AND t.period = :period AND t.xp > 0"
    " ORDER BY t.xp DESC, t.reached_at, t.user_id LIMIT :limit"
)
_MY_TOTAL_Q = Sql(
    "SELECT xp, reached_at FROM xp_totals WHERE guild_id = :g AND period = :period AND user_id = :u"
)
# (members ahead, members ranked) in one statement. Ahead: two ranges of the board index
# (more XP; same XP, there first) rather than one OR the planners turn into a scan of the
# whole period. Ranked: every row of the period by the narrower unique index, less the rows
# without XP (none in practice: a range at the index's end).
_RANK_Q = Sql(
    "SELECT (SELECT count(*) FROM xp_totals WHERE guild_id = :g AND period = :period"
    " AND xp > :xp) + (SELECT count(*) FROM xp_totals WHERE guild_id = :g AND period = :period"
    " AND xp = :xp AND (reached_at < :reached OR (reached_at = :reached AND user_id < :u))),"
    " (SELECT count(*) FROM xp_totals WHERE guild_id = :g AND period = :period)"
    " - (SELECT count(*) FROM xp_totals WHERE guild_id = :g AND period = :period AND xp <= 0)"
)
_XP_DAYS_Q = Sql(
    "SELECT period, xp FROM xp_totals WHERE guild_id = :g AND user_id = :u"
    " AND period >= 'd:' AND period < 'd;'"
)
_DUE_Q = Sql(
    "SELECT item_id, reps FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND kind = 'quiz' AND due < :end ORDER BY due, item_id LIMIT :limit"
)
_DUE_COUNT_Q = Sql(
    "SELECT count(*) FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND kind = 'quiz' AND due < :end"
)
_NEXT_DUE_Q = Sql(
    "SELECT due FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND kind = 'quiz' AND due >= :end ORDER BY due LIMIT 1"
)
_DUE_EXERCISES_Q = Sql(
    "SELECT item_id FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND kind = 'exercise' AND due < :end ORDER BY due LIMIT 5"
)
_NEW_PER_DAY_Q = Sql("SELECT new_per_day FROM guild_settings WHERE guild_id = :g")
_INTRODUCED_Q = Sql(
    "SELECT count(*) FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND introduced_on = :day"
)
_LESSONS_DONE_Q = Sql("SELECT lesson_id FROM lesson_progress WHERE guild_id = :g AND user_id = :u")


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


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


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

    @staticmethod
    def _recorded(
        who: engine.Who, new: bool, awarded: int, total: int, due: datetime | None = None
    ) -> Recorded:
        return Recorded(
            new=new,
            xp_awarded=awarded,
            xp_total=total,
            streak=who.streak.current,
            events=tuple(who.events),
            next_due=due,
        )

    def _answer(
        self, tx: Tx, who: MemberRef, judged: Judged, source: str, at: datetime
    ) -> Recorded:
        """The hot path: attempt, XP and its totals, FSRS card and review log, study day and
        streak, member caches — prepared statements in the unit's savepoint."""
        member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
        ref = f"{judged.item_id}:{judged.seed}"
        inserted = tx.one(
            _ATTEMPT_Q,
            {
                **member.ids,
                "ref": ref,
                "item": judged.item_id,
                "topic": judged.topic,
                "seed": judged.seed,
                "answer": judged.answer[:500],
                "correct": judged.correct,
                "at": tx.instant(at),
            },
        )
        if inserted is None:
            return self._recorded(member, False, 0, member.xp_total)
        reason = "review" if source == "review" else "quiz"
        awarded = engine.award(tx, member, reason, ref, judged.xp, at)
        card = engine.remember(tx, member, judged.item_id, "quiz", source, judged.correct, at)
        engine.study(tx, member, at, answers=1)
        total = engine.save(tx, member, at)
        return self._recorded(member, True, awarded, total, card.due)

    # -- members and guilds --------------------------------------------------------------

    @staticmethod
    def _member_view(session: Session, who: MemberRef, at: datetime | None = None) -> MemberView:
        """The member as services see them; with `at`, the zone in force then (a requested
        change applies from its instant on)."""
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
        zone = member.timezone
        if at is not None:
            zone = zone_in_force(zone, member.zone_next, member.zone_next_at, at)
        return MemberView(
            member.guild_id,
            member.user_id,
            member.display_name or who.display_name,
            zone,
            guild_zone_name,
            member.xp_total,
        )

    async def member(self, who: MemberRef, at: datetime | None = None) -> MemberView:
        return await self.db.read(lambda session: self._member_view(session, who, at))

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
        def work(tx: Tx) -> Recorded:
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            params = {**member.ids, "lesson": lesson_id, "at": tx.instant(at)}
            if tx.one(_LESSON_DONE_Q, params) is None:
                return self._recorded(member, False, 0, member.xp_total)
            awarded = engine.award(tx, member, "lesson", lesson_id, xp, at)
            engine.study(tx, member, at, lessons=1)
            return self._recorded(member, True, awarded, engine.save(tx, member, at))

        return await self.db.unit(work)

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

        def work(tx: Tx) -> StepOutcome:
            row = tx.one(_RUN_Q, {"run": run_id})
            if row is None:
                return StepOutcome("missing")
            run = _run_state(row)
            if (run.guild_id, run.user_id) != (who.guild_id, who.user_id):
                return StepOutcome("not_yours", run)
            if run.step != step or run.finished:
                return StepOutcome("closed", run)
            judged = judge(run)
            mark = "1" if judged.correct else "0"
            moved = tx.one(
                _ADVANCE_Q, {"run": run_id, "step": step, "mark": mark, "at": tx.instant(at)}
            )
            if moved is None:  # another click on the same question won the race
                return StepOutcome("closed", run)
            source = "review" if run.kind == "review" else "quiz"
            recorded = self._answer(tx, who, judged, source, at)
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

        return await self.db.unit(work)

    # -- progress and leaderboards -------------------------------------------------------

    async def activity_days(self, who: MemberRef) -> list[date]:
        def work(session: Session) -> list[date]:
            return sorted(session.execute(_DAYS, self._ids(who)).scalars())

        return await self.db.read(work)

    async def profile(self, who: MemberRef, at: datetime | None = None) -> Profile:
        """Everything /profile and /streak show, in one read."""

        def work(session: Session) -> Profile:
            view = self._member_view(session, who, at)
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

    async def streak(self, who: MemberRef, at: datetime) -> StreakFacts:
        """The member's cached streak, their today, forgiven dates and latest streak events."""

        def work(tx: Tx) -> StreakFacts:
            row = tx.one(_STREAK_ROW_Q, {"g": who.guild_id, "u": who.user_id})
            guild = tx.one(_GUILD_ZONE_Q, {"g": who.guild_id})
            guild_zone = None if guild is None else guild[0]
            if row is None:
                today = local_day(at, member_zone(None, guild_zone))
                return StreakFacts(StreakState(), today, (), ())
            zone = zone_in_force(row[0], row[1], tx.read_instant(row[2]), at)
            state = StreakState(
                mode=row[3],
                target=int(row[4]),
                current=int(row[5]),
                best=int(row[6]),
                last=tx.read_day(row[7]),
                freezes=int(row[11]),
                start=tx.read_day(row[8]),
                latest=tx.read_day(row[9]),
                week_days=int(row[10]),
            )
            ids = {"g": who.guild_id, "u": who.user_id}
            forgiven = tuple(d for (raw,) in tx.all(_FORGIVEN_Q, ids) if (d := tx.read_day(raw)))
            events = tuple(
                StreakEvent(kind, day, int(count))
                for kind, raw, count in tx.all(_STREAK_EVENTS_Q, ids)
                if (day := tx.read_day(raw)) is not None
            )
            today = local_day(at, member_zone(zone, guild_zone))
            return StreakFacts(state, today, forgiven, events)

        return await self.db.read_tx(work)

    async def set_streak_mode(
        self, who: MemberRef, mode: str, target: int, at: datetime
    ) -> StreakState:
        """Switch daily/weekly mode: the streak is folded again from every counted day under
        the new rule (exactly what rebuild-stats would give)."""

        def work(tx: Tx) -> StreakState:
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            member.streak = StreakState(mode=mode, target=target)  # type: ignore[arg-type]
            engine.rebuilt(tx, member)
            engine.save(tx, member, at)
            return member.streak

        return await self.db.unit(work)

    async def change_timezone(self, who: MemberRef, zone: str, at: datetime) -> ZoneChange:
        """A member's zone change by the rules: immediate before they have studied; else
        once per 7 days, from the next local midnight, dates it skips forgiven."""

        def work(tx: Tx) -> ZoneChange:
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            current = member.zone_name(at)
            pending = member.zone_next_at is not None and at < member.zone_next_at
            if pending and zone == member.zone_next:
                return ZoneChange("pending", member.zone_next_at)
            if zone == current:
                return ZoneChange("same")
            ids = member.ids
            if tx.one(_ANY_DAY_Q, ids) is None:
                tx.send(_SET_ZONE_Q, {**ids, "zone": zone})
                return ZoneChange("set")
            if not zone_change_allowed(at, member.zone_changed_at):
                assert member.zone_changed_at is not None
                return ZoneChange("too_soon", member.zone_changed_at + ZONE_CHANGE_EVERY)
            old, new = member.zone_at(at), member_zone(zone, member.guild_zone)
            effective = zone_change_effective(at, old, new)
            tx.send(
                _PLAN_ZONE_Q,
                {
                    **ids,
                    "zone": current,
                    "next": zone,
                    "next_at": tx.instant(effective),
                    "at": tx.instant(at),
                },
            )
            skipped = skipped_dates(effective, old, new)
            tx.many(_FORGIVE_Q, [{**ids, "day": tx.day(day)} for day in skipped])
            return ZoneChange("scheduled", effective, tuple(skipped))

        return await self.db.unit(work)

    async def rebuild_stats(self, at: datetime, guild_id: int | None = None) -> int:
        """Recompute every cache from the stored facts: streaks, freezes and streak events
        from the counted days and forgiven dates; XP totals and period totals from the XP
        events. Returns how many members were rebuilt."""

        def work(tx: Tx) -> int:
            guilds = [
                int(g) for (g,) in tx.all(_GUILDS_Q) if guild_id is None or int(g) == guild_id
            ]
            members = 0
            for g in guilds:
                for (u,) in tx.all(_GUILD_MEMBERS_Q, {"g": g}):
                    member = engine.member(tx, g, int(u), "", at)
                    mode, target = member.streak.mode, member.streak.target
                    member.streak = StreakState(mode=mode, target=target)
                    engine.rebuilt(tx, member)
                    engine.save(tx, member, at)
                    members += 1
                engine.rebuild_totals(tx, g, at)
            return members

        return await self.db.unit(work)

    async def leaderboard(
        self, guild_id: int, period: str, at: datetime, limit: int
    ) -> list[Standing]:
        """Top members of a period (week, month, rolling, all) by XP; equal totals rank by
        who reached theirs first. One index range of the maintained totals."""
        key = await self._period_key(guild_id, period, at)

        def work(tx: Tx) -> list[Standing]:
            rows = tx.all(_BOARD_Q, {"g": guild_id, "period": key, "limit": limit})
            return [Standing(int(u), _text(name) or f"member {u}", int(xp)) for u, name, xp in rows]

        return await self.db.read_tx(work)

    async def rank_of(
        self, guild_id: int, user_id: int, period: str, at: datetime
    ) -> tuple[int, int, int] | None:
        """(rank, XP, members ranked) of one member in a period; None without XP in it."""
        key = await self._period_key(guild_id, period, at)

        def work(tx: Tx) -> tuple[int, int, int] | None:
            params: dict[str, Any] = {"g": guild_id, "period": key, "u": user_id}
            mine = tx.one(_MY_TOTAL_Q, params)
            if mine is None or int(mine[0]) <= 0:
                return None
            params.update(xp=int(mine[0]), reached=mine[1])
            ahead, ranked = tx.one(_RANK_Q, params)
            return int(ahead) + 1, int(mine[0]), int(ranked)

        return await self.db.read_tx(work)

    async def _period_key(self, guild_id: int, period: str, at: datetime) -> str:
        """The totals row a period reads; the rolling window is moved to today first (once a
        day per server, a write)."""

        def work(tx: Tx) -> tuple[str, date, date | None]:
            guild = tx.one(_GUILD_ZONE_Q, {"g": guild_id})
            zone = member_zone(None, None if guild is None else guild[0])
            today = local_day(at, zone)
            rolled = None if guild is None else tx.read_day(guild[1])
            if period == "all":
                return "all", today, rolled
            if period == "rolling":
                return "r", today, rolled
            week, month, _day = engine.period_keys(today)
            if period == "week":
                return week, today, rolled
            if period == "month":
                return month, today, rolled
            raise ValueError(f"unknown period {period!r}")

        key, today, rolled = await self.db.read_tx(work)
        if key == "r" and (rolled is None or today > rolled):  # the window never moves back
            await self.db.unit(lambda tx: engine.roll(tx, guild_id, today, rolled, at))
        return key

    async def xp_by_day(self, who: MemberRef) -> list[tuple[date, int]]:
        """The member's XP per server date, oldest first (for /profile's picture)."""

        def work(tx: Tx) -> list[tuple[date, int]]:
            rows = tx.all(_XP_DAYS_Q, {"g": who.guild_id, "u": who.user_id})
            return sorted((date.fromisoformat(str(p)[2:]), int(xp)) for p, xp in rows)

        return await self.db.read_tx(work)

    # -- reviews -------------------------------------------------------------------------

    async def review_queue(
        self,
        who: MemberRef,
        at: datetime,
        limit: int,
        candidates: Callable[[set[str]], Sequence[str]],
        new_per_day: int | None = None,
    ) -> ReviewQueue:
        """The member's review session: due cards most overdue first, then new cards from
        the lessons they finished (`candidates` turns finished lesson ids into items, in
        order) up to the server's daily allowance; new cards are created here. One unit."""

        def work(tx: Tx) -> ReviewQueue:
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            ids = member.ids
            zone = member.zone_at(at)
            today = local_day(at, zone)
            end = tx.instant(start_of_day(today + timedelta(days=1), zone))
            due = [
                DueCard(str(item), int(reps))
                for item, reps in tx.all(_DUE_Q, {**ids, "end": end, "limit": limit})
            ]
            due_today = int(tx.one(_DUE_COUNT_Q, {**ids, "end": end})[0])
            allowance = new_per_day
            if allowance is None:
                row = tx.one(_NEW_PER_DAY_Q, {"g": who.guild_id})
                allowance = DEFAULT_NEW_PER_DAY if row is None else int(row[0])
            introduced = int(tx.one(_INTRODUCED_Q, {**ids, "day": tx.day(today)})[0])
            left = max(0, allowance - introduced)
            room = max(0, limit - len(due))
            fresh: list[str] = []
            if left and room:
                lessons = {str(x) for (x,) in tx.all(_LESSONS_DONE_Q, ids)}
                wanted = list(dict.fromkeys(candidates(lessons)))
                have = engine.carded(tx, member, wanted)
                fresh = [item for item in wanted if item not in have][: min(left, room)]
                engine.introduce(tx, member, fresh, today, at)
            upcoming = tx.one(_NEXT_DUE_Q, {**ids, "end": end})
            exercises = [
                str(x)[len("exercise:") :] for (x,) in tx.all(_DUE_EXERCISES_Q, {**ids, "end": end})
            ]
            return ReviewQueue(
                due=tuple(due),
                new=tuple(fresh),
                due_today=due_today,
                new_left=left - len(fresh),
                next_due=None if upcoming is None else tx.read_instant(upcoming[0]),
                exercises=tuple(exercises),
                zone=zone.key,
            )

        return await self.db.unit(work)

    async def memory_cards(self, who: MemberRef) -> list[tuple[str, MemoryCard]]:
        """Every card of the member (for the console's and tests' look at intervals)."""

        def work(tx: Tx) -> list[tuple[str, MemoryCard]]:
            return engine.all_cards(tx, {"g": who.guild_id, "u": who.user_id})

        return await self.db.read_tx(work)

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

        def work(tx: Tx) -> Recorded:
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            instant = tx.instant(at)
            run_id = tx.one(
                _RECORD_RUN_Q,
                {
                    **member.ids,
                    "code": code,
                    "sha": hashlib.sha256(code.encode()).hexdigest(),
                    "status": run[0],
                    "exit": run[1],
                    "wall": run[2],
                    "at": instant,
                },
            )[0]
            tx.send(
                _EXERCISE_ATTEMPT_Q,
                {
                    **member.ids,
                    "exercise": exercise_id,
                    "run": int(run_id),
                    "code": code,
                    "passed": passed,
                    "cases": cases[0],
                    "total": cases[1],
                    "at": instant,
                },
            )
            awarded = engine.award(tx, member, "exercise", exercise_id, xp, at) if passed else 0
            engine.remember(
                tx, member, f"exercise:{exercise_id}", "exercise", "exercise", passed, at
            )
            engine.study(tx, member, at, exercises=1 if passed else 0)
            total = engine.save(tx, member, at)
            return self._recorded(member, awarded > 0, awarded, total)

        return await self.db.unit(work)

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

        def work(tx: Tx) -> tuple[Judged, Recorded]:
            item_id, seed = pick
            params = {"g": who.guild_id, "day": tx.day(day), "item": item_id, "seed": seed}
            tx.send(_INSERT_CHALLENGE_Q, {**params, "at": tx.instant(at)})
            found = tx.one(_CHALLENGE_OF_DAY_Q, params)
            challenge = Challenge(int(found[0]), who.guild_id, day, str(found[1]), int(found[2]))
            judged = judge(challenge)
            member = engine.member(tx, who.guild_id, who.user_id, who.display_name, at)
            inserted = tx.one(
                _CHALLENGE_ANSWER_Q,
                {
                    **member.ids,
                    "challenge": challenge.id,
                    "answer": judged.answer[:500],
                    "correct": judged.correct,
                    "at": tx.instant(at),
                },
            )
            if inserted is None:
                return judged, self._recorded(member, False, 0, member.xp_total)
            awarded = engine.award(tx, member, "challenge", str(challenge.id), judged.xp, at)
            engine.remember(tx, member, judged.item_id, "quiz", "daily", judged.correct, at)
            engine.study(tx, member, at, dailies=1)
            return judged, self._recorded(member, True, awarded, engine.save(tx, member, at))

        return await self.db.unit(work)
