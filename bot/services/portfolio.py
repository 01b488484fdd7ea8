"""The portfolio board: members submit projects, review each other's on the roadmap's four
criteria, mark the reviews that helped them, and a weekly post shows the best-reviewed new work.

Every use case here is one call, whatever the transport: a modal or a console prompt ends in
`save` or `review`, a button or `/portfolio helpful` in `helpful`. Member text is checked and
cleaned by `bot.domain.portfolio` before anything is stored; a refusal is a `UserError` of one
sentence and saves nothing. Links are shown as written and never fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from bot.cards import Action, Card, CardField, Style, Tone, UserError, escape_markdown
from bot.domain.portfolio import (
    COMMENT_MAX,
    CRITERIA,
    FIELDS,
    PROJECTS_MAX,
    SHOWCASE_SIZE,
    SHOWCASE_WINDOW,
    TEXT_MAX,
    XP_HELPFUL_REVIEW,
    XP_REASON,
    Board,
    Criterion,
    PortfolioError,
    Project,
    Review,
    check_project,
    check_review,
)
from bot.domain.values import MemberRef
from bot.intents import Intent
from bot.services.context import Context
from bot.storage.portfolio import PortfolioStore

OWN = "You cannot review your own project."
AGAIN = "You have already reviewed this project."
GONE = "That project no longer exists."
NOT_YOURS = "That is not one of your projects; /portfolio show lists yours."
NOT_AUTHOR = "Only the project's author can mark its reviews helpful."
SNIPPET = 300  # characters of a project's problem on a board or the showcase
MEDALS = ("🥇", "🥈", "🥉")
HELPFUL_BUTTONS = 5


class EditProject(Intent):
    """Open the project form of `owner`: a new project (`project` 0) or one of theirs."""

    owner: int = Field(ge=0)
    project: int = Field(ge=0)


class RateProject(Intent):
    """Open the review form of a project that /portfolio review gave to `owner`."""

    owner: int = Field(ge=0)
    project: int = Field(ge=1)


class ReviewProject(Intent):
    """Review a project seen on a board or the showcase: whoever presses reviews it."""

    project: int = Field(ge=1)


class MarkHelpful(Intent):
    """The author (`owner`) marks a review of their project helpful; its reviewer is paid."""

    owner: int = Field(ge=0)
    review: int = Field(ge=1)


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    hint: str
    limit: int
    multiline: bool
    value: str = ""


@dataclass(frozen=True)
class ProjectForm:
    """The project form, transport-neutral: a Discord modal, or console prompts."""

    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class ReviewForm:
    project_id: int
    project_title: str
    criteria: tuple[Criterion, ...] = CRITERIA
    comment_limit: int = COMMENT_MAX


@dataclass(frozen=True)
class Reviewed:
    """A saved review: the reviewer's private confirmation and the notice for the author,
    with its Helpful button (posted in the channel on Discord)."""

    card: Card
    notice: Card


LABELS = {
    "title": "Title",
    "problem": "The real problem it solves",
    "data": "Data",
    "link": "Link to the code (http or https)",
    "evaluation": "How it was evaluated; what it fails on",
}
HINTS = {
    "title": "A short name for the project",
    "problem": "The real problem it solves, and for whom",
    "data": "Where the data comes from and how it was prepared",
    "link": "https://… (the code, shown as a link, never fetched)",
    "evaluation": "How it was evaluated, and what it fails on",
}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _name(member_id: int, name: str) -> tuple[int, str]:
    return member_id, name or f"member {member_id}"


def project_fields(project: Project, limit: int = TEXT_MAX) -> tuple[CardField, ...]:
    """A project's text as card fields: member text escaped, the link as an autolink."""
    return (
        CardField("Problem", escape_markdown(_cut(project.problem, limit))),
        CardField("Data", escape_markdown(_cut(project.data, limit))),
        CardField("Code", f"<{project.link}>"),
        CardField("Evaluation and failure modes", escape_markdown(_cut(project.evaluation, limit))),
    )


def _board_line(board: Board, snippet: int = SNIPPET) -> str:
    project = board.project
    return (
        f"{escape_markdown(_cut(project.problem, snippet))}\n🔗 <{project.link}>\n"
        f"*{board.summary.text()}*"
    )


def _marks(review: Review) -> str:
    return " · ".join(
        f"{criterion.name} {score}/4"
        for criterion, score in zip(CRITERIA, review.scores.values(), strict=True)
    )


class PortfolioService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = PortfolioStore(ctx.store.db)

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    # -- projects ------------------------------------------------------------------------

    async def project_form(self, who: MemberRef, project_id: int = 0) -> ProjectForm:
        """The form for a new project (refused at the cap, before anything is typed) or for
        one of the member's own, filled with what they wrote."""
        values: dict[str, str] = {}
        if project_id == 0:
            if await self.store.count_of(who) >= PROJECTS_MAX:
                raise UserError(self._limit_text())
            title = "New portfolio project"
        else:
            project = await self.store.project(who.guild_id, project_id)
            if project is None or project.user_id != who.user_id:
                raise UserError(NOT_YOURS)
            values, title = project.fields(), f"Edit: {project.title}"
        fields = tuple(
            FormField(
                key,
                LABELS[key],
                HINTS[key],
                limit,
                multiline=key not in ("title", "link"),
                value=values.get(key, ""),
            )
            for key, _label, limit in FIELDS
        )
        return ProjectForm(title, fields)

    @staticmethod
    def _limit_text() -> str:
        return (
            f"You have {PROJECTS_MAX} projects, the most a portfolio holds here; "
            "change one with /portfolio edit."
        )

    async def save(self, who: MemberRef, project_id: int, fields: Mapping[str, str]) -> Card:
        """Submit a new project (`project_id` 0) or change one of the member's own."""
        try:
            draft = check_project(fields)
        except PortfolioError as error:
            raise UserError(str(error)) from None
        saved = await self.store.save(who, project_id or None, draft, PROJECTS_MAX, self._now())
        if saved.status == "limit":
            raise UserError(self._limit_text())
        if saved.status == "duplicate":
            raise UserError(
                f"You already have a project called “{draft.title}”; change it with "
                "/portfolio edit."
            )
        if saved.status == "missing" or saved.project is None:
            raise UserError(NOT_YOURS)
        project = saved.project
        verb = "updated" if project_id else "added to your portfolio"
        return Card(
            title=f"✅ {project.title}",
            body=(
                f"Project #{project.id} {verb} ({saved.count} of {PROJECTS_MAX}). Other members "
                "get it to review with /portfolio review; /portfolio show shows your board."
            ),
            fields=project_fields(project),
            tone=Tone.SUCCESS,
            ephemeral=True,
        )

    async def own_project(self, who: MemberRef, wanted: str) -> int:
        """One of the member's projects by id (`12`, `#12`) or title, for /portfolio edit."""
        boards = await self.store.boards_of(who.guild_id, who.user_id)
        text = wanted.strip().removeprefix("#")
        for board in boards:
            project = board.project
            if str(project.id) == text or project.title.casefold() == text.casefold():
                return project.id
        raise UserError(NOT_YOURS)

    async def own_titles(self, who: MemberRef) -> list[tuple[int, str]]:
        """(id, title) of the member's projects, for autocomplete."""
        boards = await self.store.boards_of(who.guild_id, who.user_id)
        return [(b.project.id, b.project.title) for b in boards]

    async def show(self, viewer: MemberRef, member: MemberRef) -> list[Card]:
        """A member's board: each project with its review summary. Others get a Review button
        per project; the author gets Edit buttons and the latest reviews, with Helpful on
        those not marked yet."""
        boards = await self.store.boards_of(member.guild_id, member.user_id)
        own = viewer.user_id == member.user_id
        name = next((b.project.author_name for b in boards if b.project.author_name), "")
        name = name or member.display_name or f"member {member.user_id}"
        fields = tuple(
            CardField(f"#{b.project.id} · {b.project.title}", _board_line(b)) for b in boards
        )
        if own:
            actions = tuple(
                Action(
                    EditProject(owner=viewer.user_id, project=b.project.id),
                    f"✏️ Edit #{b.project.id}",
                )
                for b in boards
            )
        else:
            actions = tuple(
                Action(ReviewProject(project=b.project.id), f"📝 Review #{b.project.id}")
                for b in boards
            )
        empty = "No projects yet." + (" Add one with /portfolio submit." if own else "")
        board = Card(
            title=f"🗂️ {name}'s portfolio",
            body="" if boards else empty,
            fields=fields,
            footer=f"{len(boards)} of {PROJECTS_MAX} projects · scores are means of 1–4",
            actions=actions,
            names=(_name(member.user_id, name),),
        )
        if not own or not boards:
            return [board]
        reviews = await self.store.reviews_for(member.guild_id, member.user_id)
        if not reviews:
            return [board]
        lines = []
        for review in reviews:
            mark = " · 👍 helpful" if review.helpful else ""
            lines.append(
                f"**#{review.project_id} {escape_markdown(review.project_title)}** — "
                f"<@{review.reviewer_id}>: {_marks(review)}{mark}\n"
                f"> {escape_markdown(_cut(review.comment, 200)).replace(chr(10), ' ')}"
            )
        unmarked = [r for r in reviews if not r.helpful][:HELPFUL_BUTTONS]
        helpful = tuple(
            Action(
                MarkHelpful(owner=viewer.user_id, review=r.id),
                f"👍 {r.reviewer_name or 'review'} on #{r.project_id}",
                Style.SUCCESS,
            )
            for r in unmarked
        )
        names = tuple(dict(_name(r.reviewer_id, r.reviewer_name) for r in reviews).items())
        return [
            board,
            Card(
                title="💬 Reviews of your projects",
                body="\n".join(lines),
                footer=f"Marking a review helpful gives its reviewer {XP_HELPFUL_REVIEW} XP",
                actions=helpful,
                names=names,
            ),
        ]

    async def member_named(self, guild_id: int, name: str) -> MemberRef:
        """A member by display name, for the console's `/portfolio show NAME`."""
        found = await self.store.member_named(guild_id, name)
        if found is None:
            raise UserError(f"There is no member called {name.strip()} here.")
        return found

    # -- reviews -------------------------------------------------------------------------

    async def assign(self, who: MemberRef) -> Card:
        """Someone else's project to review: the least-reviewed one the member has not
        reviewed, with the button that opens the review form."""
        project = await self.store.next_for_review(who)
        if project is None:
            return Card(
                title="Nothing to review right now",
                body="You have reviewed every other member's project. Come back when someone "
                "submits a new one.",
                ephemeral=True,
            )
        return Card(
            title=f"📝 Review: {project.title}",
            body=(
                f"A project by <@{project.user_id}>. Read it, open the code, then rate it 1–4 "
                "on each criterion with a comment that would help them improve it."
            ),
            fields=(
                *project_fields(project),
                CardField(
                    "The criteria",
                    "\n".join(f"**{c.name}** — {c.question}" for c in CRITERIA),
                ),
            ),
            actions=(
                Action(
                    RateProject(owner=who.user_id, project=project.id), "📝 Rate it", Style.PRIMARY
                ),
            ),
            ephemeral=True,
            names=(_name(project.user_id, project.author_name),),
        )

    async def review_form(self, who: MemberRef, project_id: int) -> ReviewForm:
        """The review form for a project the member may review: refused for their own, one
        they reviewed, or one that is gone, before anything is typed."""
        project = await self.store.project(who.guild_id, project_id)
        if project is None:
            raise UserError(GONE)
        if project.user_id == who.user_id:
            raise UserError(OWN)
        if await self.store.reviewed_by(who, project_id):
            raise UserError(AGAIN)
        return ReviewForm(project.id, project.title)

    async def review(
        self, who: MemberRef, project_id: int, marks: Mapping[str, str | int], comment: str
    ) -> Reviewed:
        """The member's one review of someone else's project: four scores and a comment."""
        try:
            scores, text = check_review(marks, comment)
        except PortfolioError as error:
            raise UserError(str(error)) from None
        done = await self.store.add_review(who, project_id, scores, text, self._now())
        if done.status == "missing":
            raise UserError(GONE)
        if done.status == "own":
            raise UserError(OWN)
        if done.status == "again":
            raise UserError(AGAIN)
        review, project = done.review, done.project
        assert review is not None and project is not None
        names = (_name(who.user_id, who.display_name), _name(project.user_id, project.author_name))
        card = Card(
            title=f"✅ Review saved: {project.title}",
            body=(
                f"Thank you. <@{project.user_id}> can mark it helpful, which gives you "
                f"{XP_HELPFUL_REVIEW} XP. /portfolio review gives you another project."
            ),
            tone=Tone.SUCCESS,
            ephemeral=True,
            names=names,
        )
        notice = Card(
            title=f"📝 New review: {project.title}",
            body=f"<@{who.user_id}> reviewed <@{project.user_id}>'s project #{project.id}.",
            fields=(
                *(
                    CardField(c.name, f"{score}/4", inline=True)
                    for c, score in zip(CRITERIA, scores.values(), strict=True)
                ),
                CardField("Comment", escape_markdown(text)),
            ),
            footer=f"Only the author can mark it helpful ({XP_HELPFUL_REVIEW} XP for the reviewer)",
            actions=(
                Action(
                    MarkHelpful(owner=project.user_id, review=review.id),
                    "👍 Helpful",
                    Style.SUCCESS,
                ),
            ),
            names=names,
        )
        return Reviewed(card, notice)

    async def helpful(self, who: MemberRef, review_id: int) -> Card:
        """The author marks a review helpful: its reviewer gets XP, once."""
        marked = await self.store.mark_helpful(
            who, review_id, XP_HELPFUL_REVIEW, XP_REASON, self._now()
        )
        if marked.status == "missing" or marked.review is None:
            raise UserError("That review no longer exists.")
        if marked.status == "not_yours":
            raise UserError(NOT_AUTHOR)
        if marked.status == "again":
            raise UserError("You have already marked this review helpful.")
        review = marked.review
        return Card(
            title="👍 Marked helpful",
            body=(
                f"<@{review.reviewer_id}> gets +{marked.awarded} XP for their review of "
                f"{escape_markdown(review.project_title)}."
            ),
            tone=Tone.SUCCESS,
            ephemeral=True,
            names=(_name(review.reviewer_id, review.reviewer_name),),
        )

    # -- the weekly showcase -------------------------------------------------------------

    async def showcase(self, guild_id: int, key: str, now: datetime) -> Card | None:
        """The showcase post `key` made at `now`: the best-reviewed projects submitted in the
        window before it that no showcase featured yet; None when there is none to show."""
        boards = await self.store.showcase(guild_id, key, now - SHOWCASE_WINDOW, SHOWCASE_SIZE)
        if not boards:
            return None
        fields = tuple(
            CardField(
                f"{MEDALS[rank]} {b.project.title}",
                f"by <@{b.project.user_id}>\n{_board_line(b, 200)}",
            )
            for rank, b in enumerate(boards)
        )
        week = key.split(":", 1)[1]
        return Card(
            title=f"🏆 Portfolio showcase · {week}",
            body=(
                "The best-reviewed projects submitted in the last two weeks. Read them, review "
                "one with its button, and add yours with /portfolio submit."
            ),
            fields=fields,
            actions=tuple(
                Action(ReviewProject(project=b.project.id), f"📝 Review: {b.project.title}")
                for b in boards
            ),
            tone=Tone.BOARD,
            names=tuple(_name(b.project.user_id, b.project.author_name) for b in boards),
        )
