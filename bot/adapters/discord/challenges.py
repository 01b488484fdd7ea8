"""/daily: today's challenge for the server, answered once by each member, privately."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import FormButton, IntentButton, register_forms
from bot.adapters.discord.interact import member_ref, send_cards, services_of
from bot.intents import DailyChoice, DailyOpen
from bot.services.quizzes import AnswerForm


class Challenges(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="daily", description="Today's challenge for this server")
    async def daily(self, interaction: discord.Interaction[StudyBot]) -> None:
        card = await self.bot.services.challenges.card(member_ref(interaction))
        await send_cards(interaction, card)


class DailyChoiceButton(
    IntentButton, intent=DailyChoice, prefix="daily:a", fields=("day", "choice")
):
    async def handle(self, interaction: discord.Interaction[Any], intent: DailyChoice) -> None:
        card = await services_of(interaction).challenges.answer(
            member_ref(interaction), intent.day, str(intent.choice)
        )
        await send_cards(interaction, card)


class DailyOpenButton(FormButton, intent=DailyOpen, prefix="daily:o", fields=("day",)):
    form_prefix = "daily:m"

    async def form(self, interaction: discord.Interaction[Any], intent: DailyOpen) -> AnswerForm:
        return await services_of(interaction).challenges.form(member_ref(interaction), intent.day)

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: DailyOpen, values: Mapping[str, str]
    ) -> None:
        card = await services_of(interaction).challenges.answer(
            member_ref(interaction), intent.day, values.get("answer", "")
        )
        await send_cards(interaction, card)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Challenges(bot))
    bot.add_dynamic_items(DailyChoiceButton, DailyOpenButton)
    register_forms(bot, DailyOpenButton)
