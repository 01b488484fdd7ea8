"""/exercise: write a function; Submit opens a form, the check runs on hidden inputs.

`/exercise ID` posts the exercise in the channel (a prompt is worth reading together); its Submit
button belongs to whoever asked, and opens a form filled with the starter code or their last
attempt. Results are private, like quiz answers: one ephemeral card with the cases that failed
and why, and on a first solve one public line ("ada solved the exercise …") unless the server
switched those off. `/exercise` alone lists the member's next exercises, privately. A
message whose code block starts with `# exercise: ex-id` is submitted by "Run code" (runs.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import BROKEN, FormButton, IntentButton, register_forms
from bot.adapters.discord.interact import (
    announce,
    member_ref,
    send_cards,
    send_text,
    services_of,
    text_modal,
)
from bot.intents import OpenExercise, SubmitExercise

CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CODE_INPUT_MAX = 4000  # Discord's limit for a text input


async def submit_exercise(interaction: discord.Interaction[Any], exercise: str, text: str) -> None:
    """Check a submission: refusals privately before anything is acknowledged, then a private
    "thinking" while it runs (it can take longer than Discord's three seconds)."""
    services = services_of(interaction)
    who = member_ref(interaction)
    await services.exercises.admit(who, exercise, text)
    await interaction.response.defer(ephemeral=True, thinking=True)
    submitted = await services.exercises.submit(who, exercise, text)
    await send_cards(interaction, submitted.card, ephemeral=True)
    if submitted.announce:
        await announce(interaction, submitted.announce)


class Exercises(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="exercise", description="Write a function; it is checked on hidden inputs"
    )
    @app_commands.describe(
        exercise="An exercise, or a track or lesson to list; leave empty for your next ones"
    )
    async def exercise(
        self, interaction: discord.Interaction[StudyBot], exercise: str | None = None
    ) -> None:
        card = await self.bot.services.exercises.list_card(member_ref(interaction), exercise)
        await send_cards(interaction, card)

    @exercise.autocomplete("exercise")
    async def exercise_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Exercises whose title or id contains what was typed, in roadmap order."""
        wanted = current.strip().casefold()
        choices = []
        for exercise in self.bot.services.exercises.ordered():
            if wanted in exercise.title.casefold() or wanted in exercise.id:
                name = f"{exercise.title} · {'★' * exercise.difficulty}"
                if len(name) > CHOICE_NAME_MAX:
                    name = name[: CHOICE_NAME_MAX - 1] + "…"
                choices.append(app_commands.Choice(name=name, value=exercise.id))
        return choices[:CHOICES_MAX]


class SubmitExerciseButton(
    FormButton, intent=SubmitExercise, prefix="ex:submit", fields=("owner", "exercise")
):
    """ "Submit" and "Edit & resubmit": a form filled with the owner's last attempt (or the
    starter) whose submission is checked; anyone else is told to open their own."""

    form_prefix = "ex:code"

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        intent = self.intent
        if intent is None:
            await send_text(interaction, BROKEN)
            return False
        assert isinstance(intent, SubmitExercise)
        if interaction.user.id != intent.owner:
            await send_text(
                interaction,
                f"This is <@{intent.owner}>'s exercise card — open your own with "
                f"`/exercise {intent.exercise}` to submit.",
            )
            return False
        return True

    async def handle(self, interaction: discord.Interaction[Any], intent: SubmitExercise) -> None:
        form = await services_of(interaction).exercises.form(
            member_ref(interaction), intent.exercise
        )
        modal = text_modal(
            self.form_id(intent),
            form.title,
            form.label,
            paragraph=True,
            max_length=CODE_INPUT_MAX,
            default=form.code if len(form.code) <= CODE_INPUT_MAX else None,
        )
        await interaction.response.send_modal(modal)

    @classmethod
    async def submitted(
        cls,
        interaction: discord.Interaction[Any],
        intent: SubmitExercise,
        values: Mapping[str, str],
    ) -> None:
        await submit_exercise(interaction, intent.exercise, values.get("answer", ""))


class OpenExerciseButton(IntentButton, intent=OpenExercise, prefix="ex:open", fields=("exercise",)):
    """From a list or a result: the exercise, privately, with a Submit of the presser's own."""

    async def handle(self, interaction: discord.Interaction[Any], intent: OpenExercise) -> None:
        card = await services_of(interaction).exercises.show(
            member_ref(interaction), intent.exercise
        )
        await send_cards(interaction, card, ephemeral=True)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Exercises(bot))
    bot.add_dynamic_items(SubmitExerciseButton, OpenExerciseButton)
    register_forms(bot, SubmitExerciseButton)
