"""/admin: server setup, posting the leaderboard, statistics, reloading content. For moderators
only.

Discord hides the group from members without Manage Server (`default_member_permissions`), but
a server admin can change that in the server settings, so every command checks again when it
runs: Manage Server, or the moderator role stored with `/admin setup`.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.interact import NotAllowed, member_ref, send_cards, send_text
from bot.adapters.discord.leaderboard import PERIODS
from bot.adapters.discord.progress import zone_choices
from bot.adapters.discord.render import CONTENT_MAX, render
from bot.cards import UserError
from bot.services.admin import ContentProblems, SetupChanges

REFUSED = "You need the Manage Server permission or the moderator role for /admin."


@app_commands.default_permissions(manage_guild=True)
class Admin(commands.GroupCog, group_name="admin", group_description="Moderator tools"):
    content = app_commands.Group(name="content", description="Lessons and quiz banks")
    schedule = app_commands.Group(name="schedule", description="What the bot posts, and when")

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Manage Server, or the configured moderator role; checked on every call."""
        if interaction.permissions.manage_guild:
            return True
        user = interaction.user
        if isinstance(user, discord.Member):
            role_id = await self.bot.services.admin.moderator_role(member_ref(interaction).guild_id)
            if role_id is not None and any(role.id == role_id for role in user.roles):
                return True
        raise NotAllowed(REFUSED)

    @app_commands.command(name="setup", description="Channels, time zone and moderator role")
    @app_commands.describe(
        lessons="Where lessons are posted",
        challenges="Where the daily challenge is posted",
        leaderboards="Where leaderboards are posted",
        timezone="The server's IANA time zone (days, challenges and weeks follow it)",
        moderator_role="A role that may use /admin besides Manage Server",
        grace_hours="How late a timed post missed while the bot was down may still go out",
        announce_quizzes="Say in the channel when a member finishes a quiz (their score)",
        retention="Reviews aim at this recall: 0.80 to 0.97, or 80 to 97 (default 0.9)",
        new_cards="New review cards a member gets a day (default 10)",
    )
    async def setup_(
        self,
        interaction: discord.Interaction[StudyBot],
        lessons: discord.TextChannel | None = None,
        challenges: discord.TextChannel | None = None,
        leaderboards: discord.TextChannel | None = None,
        timezone: str | None = None,
        moderator_role: discord.Role | None = None,
        grace_hours: app_commands.Range[int, 0, 48] | None = None,
        announce_quizzes: bool | None = None,
        retention: app_commands.Range[float, 0.8, 97.0] | None = None,
        new_cards: app_commands.Range[int, 0, 50] | None = None,
    ) -> None:
        changes = SetupChanges(
            lesson_channel_id=lessons.id if lessons else None,
            challenge_channel_id=challenges.id if challenges else None,
            leaderboard_channel_id=leaderboards.id if leaderboards else None,
            timezone=timezone,
            moderator_role_id=moderator_role.id if moderator_role else None,
            grace_hours=grace_hours,
            announce_quizzes=announce_quizzes,
            retention=retention,
            new_per_day=new_cards,
        )
        card = await self.bot.services.admin.setup(member_ref(interaction).guild_id, changes)
        await send_cards(interaction, card)

    @setup_.autocomplete("timezone")
    async def timezone_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @app_commands.command(name="leaderboard", description="Post the leaderboard for everyone")
    @app_commands.describe(
        period="Which XP counts (default: this week)",
        channel="Where to post (default: the leaderboard channel, else here)",
    )
    @app_commands.choices(period=PERIODS)
    async def leaderboard(
        self,
        interaction: discord.Interaction[StudyBot],
        period: app_commands.Choice[str] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        services = self.bot.services
        guild_id = member_ref(interaction).guild_id
        card = await services.leaderboard.card(
            guild_id, period.value if period else "week", chart=True
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = channel or await self._leaderboard_channel(interaction, guild_id)
        where = str(getattr(target, "mention", "that channel"))
        try:
            await target.send(**render(card).send_kwargs())
        except discord.Forbidden:
            raise UserError(f"I am not allowed to post in {where}.") from None
        await send_text(interaction, f"Posted the leaderboard in {where}.")

    @app_commands.command(
        name="stats", description="Activity, lesson funnel and questions to fix (only you see it)"
    )
    async def stats(self, interaction: discord.Interaction[StudyBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # reads every answer
        card = await self.bot.services.stats.card(member_ref(interaction).guild_id)
        await send_cards(interaction, card)

    async def _leaderboard_channel(
        self, interaction: discord.Interaction[StudyBot], guild_id: int
    ) -> discord.abc.Messageable:
        channel_id = await self.bot.services.admin.leaderboard_channel(guild_id)
        if channel_id is None:
            here = interaction.channel
            if not isinstance(here, discord.abc.Messageable):
                raise UserError("Name a channel to post in.")
            return here
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException:
                raise UserError(
                    "The leaderboard channel set with /admin setup is gone; set another."
                ) from None
        if not isinstance(channel, discord.abc.Messageable):
            raise UserError("The leaderboard channel set with /admin setup cannot take messages.")
        return channel

    # -- schedules ----------------------------------------------------------------------

    @staticmethod
    def _postable(interaction: discord.Interaction[Any], channel: discord.TextChannel) -> int:
        """The channel's id if the bot may post there, else a sentence saying what is missing."""
        me = interaction.guild.me if interaction.guild else None
        if me is not None:
            allowed = channel.permissions_for(me)
            missing = [
                label
                for flag, label in (
                    ("view_channel", "View Channel"),
                    ("send_messages", "Send Messages"),
                    ("embed_links", "Embed Links"),
                    ("create_public_threads", "Create Public Threads"),
                )
                if not getattr(allowed, flag)
            ]
            if missing:
                raise UserError(
                    f"I cannot post in {channel.mention}: give me {', '.join(missing)} there, "
                    "or pick another channel."
                )
        return channel.id

    @schedule.command(name="lessons", description="Post the roadmap's lessons in order")
    @app_commands.describe(
        channel="Where lessons are posted",
        time="HH:MM in the server's time zone, e.g. 08:00",
        days="daily, weekdays, or days like mon,wed,fri",
        track="Start at this track (default: the start of the roadmap)",
    )
    async def schedule_lessons(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: discord.TextChannel,
        time: str,
        days: str = "daily",
        track: str | None = None,
    ) -> None:
        card = await self.bot.services.schedules.set_lessons(
            member_ref(interaction).guild_id,
            self._postable(interaction, channel),
            time,
            days,
            track,
            by=interaction.user.id,
        )
        await send_cards(interaction, card)

    @schedule_lessons.autocomplete("track")
    async def track_choices(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        wanted = current.strip().casefold()
        tracks = self.bot.services.ctx.curriculum.tracks
        return [
            app_commands.Choice(name=t.title[:100], value=t.id)
            for t in tracks
            if wanted in t.title.casefold() or wanted in t.id
        ][:25]

    @schedule.command(name="challenge", description="Post the daily challenge")
    @app_commands.describe(
        channel="Where the challenge is posted", time="HH:MM in the server's time zone"
    )
    async def schedule_challenge(
        self, interaction: discord.Interaction[StudyBot], channel: discord.TextChannel, time: str
    ) -> None:
        card = await self.bot.services.schedules.set_challenge(
            member_ref(interaction).guild_id,
            self._postable(interaction, channel),
            time,
            by=interaction.user.id,
        )
        await send_cards(interaction, card)

    @schedule.command(name="leaderboard", description="Keep a leaderboard message up to date")
    @app_commands.describe(
        channel="Where the leaderboard is posted",
        day="A weekday (mon … sun) or daily",
        time="HH:MM in the server's time zone",
        period="Which XP counts",
    )
    @app_commands.choices(period=PERIODS)
    async def schedule_leaderboard(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: discord.TextChannel,
        day: str,
        time: str,
        period: app_commands.Choice[str],
    ) -> None:
        card = await self.bot.services.schedules.set_leaderboard(
            member_ref(interaction).guild_id,
            self._postable(interaction, channel),
            day,
            time,
            period.value,
            by=interaction.user.id,
        )
        await send_cards(interaction, card)

    @schedule.command(name="showcase", description="Post the best-reviewed new projects weekly")
    @app_commands.describe(
        channel="Where the showcase is posted",
        day="A weekday (mon … sun)",
        time="HH:MM in the server's time zone",
    )
    async def schedule_showcase(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: discord.TextChannel,
        day: str,
        time: str,
    ) -> None:
        card = await self.bot.services.schedules.set_showcase(
            member_ref(interaction).guild_id,
            self._postable(interaction, channel),
            day,
            time,
            by=interaction.user.id,
        )
        await send_cards(interaction, card)

    @schedule.command(name="show", description="This server's schedules and their next posts")
    async def schedule_show(self, interaction: discord.Interaction[StudyBot]) -> None:
        card = await self.bot.services.schedules.show(member_ref(interaction).guild_id)
        await send_cards(interaction, card)

    @schedule.command(name="off", description="Stop one of this server's schedules")
    @app_commands.choices(
        kind=[
            app_commands.Choice(name="lessons", value="lessons"),
            app_commands.Choice(name="challenge", value="challenge"),
            app_commands.Choice(name="leaderboard", value="leaderboard"),
            app_commands.Choice(name="showcase", value="showcase"),
        ]
    )
    async def schedule_off(
        self, interaction: discord.Interaction[StudyBot], kind: app_commands.Choice[str]
    ) -> None:
        card = await self.bot.services.schedules.off(member_ref(interaction).guild_id, kind.value)
        await send_cards(interaction, card)

    @content.command(name="reload", description="Reload and check lessons and quiz banks")
    async def reload(self, interaction: discord.Interaction[StudyBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            card = await self.bot.services.admin.reload_content()
        except ContentProblems as problems:
            head = "Content not reloaded; the old content stays in use. Problems:\n```\n"
            listing = str(problems)
            room = CONTENT_MAX - len(head) - 8
            if len(listing) > room:
                listing = listing[: room - 1] + "…"
            await send_text(interaction, f"{head}{listing}\n```")
            return
        await send_cards(interaction, card)


async def setup(bot: StudyBot) -> None:
    await bot.add_cog(Admin(bot))
