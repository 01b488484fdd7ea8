"""/daily: today's challenge for the server, answered once by each member, privately."""

from __future__ import annotations

import re
from datetime import date
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
from bot.adapters.discord.quizzes import KIND_LABELS
from bot.cards import UserError
from bot.domain.quiz import Kind

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"


def _day(match: re.Match[str]) -> date:
    try:
        return date.fromisoformat(match["day"])
    except ValueError:
        raise UserError("That challenge button is broken; use `/daily`.") from None


async def _answer(interaction: discord.Interaction[Any], day: date, given: str) -> None:
    services = services_of(interaction)
    card = await services.challenges.answer(member_ref(interaction), day, given)
    await send_cards(interaction, card)


class Challenges(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="daily", description="Today's challenge for this server")
    async def daily(self, interaction: discord.Interaction[StudyBot]) -> None:
        card = await self.bot.services.challenges.card(member_ref(interaction))
        await send_cards(interaction, card)


class ChallengeChoice(RoutedButton, template=rf"daily:answer:{DAY}:(?P<n>\d+)"):
    async def handle(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        await _answer(interaction, _day(match), match["n"])


class OpenChallengeAnswer(RoutedButton, template=rf"daily:open:{DAY}"):
    async def handle(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        services = services_of(interaction)
        challenge = await services.challenges.today(member_ref(interaction).guild_id)
        question = services.quizzes.question(challenge.item_id, challenge.seed)
        modal = text_modal(
            f"daily:modal:{match['day']}",
            f"Daily challenge · {match['day']}",
            KIND_LABELS.get(question.kind, "Your answer"),
            paragraph=question.kind is Kind.OUTPUT,
        )
        await interaction.response.send_modal(modal)


async def _modal_answer(
    interaction: discord.Interaction[Any], match: re.Match[str], values: dict[str, str]
) -> None:
    await _answer(interaction, _day(match), values.get("answer", ""))


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Challenges(bot))
    bot.add_dynamic_items(ChallengeChoice, OpenChallengeAnswer)
    bot.add_modal_route(rf"daily:modal:{DAY}", _modal_answer)
