"""/run and the "Run code" message menu: a member's snippet through the runner.

RunService decides who may run now (one run at a time per member, a per-minute limit); a
refusal is answered privately before anything is acknowledged, and only then is the reply
deferred, because a run can take longer than Discord's three seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.exercises import submit_exercise
from bot.adapters.discord.ids import FormButton, register_forms
from bot.adapters.discord.interact import member_ref, send_cards, services_of, text_modal
from bot.cards import UserError
from bot.domain.exercises import exercise_header
from bot.domain.snippets import extract_code, snippet_from_argument
from bot.intents import EditRun

CODE_INPUT_MAX = 4000  # Discord's limit for a text input


async def run_snippet(interaction: discord.Interaction[Any], text: str) -> None:
    exercise = exercise_header(snippet_from_argument(text))
    if exercise is not None:  # `# exercise: ex-id` first: a submission to that exercise
        await submit_exercise(interaction, exercise, text)
        return
    services = services_of(interaction)
    who = member_ref(interaction)
    await services.runs.admit(who, text)
    await interaction.response.defer(thinking=True)
    card = await services.runs.run(who, text)
    await send_cards(interaction, card)


class Runs(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Run code", callback=self.run_message)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="run", description="Run a Python snippet (numpy, pandas, sklearn)")
    @app_commands.describe(code="Python to run; leave empty to type several lines")
    async def run(
        self, interaction: discord.Interaction[StudyBot], code: str | None = None
    ) -> None:
        if code is None or not code.strip():
            modal = text_modal(
                "run:modal",
                "Run Python",
                "Your code",
                paragraph=True,
                placeholder="import numpy as np\nprint(np.arange(3))",
                max_length=CODE_INPUT_MAX,
            )
            await interaction.response.send_modal(modal)
            return
        await run_snippet(interaction, code)

    async def run_message(
        self, interaction: discord.Interaction[StudyBot], message: discord.Message
    ) -> None:
        """Messages reach a context menu resolved, content included, without the intent."""
        if extract_code(message.content) is None:
            raise UserError("That message has no ```python code block to run.")
        await run_snippet(interaction, message.content)


async def _modal_run(
    interaction: discord.Interaction[Any], match: re.Match[str], values: dict[str, str]
) -> None:
    await run_snippet(interaction, values.get("answer", ""))


class EditRunButton(FormButton, intent=EditRun, prefix="run:edit", fields=("owner", "run")):
    """ "Edit & run again", for the member who ran it: a form filled with their code."""

    form_prefix = "run:again"

    async def handle(self, interaction: discord.Interaction[Any], intent: EditRun) -> None:
        code = await services_of(interaction).runs.code_of(member_ref(interaction), intent.run)
        if len(code) > CODE_INPUT_MAX:
            raise UserError(
                f"That snippet is longer than a form holds ({CODE_INPUT_MAX:,} characters); "
                "send the changed code with /run."
            )
        modal = text_modal(
            self.form_id(intent),
            "Edit & run again",
            "Your code",
            paragraph=True,
            max_length=CODE_INPUT_MAX,
            default=code,
        )
        await interaction.response.send_modal(modal)

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: EditRun, values: Mapping[str, str]
    ) -> None:
        await run_snippet(interaction, values.get("answer", ""))


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Runs(bot))
    bot.add_modal_route(r"run:modal", _modal_run)
    bot.add_dynamic_items(EditRunButton)
    register_forms(bot, EditRunButton)
