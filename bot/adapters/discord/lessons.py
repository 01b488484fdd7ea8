"""/roadmap and /lesson: the roadmap with a way in, lessons read as pages.

A `/lesson` is posted in the channel for everyone to read; its pager belongs to whoever asked:
their ◀ ▶ turn the page in place, anyone else's press opens a private pager of their own at
that page. "Mark done", "Quiz me on this" and "Notebook" act for whoever presses them.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import IntentButton
from bot.adapters.discord.interact import edit_cards, member_ref, send_cards, services_of
from bot.intents import LessonNotebook, LessonPage, MarkDone, OpenLesson

CHOICES_MAX = 25
CHOICE_NAME_MAX = 100


class Lessons(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="roadmap", description="The tracks, your progress and what is next")
    async def roadmap(self, interaction: discord.Interaction[StudyBot]) -> None:
        card = await self.bot.services.lessons.roadmap(member_ref(interaction))
        await send_cards(interaction, card)

    @app_commands.command(name="lesson", description="Your next lesson, or one you name")
    @app_commands.describe(lesson="A lesson title or id; leave empty for your next lesson")
    async def lesson(
        self, interaction: discord.Interaction[StudyBot], lesson: str | None = None
    ) -> None:
        card = await self.bot.services.lessons.show(member_ref(interaction), lesson, page=1)
        await send_cards(interaction, card)

    @lesson.autocomplete("lesson")
    async def lesson_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Lessons whose title or id contains what was typed, in roadmap order."""
        wanted = current.strip().casefold()
        choices = []
        ordered = self.bot.services.ctx.curriculum.lessons_in_order()
        for number, lesson in enumerate(ordered, 1):
            if wanted in lesson.title.casefold() or wanted in lesson.id.casefold():
                name = f"{number}. {lesson.title}"
                if len(name) > CHOICE_NAME_MAX:
                    name = name[: CHOICE_NAME_MAX - 1] + "…"
                choices.append(app_commands.Choice(name=name, value=lesson.id))
        return choices[:CHOICES_MAX]


class MarkDoneButton(IntentButton, intent=MarkDone, prefix="lesson:done", fields=("lesson",)):
    """Marks the lesson done for whoever presses it (a lesson post is for everyone), and says
    so in the channel under their name."""

    async def handle(self, interaction: discord.Interaction[Any], intent: MarkDone) -> None:
        card = await services_of(interaction).lessons.mark_done(
            member_ref(interaction), intent.lesson
        )
        await send_cards(interaction, card)


class LessonPageButton(
    IntentButton,
    intent=LessonPage,
    prefix="lesson:page",
    fields=("viewer", "lesson", "page", "via"),
):
    async def handle(self, interaction: discord.Interaction[Any], intent: LessonPage) -> None:
        lessons = services_of(interaction).lessons
        lesson = lessons.find(intent.lesson)
        if interaction.user.id == intent.viewer:
            await edit_cards(interaction, lessons.page_card(lesson, intent.page, intent.viewer))
            return
        own = lessons.page_card(lesson, intent.page, interaction.user.id)
        await send_cards(interaction, own, ephemeral=True)


class OpenLessonButton(IntentButton, intent=OpenLesson, prefix="lesson:open", fields=("lesson",)):
    """From the roadmap: a lesson (or the presser's next one) as a private pager."""

    async def handle(self, interaction: discord.Interaction[Any], intent: OpenLesson) -> None:
        card = await services_of(interaction).lessons.show(
            member_ref(interaction), intent.lesson or None, page=1
        )
        await send_cards(interaction, card, ephemeral=True)


class NotebookButton(
    IntentButton, intent=LessonNotebook, prefix="lesson:notebook", fields=("lesson",)
):
    """The lesson as an .ipynb file, privately, for whoever presses."""

    async def handle(self, interaction: discord.Interaction[Any], intent: LessonNotebook) -> None:
        card = await services_of(interaction).lessons.notebook(
            member_ref(interaction), intent.lesson
        )
        await send_cards(interaction, card, ephemeral=True)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Lessons(bot))
    bot.add_dynamic_items(MarkDoneButton, LessonPageButton, OpenLessonButton, NotebookButton)
