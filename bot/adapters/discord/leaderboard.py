"""/leaderboard: this server's XP standings for a period (moderators post it with /admin)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import IntentButton
from bot.adapters.discord.interact import member_ref, send_cards, services_of
from bot.intents import MyRank

PERIODS = [
    app_commands.Choice(name="this week", value="week"),
    app_commands.Choice(name="this month", value="month"),
    app_commands.Choice(name="the last 30 days", value="rolling"),
    app_commands.Choice(name="all time", value="all"),
]


class Leaderboard(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="leaderboard", description="This server's top members by XP")
    @app_commands.describe(
        period="Which XP counts (default: this week)", chart="Attach a bar chart of the board"
    )
    @app_commands.choices(period=PERIODS)
    async def leaderboard(
        self,
        interaction: discord.Interaction[StudyBot],
        period: app_commands.Choice[str] | None = None,
        chart: bool = False,
    ) -> None:
        who = member_ref(interaction)
        if chart:
            await interaction.response.defer(thinking=True)  # drawing takes a moment
        card = await self.bot.services.leaderboard.card(
            who.guild_id, period.value if period else "week", viewer=who, chart=chart
        )
        await send_cards(interaction, card)


class MyRankButton(IntentButton, intent=MyRank, prefix="board:rank", fields=("period",)):
    """Under a posted leaderboard: where the presser stands, privately."""

    async def handle(self, interaction: discord.Interaction[Any], intent: MyRank) -> None:
        card = await services_of(interaction).leaderboard.my_rank(
            member_ref(interaction), intent.period
        )
        await send_cards(interaction, card)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Leaderboard(bot))
    bot.add_dynamic_items(MyRankButton)
