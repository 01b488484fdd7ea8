"""/review: the member's missed questions that are due, as a run answered like a quiz."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import IntentButton
from bot.adapters.discord.interact import member_ref, services_of
from bot.adapters.discord.quizzes import send_step
from bot.intents import StartReview


class Reviews(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="review", description="Questions you missed that are due again")
    async def review(self, interaction: discord.Interaction[StudyBot]) -> None:
        step = await self.bot.services.reviews.start(member_ref(interaction))
        await send_step(interaction, step)


class StartReviewButton(IntentButton, intent=StartReview, prefix="review:start"):
    async def handle(self, interaction: discord.Interaction[Any], intent: StartReview) -> None:
        step = await services_of(interaction).reviews.start(member_ref(interaction))
        await send_step(interaction, step)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Reviews(bot))
    bot.add_dynamic_items(StartReviewButton)
