"""Reads for moderators' statistics: a server's activity, lesson funnel and every answer given.

Plain SELECTs over the fact tables, nothing written; each public method is one unit of work on
one thread hop (`Database.read`). Answers come from quiz attempts (quizzes and reviews) and daily
challenge answers alike, in the order they were given, so the analysis can take each member's
first attempt at a question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, Integer, bindparam, text
from sqlmodel import Session

from bot.domain.progress import local_day, member_zone
from bot.storage.db import Database


@dataclass(frozen=True)
class AnswerLog:
    """Every answer given in a server, oldest first, as columns: who, to which item, right or
    not. Columns, not an object an answer: a big server has hundreds of thousands of answers,
    and building an object for each cost more than the query."""

    user_ids: tuple[int, ...] = ()
    item_ids: tuple[str, ...] = ()
    correct: tuple[bool, ...] = ()

    def __len__(self) -> int:
        return len(self.user_ids)


@dataclass(frozen=True)
class GuildFacts:
    """What the statistics of one server are computed from, read in one transaction."""

    zone: str  # the server's zone (UTC when none is set): its days are the ones counted
    today: date  # in that zone
    members: int  # member rows: everyone who has studied here
    active_days: dict[date, int]  # members who studied on each (member-local) recent day
    active_members: int  # distinct members with a study day in that window
    lessons_finished: dict[str, int]  # lesson id -> members who marked it done
    answers: AnswerLog = field(default_factory=AnswerLog)

    @property
    def empty(self) -> bool:
        return not (self.members or self.active_days or self.lessons_finished or len(self.answers))


@dataclass(frozen=True)
class WrongAnswer:
    item_id: str
    answer: str  # as the member gave it: untrusted text
    count: int
    seed: int | None  # one seed it was given under (generated items: which question)


_ZONE = text("SELECT timezone FROM guild_settings WHERE guild_id = :g")
_MEMBERS = text("SELECT count(*) FROM members WHERE guild_id = :g")
_ACTIVE = (
    text(
        "SELECT day, count(*) FROM activity_days"
        " WHERE guild_id = :g AND day >= :since AND day <= :until GROUP BY day"
    )
    .bindparams(bindparam("since", type_=Date()), bindparam("until", type_=Date()))
    .columns(day=Date(), count=Integer())
)
_ACTIVE_MEMBERS = text(
    "SELECT count(DISTINCT user_id) FROM activity_days"
    " WHERE guild_id = :g AND day >= :since AND day <= :until"
).bindparams(bindparam("since", type_=Date()), bindparam("until", type_=Date()))
_FINISHED = text(
    "SELECT lesson_id, count(*) FROM lesson_progress WHERE guild_id = :g GROUP BY lesson_id"
)
# Quiz attempts and challenge answers as one stream, oldest first (`at`, then which table, then
# the row id: a stable order on both backends).
_ANSWERS = text(
    "SELECT user_id, item_id, correct FROM ("
    " SELECT user_id, item_id, seed, correct, at, 0 AS source, id FROM quiz_attempts"
    " WHERE guild_id = :g"
    " UNION ALL"
    " SELECT a.user_id, c.item_id, c.seed, a.correct, a.at, 1 AS source, a.id"
    " FROM challenge_answers a JOIN daily_challenges c ON c.id = a.challenge_id"
    " WHERE a.guild_id = :g"
    ") answers ORDER BY at, source, id"
).columns(correct=Boolean())
_WRONG = (
    text(
        "SELECT item_id, answer, count(*), min(seed) FROM ("
        " SELECT item_id, answer, seed FROM quiz_attempts"
        " WHERE guild_id = :g AND correct = :no AND item_id IN :items"
        " UNION ALL"
        " SELECT c.item_id, a.answer, c.seed FROM challenge_answers a"
        " JOIN daily_challenges c ON c.id = a.challenge_id"
        " WHERE a.guild_id = :g AND a.correct = :no AND c.item_id IN :items"
        ") wrong GROUP BY item_id, answer"
    )
    .bindparams(bindparam("no", type_=Boolean()), bindparam("items", expanding=True))
    .columns(count=Integer())
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _rows(session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """Result rows as plain tuples of what the driver gave (typed columns already applied)."""
    return [tuple(row) for row in session.execute(statement, params)]


class Analytics:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def guild_facts(self, guild_id: int, now: datetime, days: int = 30) -> GuildFacts:
        """The last `days` days of activity (the server's days, today included), lesson
        completions, member count and every answer given in the server."""

        def work(session: Session) -> GuildFacts:
            ids = {"g": guild_id}
            zone = member_zone(None, _text(session.execute(_ZONE, ids).scalar()))
            today = local_day(now, zone)
            window = {**ids, "since": today - timedelta(days=days - 1), "until": today}
            members = int(session.execute(_MEMBERS, ids).scalar() or 0)
            active: dict[date, int] = {
                day: int(count) for day, count in _rows(session, _ACTIVE, window)
            }
            active_members = int(session.execute(_ACTIVE_MEMBERS, window).scalar() or 0)
            finished = {str(lesson): int(count) for lesson, count in _rows(session, _FINISHED, ids)}
            rows = session.execute(_ANSWERS, ids).all()
            users, items, right = zip(*rows, strict=True) if rows else ((), (), ())
            given = AnswerLog(tuple(users), tuple(items), tuple(right))
            return GuildFacts(
                zone=zone.key,
                today=today,
                members=members,
                active_days=active,
                active_members=active_members,
                lessons_finished=finished,
                answers=given,
            )

        return await self.db.read(work)

    async def wrong_answers(
        self, guild_id: int, item_ids: Sequence[str], per_item: int = 5
    ) -> dict[str, list[WrongAnswer]]:
        """The most common wrong answers to each item (all attempts, not only first ones:
        a misconception shows however often it is made), most common first."""
        if not item_ids:
            return {}

        def work(session: Session) -> dict[str, list[WrongAnswer]]:
            rows = _rows(
                session, _WRONG, {"g": guild_id, "no": False, "items": sorted(set(item_ids))}
            )
            found: dict[str, list[WrongAnswer]] = {}
            for item, answer, count, seed in rows:
                found.setdefault(str(item), []).append(
                    WrongAnswer(
                        str(item), str(answer), int(count), None if seed is None else int(seed)
                    )
                )
            return {
                item: sorted(wrong, key=lambda w: (-w.count, w.answer))[:per_item]
                for item, wrong in found.items()
            }

        return await self.db.read(work)
