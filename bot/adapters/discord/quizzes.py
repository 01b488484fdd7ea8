"""/quiz: a run of questions, one at a time, answered by button or in a form.

A quiz is private (an ephemeral message only its member sees) and is one message: each answer
replaces the question with its feedback and the next question, the last with the summary, and
a finished run leaves one public line ("ada finished a NumPy quiz: 4/5") unless the server
switched those off. The run lives in the database (QuizService); a button names the run, the
step and the choice, and belongs to the member whose run it is. A click is one service call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import FormButton, IntentButton, register_forms
from bot.adapters.discord.interact import (
    announce,
    edit_cards,
    member_ref,
    send_cards,
    services_of,
)
from bot.intents import MAX_COUNT, AnswerChoice, OpenAnswer, StartQuiz
from bot.services.quizzes import DEFAULT_COUNT, AnswerForm, Step

CHOICES_MAX = 25


async def send_step(interaction: discord.Interaction[Any], step: Step) -> None:
    """A new session: its first question, privately."""
    await send_cards(interaction, *step.cards, ephemeral=True)


async def update_step(interaction: discord.Interaction[Any], step: Step) -> None:
    """The session's message moves on in place; a finished run says so publicly once."""
    await edit_cards(interaction, *step.cards)
    if step.announce:
        await announce(interaction, step.announce)


class Quizzes(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="quiz", description="A few questions, one at a time")
    @app_commands.describe(
        topic="A quiz topic; leave empty for what you have studied",
        count=f"How many questions (1-{MAX_COUNT})",
    )
    async def quiz(
        self,
        interaction: discord.Interaction[StudyBot],
        topic: str | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
    ) -> None:
        step = await self.bot.services.quizzes.start(
            member_ref(interaction), topic=topic.strip() if topic else None, count=count
        )
        await send_step(interaction, step)

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


class AnswerChoiceButton(
    IntentButton,
    intent=AnswerChoice,
    prefix="quiz:a",
    fields=("owner", "run", "step", "choice"),
):
    async def handle(self, interaction: discord.Interaction[Any], intent: AnswerChoice) -> None:
        step = await services_of(interaction).quizzes.answer(
            member_ref(interaction), intent.run, intent.step, str(intent.choice)
        )
        await update_step(interaction, step)


class OpenAnswerButton(
    FormButton, intent=OpenAnswer, prefix="quiz:o", fields=("owner", "run", "step")
):
    """Numeric, text and output answers are typed in a form that names the same question."""

    form_prefix = "quiz:m"

    async def form(self, interaction: discord.Interaction[Any], intent: OpenAnswer) -> AnswerForm:
        return await services_of(interaction).quizzes.form(
            member_ref(interaction), intent.run, intent.step
        )

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: OpenAnswer, values: Mapping[str, str]
    ) -> None:
        step = await services_of(interaction).quizzes.answer(
            member_ref(interaction), intent.run, intent.step, values.get("answer", "")
        )
        await update_step(interaction, step)


class StartQuizButton(
    IntentButton, intent=StartQuiz, prefix="quiz:new", fields=("lesson", "topic", "count")
):
    """ "Quiz me on this" and "Another quiz": a run for whoever presses it."""

    async def handle(self, interaction: discord.Interaction[Any], intent: StartQuiz) -> None:
        step = await services_of(interaction).quizzes.start(
            member_ref(interaction),
            topic=intent.topic or None,
            lesson_id=intent.lesson or None,
            count=intent.count,
        )
        await send_step(interaction, step)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Quizzes(bot))
    bot.add_dynamic_items(AnswerChoiceButton, OpenAnswerButton, StartQuizButton)
    register_forms(bot, OpenAnswerButton)
