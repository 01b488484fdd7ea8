"""/streak, /profile and /timezone: a member's days, XP and the zone their days follow."""

from __future__ import annotations

import functools
import zoneinfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.interact import member_of, member_ref, send_cards

CHOICES_MAX = 25


@functools.cache
def _zones() -> tuple[str, ...]:
    """IANA zone names, without the legacy aliases nobody should pick (`EST5EDT`, `Etc/...`)."""
    legacy = ("Etc/", "SystemV/", "posix/", "right/")
    named = (z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(legacy))
    return (*sorted(named), "UTC")


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    """Zones containing what was typed (`berl`, `new_york`, `new york`), prefix matches first."""
    wanted = current.strip().casefold().replace(" ", "_")
    matches = [zone for zone in _zones() if wanted in zone.casefold()]
    matches.sort(key=lambda zone: (not zone.casefold().split("/")[-1].startswith(wanted), zone))
    return [app_commands.Choice(name=zone, value=zone) for zone in matches[:CHOICES_MAX]]


class Progress(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="streak", description="Your study streak (or another member's)")
    @app_commands.describe(member="Whose streak; leave empty for yours")
    async def streak(
        self, interaction: discord.Interaction[StudyBot], member: discord.Member | None = None
    ) -> None:
        who = member_of(interaction, member) if member else member_ref(interaction)
        await send_cards(interaction, await self.bot.services.progress.streak_card(who))

    @app_commands.command(
        name="streakmode", description="Daily streaks, or a weekly target if you cannot study daily"
    )
    @app_commands.describe(mode="daily or weekly", days="Weekly mode: study days a week (1-6)")
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="daily", value="daily"),
            app_commands.Choice(name="weekly", value="weekly"),
        ]
    )
    async def streakmode(
        self,
        interaction: discord.Interaction[StudyBot],
        mode: app_commands.Choice[str],
        days: app_commands.Range[int, 1, 6] | None = None,
    ) -> None:
        card = await self.bot.services.progress.set_mode(member_ref(interaction), mode.value, days)
        await send_cards(interaction, card)

    @app_commands.command(name="profile", description="XP, streak, lessons and quiz accuracy")
    @app_commands.describe(member="Whose profile; leave empty for yours")
    async def profile(
        self, interaction: discord.Interaction[StudyBot], member: discord.Member | None = None
    ) -> None:
        who = member_of(interaction, member) if member else member_ref(interaction)
        await interaction.response.defer(thinking=True)  # the picture takes a moment to draw
        await send_cards(interaction, await self.bot.services.progress.profile_card(who))

    @app_commands.command(name="timezone", description="The time zone your study days follow")
    @app_commands.describe(zone="An IANA zone such as Europe/Berlin or America/New_York")
    async def timezone(self, interaction: discord.Interaction[StudyBot], zone: str) -> None:
        card = await self.bot.services.progress.set_timezone(member_ref(interaction), zone)
        await send_cards(interaction, card)

    @app_commands.command(name="remind", description="A DM on days you have not studied yet")
    @app_commands.describe(switch="on or off")
    @app_commands.choices(
        switch=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    async def remind(
        self, interaction: discord.Interaction[StudyBot], switch: app_commands.Choice[str]
    ) -> None:
        card = await self.bot.services.reminders.set(member_ref(interaction), switch.value == "on")
        await send_cards(interaction, card)

    @timezone.autocomplete("zone")
    async def timezone_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Progress(bot))
