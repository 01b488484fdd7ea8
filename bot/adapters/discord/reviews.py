"""/review: the member's missed questions that are due, answered like quiz questions."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.quizzes import QuizRun, start_run


class Reviews(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="review", description="Questions you missed that are due again")
    async def review(self, interaction: discord.Interaction[StudyBot]) -> None:
        # A run of kind `r` goes on while reviews are due, then sums up.
        await start_run(interaction, QuizRun(kind="r", count=0))


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Reviews(bot))
