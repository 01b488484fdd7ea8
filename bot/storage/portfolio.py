"""The portfolio board's tables and queries: projects, their peer reviews, and helpful marks.

Kept apart from `store.py` so the feature is one room. Each public method is one unit of work
in one transaction, like `Store`'s. The rules that must hold under concurrency live in the
database: one review per (project, reviewer) is a unique constraint, a review is marked helpful
by a compare-and-set, and its XP is an `xp_events` row that a repeat cannot insert twice. A
member's submissions are serialised by touching their member row first (PostgreSQL locks it for
the transaction; SQLite has one writer), so the per-member cap holds under double submits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint, func
from sqlalchemy import select as select_columns  # more columns than sqlmodel's select types
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, and_, col, exists, select, update

from bot.domain.portfolio import (
    Board,
    Project,
    ProjectDraft,
    Review,
    Scores,
    Summary,
    showcase_order,
)
from bot.domain.values import MemberRef
from bot.storage import engine
from bot.storage.db import Database, Tx
from bot.storage.models import Member  # models first: it sets the naming convention
from bot.storage.types import UTCDateTime


def _id(**kw: Any) -> Any:
    """A Discord id column: 64-bit."""
    return Field(sa_type=BigInteger, **kw)


def _instant(nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable)


class PortfolioProject(SQLModel, table=True):
    """A member's project as they last wrote it (the text is cleaned before it is stored)."""

    __tablename__ = "portfolio_projects"
    __table_args__ = (
        Index("ix_portfolio_project_member", "guild_id", "user_id"),
        Index("ix_portfolio_project_created", "guild_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guild_id: int = _id()
    user_id: int = _id()
    title: str = Field(max_length=100)
    problem: str = Field(max_length=1000)
    data: str = Field(max_length=1000)
    link: str = Field(max_length=300)
    evaluation: str = Field(max_length=1000)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()
    # The showcase post (its delivery key) that featured it: each project is featured once.
    showcased_in: str | None = Field(default=None, max_length=32)


class PortfolioReview(SQLModel, table=True):
    """One member's review of one project: a fact, written once. `helpful_at` is when the
    author marked it helpful (which paid the reviewer)."""

    __tablename__ = "portfolio_reviews"
    __table_args__ = (
        UniqueConstraint("project_id", "reviewer_id", name="uq_portfolio_review"),
        Index("ix_portfolio_review_reviewer", "guild_id", "reviewer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("portfolio_projects.id"), nullable=False)
    )
    guild_id: int = _id()
    reviewer_id: int = _id()
    problem: int
    end_to_end: int
    evaluation: int
    code: int
    comment: str = Field(max_length=1000)
    helpful_at: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()


@dataclass(frozen=True)
class Saved:
    """What saving a project did. `status`: `ok`, or why nothing was saved: `limit` (the
    member has `count` projects), `duplicate` (another of theirs has that title), `missing`
    (no such project of theirs to edit)."""

    status: str
    project: Project | None = None
    count: int = 0


@dataclass(frozen=True)
class Reviewed:
    """What recording a review did. `status`: `ok`, or `missing`, `own` (the reviewer's own
    project) or `again` (they reviewed it before)."""

    status: str
    project: Project | None = None
    review: Review | None = None


@dataclass(frozen=True)
class Marked:
    """What marking a review helpful did. `status`: `ok`, or `missing`, `not_yours` (only the
    project's author may), or `again` (marked before: nothing paid)."""

    status: str
    review: Review | None = None
    awarded: int = 0
    reviewer_total: int = 0


P, R = PortfolioProject, PortfolioReview


def _member_join(user_column: Any, guild_column: Any) -> Any:
    return and_(col(Member.guild_id) == guild_column, col(Member.user_id) == user_column)


def _project(row: PortfolioProject, name: Any) -> Project:
    assert row.id is not None
    return Project(
        id=row.id,
        guild_id=row.guild_id,
        user_id=row.user_id,
        author_name=str(name or ""),
        title=row.title,
        problem=row.problem,
        data=row.data,
        link=row.link,
        evaluation=row.evaluation,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _scores(row: PortfolioReview) -> Scores:
    return Scores(row.problem, row.end_to_end, row.evaluation, row.code)


class PortfolioStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- helpers -------------------------------------------------------------------------

    def _insert(self, model: type[SQLModel]) -> Any:
        table = model.__table__  # type: ignore[attr-defined]
        return sqlite.insert(table) if self.db.sqlite else postgresql.insert(table)

    def _touch(self, session: Session, who: MemberRef, at: datetime) -> None:
        """The member's row with their current name (shown on the board); the update also
        locks the row on PostgreSQL, which serialises one member's writes."""
        statement = self._insert(Member).values(
            guild_id=who.guild_id, user_id=who.user_id, display_name=who.display_name, created_at=at
        )
        # Without a name (a scheduled job, say) the stored one stays; the no-op still locks.
        name = statement.excluded.display_name if who.display_name else col(Member.display_name)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["guild_id", "user_id"], set_={"display_name": name}
            )
        )

    @staticmethod
    def _projects(session: Session, *where: Any) -> list[Project]:
        rows = session.execute(
            select(P, Member.display_name)
            .outerjoin(Member, _member_join(col(P.user_id), col(P.guild_id)))
            .where(*where)
            .order_by(col(P.created_at), col(P.id))
        ).all()
        return [_project(row[0], row[1]) for row in rows]

    @staticmethod
    def _summaries(session: Session, project_ids: Sequence[int]) -> dict[int, Summary]:
        if not project_ids:
            return {}
        rows = session.execute(
            select_columns(
                col(R.project_id),
                func.count(col(R.id)),
                func.avg(col(R.problem)),
                func.avg(col(R.end_to_end)),
                func.avg(col(R.evaluation)),
                func.avg(col(R.code)),
            )
            .where(col(R.project_id).in_(list(project_ids)))
            .group_by(col(R.project_id))
        ).all()
        found = {
            int(row[0]): Summary(int(row[1]), tuple(float(mean) for mean in row[2:]))
            for row in rows
        }
        return {pid: found.get(pid, Summary(0)) for pid in project_ids}

    @staticmethod
    def _reviews(session: Session, *where: Any, limit: int = 50) -> list[Review]:
        rows = session.execute(
            select(R, P.title, P.user_id, Member.display_name)
            .join(P, col(P.id) == col(R.project_id))
            .outerjoin(Member, _member_join(col(R.reviewer_id), col(R.guild_id)))
            .where(*where)
            .order_by(col(R.created_at).desc(), col(R.id).desc())
            .limit(limit)
        ).all()
        return [
            Review(
                id=int(row[0].id),
                project_id=row[0].project_id,
                project_title=str(row[1]),
                author_id=int(row[2]),
                reviewer_id=row[0].reviewer_id,
                reviewer_name=str(row[3] or ""),
                scores=_scores(row[0]),
                comment=row[0].comment,
                helpful=row[0].helpful_at is not None,
                created_at=row[0].created_at,
            )
            for row in rows
        ]

    # -- projects ------------------------------------------------------------------------

    async def project(self, guild_id: int, project_id: int) -> Project | None:
        def work(session: Session) -> Project | None:
            found = self._projects(session, col(P.id) == project_id, col(P.guild_id) == guild_id)
            return found[0] if found else None

        return await self.db.read(work)

    async def count_of(self, who: MemberRef) -> int:
        def work(session: Session) -> int:
            count: int = session.execute(
                select(func.count(col(P.id))).where(
                    col(P.guild_id) == who.guild_id, col(P.user_id) == who.user_id
                )
            ).scalar_one()
            return int(count)

        return await self.db.read(work)

    async def save(
        self, who: MemberRef, project_id: int | None, draft: ProjectDraft, limit: int, at: datetime
    ) -> Saved:
        """A new project (`project_id` None), within the member's cap, or a change to one of
        theirs; titles are unique per member whatever their letter case."""

        def work(session: Session) -> Saved:
            self._touch(session, who, at)
            mine: Any = session.execute(
                select(P).where(col(P.guild_id) == who.guild_id, col(P.user_id) == who.user_id)
            ).scalars()
            own = {row.id: row for row in mine}
            wanted = draft.title.casefold()
            if any(r.title.casefold() == wanted and pid != project_id for pid, r in own.items()):
                return Saved("duplicate", count=len(own))
            if project_id is None:
                if len(own) >= limit:
                    return Saved("limit", count=len(own))
                row = P(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    **vars(draft),
                    created_at=at,
                    updated_at=at,
                )
                count = len(own) + 1
            else:
                found = own.get(project_id)
                if found is None:
                    return Saved("missing", count=len(own))
                row = found
                for name, value in vars(draft).items():
                    setattr(row, name, value)
                row.updated_at = at
                count = len(own)
            session.add(row)
            session.flush()
            return Saved("ok", _project(row, who.display_name), count)

        return await self.db.write(work)

    async def boards_of(self, guild_id: int, user_id: int) -> list[Board]:
        """A member's projects, oldest first, each with its review summary."""

        def work(session: Session) -> list[Board]:
            projects = self._projects(
                session, col(P.guild_id) == guild_id, col(P.user_id) == user_id
            )
            summaries = self._summaries(session, [p.id for p in projects])
            return [Board(p, summaries[p.id]) for p in projects]

        return await self.db.read(work)

    async def reviews_for(self, guild_id: int, author_id: int, limit: int = 10) -> list[Review]:
        """Reviews of an author's projects, newest first."""
        return await self.db.read(
            lambda session: self._reviews(
                session, col(R.guild_id) == guild_id, col(P.user_id) == author_id, limit=limit
            )
        )

    async def member_named(self, guild_id: int, name: str) -> MemberRef | None:
        """A member of the server by display name (any letter case), for the console."""

        def work(session: Session) -> MemberRef | None:
            row = session.execute(
                select(Member.user_id, Member.display_name)
                .where(
                    col(Member.guild_id) == guild_id,
                    func.lower(col(Member.display_name)) == name.strip().lower(),
                )
                .order_by(col(Member.user_id))
                .limit(1)
            ).first()
            return None if row is None else MemberRef(guild_id, int(row[0]), str(row[1]))

        return await self.db.read(work)

    # -- reviews -------------------------------------------------------------------------

    async def next_for_review(self, who: MemberRef) -> Project | None:
        """Someone else's project the member has not reviewed: the least-reviewed first, then
        the oldest, so every project gets its first reviews before any gets many."""

        def work(session: Session) -> Project | None:
            counted = (
                select(func.count(col(R.id)))
                .where(col(R.project_id) == col(P.id))
                .correlate(P)
                .scalar_subquery()
            )
            reviewed = exists().where(
                col(R.project_id) == col(P.id), col(R.reviewer_id) == who.user_id
            )
            chosen = session.execute(
                select(P.id)
                .where(col(P.guild_id) == who.guild_id, col(P.user_id) != who.user_id, ~reviewed)
                .order_by(counted, col(P.created_at), col(P.id))
                .limit(1)
            ).scalar_one_or_none()
            if chosen is None:
                return None
            return self._projects(session, col(P.id) == chosen)[0]

        return await self.db.read(work)

    async def reviewed_by(self, who: MemberRef, project_id: int) -> bool:
        def work(session: Session) -> bool:
            found = session.execute(
                select(R.id).where(
                    col(R.project_id) == project_id,
                    col(R.guild_id) == who.guild_id,
                    col(R.reviewer_id) == who.user_id,
                )
            ).first()
            return found is not None

        return await self.db.read(work)

    async def add_review(
        self, who: MemberRef, project_id: int, scores: Scores, comment: str, at: datetime
    ) -> Reviewed:
        """The member's one review of someone else's project."""

        def work(session: Session) -> Reviewed:
            found = self._projects(
                session, col(P.id) == project_id, col(P.guild_id) == who.guild_id
            )
            if not found:
                return Reviewed("missing")
            project = found[0]
            if project.user_id == who.user_id:
                return Reviewed("own", project)
            self._touch(session, who, at)
            inserted = session.execute(
                self._insert(R)
                .values(
                    project_id=project_id,
                    guild_id=who.guild_id,
                    reviewer_id=who.user_id,
                    problem=scores.problem,
                    end_to_end=scores.end_to_end,
                    evaluation=scores.evaluation,
                    code=scores.code,
                    comment=comment,
                    created_at=at,
                )
                .on_conflict_do_nothing()
                .returning(col(R.id))
            ).scalar_one_or_none()
            if inserted is None:
                return Reviewed("again", project)
            [review] = self._reviews(session, col(R.id) == int(inserted))
            return Reviewed("ok", project, review)

        return await self.db.write(work)

    async def mark_helpful(
        self, who: MemberRef, review_id: int, xp: int, reason: str, at: datetime
    ) -> Marked:
        """The author marks a review of their project helpful: the first mark pays the
        reviewer `xp` as the XP event (reviewer, `reason`, review id), so it is paid once
        however often or concurrently the button is pressed."""

        def work(tx: Tx) -> Marked:
            session = tx.session()
            found = self._reviews(session, col(R.id) == review_id, col(R.guild_id) == who.guild_id)
            if not found:
                return Marked("missing")
            review = found[0]
            if review.author_id != who.user_id:
                return Marked("not_yours", review)
            moved = session.execute(
                update(R)
                .where(col(R.id) == review_id, col(R.helpful_at).is_(None))
                .values(helpful_at=at)
                .returning(col(R.id))
            ).scalar_one_or_none()
            if moved is None:
                return Marked("again", review)
            # The engine's one way of paying XP (event, period totals, member total). No study
            # day is recorded: the reviewer did nothing at this instant, the author did.
            reviewer = engine.member(tx, who.guild_id, review.reviewer_id, "", at)
            awarded = engine.award(tx, reviewer, reason, str(review_id), xp, at)
            return Marked("ok", review, awarded, engine.save(tx, reviewer, at))

        return await self.db.unit(work)

    # -- the showcase --------------------------------------------------------------------

    async def showcase(self, guild_id: int, key: str, since: datetime, limit: int) -> list[Board]:
        """The best-reviewed projects submitted since `since` and not featured before, marked
        as featured by the showcase `key`. A second call with the same key (a lapsed claim
        taken over) returns the same projects."""

        def work(session: Session) -> list[Board]:
            already = self._projects(
                session, col(P.guild_id) == guild_id, col(P.showcased_in) == key
            )
            if already:
                summaries = self._summaries(session, [p.id for p in already])
                return showcase_order([Board(p, summaries[p.id]) for p in already])
            candidates = self._projects(
                session,
                col(P.guild_id) == guild_id,
                col(P.created_at) >= since,
                col(P.showcased_in).is_(None),
            )
            summaries = self._summaries(session, [p.id for p in candidates])
            chosen = showcase_order([Board(p, summaries[p.id]) for p in candidates])[:limit]
            if chosen:
                session.execute(
                    update(P)
                    .where(col(P.id).in_([b.project.id for b in chosen]))
                    .values(showcased_in=key)
                )
            return chosen

        return await self.db.write(work)
