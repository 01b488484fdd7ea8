"""`/portfolio` in the terminal: the Discord forms as questions answered one line at a time.

`/portfolio submit` and `/portfolio edit ID` ask the five project fields in turn (Enter keeps a
field when editing); `/portfolio review` shows the project it gives you and asks the four scores
and a comment; `/portfolio review ID S1 S2 S3 S4 COMMENT` does it in one line, for scripts. Each
answer is checked as it is typed by the same domain rules the service applies, so a bad line is
asked again instead of losing the form; the finished form is one service call, as in Discord.
`/cancel` abandons a form, saving nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.cards import Card, UserError
from bot.domain.portfolio import (
    CRITERIA,
    PortfolioError,
    check_comment,
    check_field,
    parse_score,
)
from bot.domain.values import MemberRef
from bot.services import Services
from bot.services.portfolio import PortfolioService, RateProject

USAGE = (
    "Use /portfolio submit, /portfolio edit ID, /portfolio review [ID], /portfolio show [NAME] "
    "or /portfolio helpful REVIEW-ID."
)
Cards = tuple[Card, ...]


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    current: str = ""  # editing: what Enter keeps


@dataclass
class Form:
    """A project or review form being answered: what is asked, what was answered."""

    kind: str  # project | review
    project: int
    questions: tuple[Question, ...]
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def asking(self) -> Question:
        return self.questions[len(self.answers)]


class PortfolioConsole:
    def __init__(
        self,
        services: Services,
        who: MemberRef,
        say: Callable[[str], None],
        show: Callable[[Card], None],
    ) -> None:
        self.services = services
        self.who = who
        self.say = say  # prints a line of the form (questions, what was wrong)
        self.show = show  # prints a card before the form's first question
        self.form: Form | None = None

    @property
    def portfolio(self) -> PortfolioService:
        return self.services.portfolio

    async def command(self, args: list[str], raw: str) -> Cards | None:
        """`/portfolio SUBCOMMAND …`: one service call, or the start of a form."""
        sub, rest = (args[0].lower(), args[1:]) if args else ("", [])
        if sub == "submit":
            await self._project_form(0)
            return None
        if sub == "edit":
            if not rest:
                raise UserError("Name the project: /portfolio edit ID (see /portfolio show).")
            await self._project_form(await self.portfolio.own_project(self.who, rest[0]))
            return None
        if sub == "review":
            return await self._review(rest, raw)
        if sub == "show":
            whose = self.who
            if rest:
                whose = await self.portfolio.member_named(self.who.guild_id, " ".join(rest))
            return tuple(await self.portfolio.show(self.who, whose))
        if sub == "helpful":
            if not rest or not rest[0].removeprefix("#").isdigit():
                raise UserError("Name the review: /portfolio helpful REVIEW-ID.")
            return (await self.portfolio.helpful(self.who, int(rest[0].removeprefix("#"))),)
        raise UserError(USAGE)

    async def _project_form(self, project_id: int) -> None:
        form = await self.portfolio.project_form(self.who, project_id)
        questions = tuple(
            Question(f.key, f"{f.label} (up to {f.limit:,} characters): {f.hint}", f.value)
            for f in form.fields
        )
        self._start(Form("project", project_id, questions), form.title)

    async def _review(self, args: list[str], raw: str) -> Cards | None:
        if not args:
            card = await self.portfolio.assign(self.who)
            given = [a.intent for a in card.actions if isinstance(a.intent, RateProject)]
            if not given:
                return (card,)
            self.show(card)  # the project, then its questions
            await self._review_form(given[0].project)
            return None
        if not args[0].removeprefix("#").isdigit():
            raise UserError("Name the project by its number: /portfolio review ID.")
        project = int(args[0].removeprefix("#"))
        if len(args) == 1:
            await self._review_form(project)
            return None
        words = raw.split(maxsplit=6)  # review ID S1 S2 S3 S4 COMMENT…
        if len(words) < 7:
            raise UserError("Give four scores and a comment: /portfolio review ID 3 4 2 3 Why….")
        marks = {c.key: words[2 + i] for i, c in enumerate(CRITERIA)}
        reviewed = await self.portfolio.review(self.who, project, marks, words[6])
        return (reviewed.card, reviewed.notice)

    async def _review_form(self, project_id: int) -> None:
        form = await self.portfolio.review_form(self.who, project_id)
        questions = tuple(
            Question(
                c.key,
                f"{c.name}: {c.question}\n"
                + "\n".join(f"  {n} — {level}" for n, level in enumerate(c.levels, 1))
                + "\nScore (1–4):",
            )
            for c in form.criteria
        )
        comment = Question(
            "comment", f"Comment (up to {form.comment_limit:,} characters): what works, what next?"
        )
        self._start(
            Form("review", project_id, (*questions, comment)), f"Review: {form.project_title}"
        )

    def _start(self, form: Form, title: str) -> None:
        self.form = form
        self.say(f"{title} — answer each question on one line; /cancel stops.")
        self._ask()

    def _ask(self) -> None:
        assert self.form is not None
        question = self.form.asking
        if question.current:
            self.say(f"Now: {question.current}")
            self.say(f"{question.text} (Enter keeps it)")
        else:
            self.say(question.text)

    def cancel(self) -> None:
        self.form = None
        self.say("Form closed; nothing was saved.")

    async def answer(self, line: str) -> Cards | None:
        """One line for the open form: checked, then the next question or, after the last,
        the one service call that saves it (whose refusal closes the form)."""
        form = self.form
        assert form is not None
        question = form.asking
        text = line if line.strip() or not question.current else question.current
        try:
            if form.kind == "project":
                check_field(question.key, text)
            elif question.key == "comment":
                check_comment(text)
            else:
                parse_score(text)
        except PortfolioError as error:
            self.say(f"{error} Try again, or /cancel.")
            self._ask()
            return None
        form.answers[question.key] = text
        if len(form.answers) < len(form.questions):
            self._ask()
            return None
        self.form = None
        if form.kind == "project":
            return (await self.portfolio.save(self.who, form.project, form.answers),)
        reviewed = await self.portfolio.review(
            self.who, form.project, form.answers, form.answers["comment"]
        )
        return (reviewed.card, reviewed.notice)
