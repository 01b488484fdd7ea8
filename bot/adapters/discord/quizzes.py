"""/quiz: a run of questions, one at a time, answered by button or in a modal.

No quiz session is kept in memory: each button id carries the question (item and seed, as
QuizService names it) and where the member is in the run (`QuizRun`: what is quizzed, the
question number, how many, the score so far). Answering builds the next question's buttons
with the run moved on, so a run survives restarts and any number of members quiz at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.interact import (
    RoutedButton,
    member_ref,
    send_cards,
    services_of,
    text_modal,
)
from bot.adapters.discord.render import CUSTOM_ID_MAX
from bot.cards import Action, Card
from bot.domain.quiz import Kind

DEFAULT_COUNT = 5
CHOICES_MAX = 25
# `:<kind><ref>:<index>:<count>:<score>`, after the question's own id.
RUN = r"(?::(?P<kind>[tlsr])(?P<ref>[^:]*):(?P<index>\d+):(?P<count>\d+):(?P<score>\d+))?"
ANSWER = r"quiz:answer:(?P<item>[^:]+):(?P<seed>\d+):(?P<n>\d+)" + RUN
OPEN = r"quiz:open:(?P<item>[^:]+):(?P<seed>\d+)" + RUN
MODAL = r"quiz:modal:(?P<item>[^:]+):(?P<seed>\d+)" + RUN
KIND_LABELS = {
    Kind.NUMERIC: "Your answer (a number)",
    Kind.OUTPUT: "What does it print?",
    Kind.TEXT: "Your answer (a word or short phrase)",
}


@dataclass(frozen=True)
class QuizRun:
    """Where a member is in a run of questions; it lives in the buttons, not in the bot.

    kind: `t` a topic (ref), `l` a lesson's questions (ref), `s` what the member has studied,
    `r` their due reviews (count 0: as many as are due).
    """

    kind: str
    ref: str = ""
    index: int = 1
    count: int = DEFAULT_COUNT
    score: int = 0

    @property
    def suffix(self) -> str:
        return f":{self.kind}{self.ref}:{self.index}:{self.count}:{self.score}"

    @classmethod
    def from_match(cls, match: re.Match[str]) -> QuizRun | None:
        if not match["kind"]:
            return None
        return cls(
            match["kind"],
            match["ref"],
            int(match["index"]),
            int(match["count"]),
            int(match["score"]),
        )

    def after(self, correct: bool) -> QuizRun:
        return replace(self, index=self.index + 1, score=self.score + int(correct))

    @property
    def last(self) -> bool:
        return self.kind != "r" and self.index >= self.count


def with_run(card: Card, run: QuizRun) -> Card:
    """The question's answer buttons, carrying the run. A question whose ids would pass
    Discord's 100 characters keeps its plain ids: it is answered, and the run ends there."""
    actions = []
    for action in card.actions:
        runs = action.id.startswith(("quiz:answer:", "quiz:open:"))
        # The modal id is one character longer than the open button's.
        if runs and len(action.id) + len(run.suffix) < CUSTOM_ID_MAX:
            action = Action(action.id + run.suffix, action.label, action.style)
        actions.append(action)
    title = card.title if run.kind == "r" else f"{card.title} · {run.index}/{run.count}"
    return replace(card, title=title, actions=tuple(actions))


async def question_for(interaction: discord.Interaction[Any], run: QuizRun) -> Card:
    """The next question of a run: a new one from the run's pool, or the next due review."""
    services = services_of(interaction)
    who = member_ref(interaction)
    if run.kind == "r":
        card = await services.reviews.card(who)
        return with_run(card, run) if card.actions else card
    asked = await services.quizzes.ask(
        who,
        topic=run.ref if run.kind == "t" else None,
        lesson_id=run.ref if run.kind == "l" else None,
    )
    return with_run(asked.card, run)


async def start_run(interaction: discord.Interaction[Any], run: QuizRun) -> None:
    await send_cards(interaction, await question_for(interaction, run))


async def answer(interaction: discord.Interaction[Any], match: re.Match[str], given: str) -> None:
    """Grade, then show the feedback with the next question (or the summary) in one message."""
    services = services_of(interaction)
    who = member_ref(interaction)
    answered = await services.quizzes.grade_and_record(
        who, match["item"], int(match["seed"]), given
    )
    run = QuizRun.from_match(match)
    if run is None:
        await send_cards(interaction, answered.card)
        return
    feedback = replace(answered.card, actions=())
    moved = run.after(answered.correct)
    if run.last:
        summary = services.quizzes.summary_card(moved.score, run.count)
        await send_cards(interaction, feedback, summary)
        return
    following = await question_for(interaction, moved)
    if run.kind == "r" and not following.actions:
        following = services.quizzes.summary_card(moved.score, run.index, "review")
    await send_cards(interaction, feedback, following)


class Quizzes(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="quiz", description="A few questions, one at a time")
    @app_commands.describe(
        topic="A quiz topic; leave empty for what you have studied",
        count="How many questions (1-10)",
    )
    async def quiz(
        self,
        interaction: discord.Interaction[StudyBot],
        topic: str | None = None,
        count: app_commands.Range[int, 1, 10] = DEFAULT_COUNT,
    ) -> None:
        wanted = topic.strip().lower() if topic else ""
        run = QuizRun(kind="t" if wanted else "s", ref=wanted, index=1, count=count)
        await start_run(interaction, run)

    @quiz.autocomplete("topic")
    async def topic_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().casefold()
        topics = self.bot.services.ctx.curriculum.topics.values()
        return [
            app_commands.Choice(name=topic.title, value=topic.id)
            for topic in sorted(topics, key=lambda t: t.title)
            if wanted in topic.title.casefold() or wanted in topic.id
        ][:CHOICES_MAX]


class AnswerButton(RoutedButton, template=ANSWER):
    async def handle(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        await answer(interaction, match, match["n"])


class OpenAnswer(RoutedButton, template=OPEN):
    """Numeric, text and output answers are typed: open a modal that carries the same state."""

    async def handle(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        services = services_of(interaction)
        question = services.quizzes.question(match["item"], int(match["seed"]))
        topic = services.ctx.curriculum.topics.get(question.topic)
        modal = text_modal(
            "quiz:modal:" + match.string.removeprefix("quiz:open:"),
            f"Answer · {topic.title if topic else question.topic}",
            KIND_LABELS.get(question.kind, "Your answer"),
            paragraph=question.kind is Kind.OUTPUT,
        )
        await interaction.response.send_modal(modal)


class NextQuestion(RoutedButton, template=r"quiz:next:(?P<topic>[^:]*)"):
    """One more question, outside any run: from the same topic (empty: what was studied)."""

    async def handle(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        services = services_of(interaction)
        asked = await services.quizzes.ask(member_ref(interaction), topic=match["topic"] or None)
        await send_cards(interaction, asked.card)


async def _modal_answer(
    interaction: discord.Interaction[Any], match: re.Match[str], values: dict[str, str]
) -> None:
    await answer(interaction, match, values.get("answer", ""))


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Quizzes(bot))
    bot.add_dynamic_items(AnswerButton, OpenAnswer, NextQuestion)
    bot.add_modal_route(MODAL, _modal_answer)
