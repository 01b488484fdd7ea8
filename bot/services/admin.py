"""Moderator tasks: a server's channels, zone and moderator role; reloading the content.

Who may call these is the adapter's business (Discord checks Manage Server or the role stored
here); this service only validates values and keeps the last good content on a bad reload.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from bot.cards import Card, CardField, Tone, UserError
from bot.curriculum.model import ContentError, Curriculum, Problem
from bot.domain.memory import (
    DEFAULT_NEW_PER_DAY,
    DEFAULT_RETENTION,
    NEW_PER_DAY_RANGE,
    RETENTION_RANGE,
    retention_allowed,
)
from bot.domain.progress import zone_named
from bot.services.context import Context
from bot.storage.models import GuildSettings

ReloadContent = Callable[[], Curriculum]


class ContentProblems(UserError):
    """The reload failed; the message is the `path:line: message` list, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class SetupChanges:
    """What `/admin setup` was given; None leaves a value as it is."""

    lesson_channel_id: int | None = None
    challenge_channel_id: int | None = None
    leaderboard_channel_id: int | None = None
    timezone: str | None = None
    moderator_role_id: int | None = None
    grace_hours: int | None = None  # how late a missed timed post may still go out
    announce_quizzes: bool | None = None  # "ada finished a NumPy quiz: 4/5" in the channel
    retention: float | None = None  # FSRS desired retention, 0.80-0.97
    new_per_day: int | None = None  # new review cards a member gets a day


class AdminService:
    def __init__(self, ctx: Context, reload_content: ReloadContent | None = None) -> None:
        self.ctx = ctx
        self._reload_content = reload_content

    async def setup(self, guild_id: int, changes: SetupChanges | None = None) -> Card:
        """Save the given settings and show all of them (no changes: just show them)."""
        changes = changes or SetupChanges()
        values: dict[str, object] = {
            name: getattr(changes, name)
            for name in (
                "lesson_channel_id",
                "challenge_channel_id",
                "leaderboard_channel_id",
                "moderator_role_id",
                "grace_hours",
                "announce_quizzes",
                "new_per_day",
            )
            if getattr(changes, name) is not None
        }
        if changes.grace_hours is not None and not 0 <= changes.grace_hours <= 48:
            raise UserError("The grace window is 0 to 48 hours.")
        if changes.retention is not None:
            retention = _retention(changes.retention)
            if not retention_allowed(retention):
                low, high = RETENTION_RANGE
                raise UserError(
                    f"Desired retention is {low:.2f} to {high:.2f} (or {low:.0%} to {high:.0%}): "
                    "lower and reviews come too rarely to help, higher and they pile up."
                )
            values["retention"] = retention
        if changes.new_per_day is not None:
            low, high = NEW_PER_DAY_RANGE
            if not low <= changes.new_per_day <= high:
                raise UserError(f"New review cards a day: {low} to {high}.")
        if changes.timezone is not None:
            zone = zone_named(changes.timezone.strip())
            if zone is None:
                raise UserError(
                    f"`{changes.timezone.strip()}` is not an IANA time zone; try one like "
                    "`Europe/Berlin` or `America/New_York`."
                )
            values["timezone"] = zone.key
        settings: GuildSettings | None
        if values:
            settings = await self.ctx.store.update_guild_settings(
                guild_id, values, self.ctx.clock.now()
            )
        else:
            settings = await self.ctx.store.guild_settings(guild_id)
        return settings_card(settings, saved=bool(values))

    async def moderator_role(self, guild_id: int) -> int | None:
        settings = await self.ctx.store.guild_settings(guild_id)
        return settings.moderator_role_id if settings else None

    async def leaderboard_channel(self, guild_id: int) -> int | None:
        settings = await self.ctx.store.guild_settings(guild_id)
        return settings.leaderboard_channel_id if settings else None

    async def reload_content(self) -> Card:
        """Load content anew off the event loop; on problems keep the old and list them."""
        if self._reload_content is None:
            raise UserError("Reloading content is not available here.")
        try:
            curriculum = await asyncio.to_thread(self._reload_content)
        except ContentError as error:
            raise ContentProblems(error.problems) from None
        return Card(
            title="Content reloaded",
            body=(
                f"{len(curriculum.lessons)} lessons in {len(curriculum.tracks)} tracks, "
                f"{len(curriculum.items)} quiz items in {len(curriculum.topics)} topics, "
                f"{len(curriculum.exercises)} exercises."
            ),
            tone=Tone.SUCCESS,
            ephemeral=True,
        )


def _retention(value: float) -> float:
    """90 and 0.9 both mean 90%: moderators type either."""
    return round(value / 100 if value > 1 else value, 4)


def _channel(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else "not set"


def settings_card(settings: GuildSettings | None, saved: bool) -> Card:
    """The server's settings; channel and role ids are shown as Discord mentions."""
    role = settings.moderator_role_id if settings else None
    return Card(
        title="Server settings saved" if saved else "Server settings",
        fields=(
            CardField("Lessons", _channel(settings.lesson_channel_id if settings else None), True),
            CardField(
                "Challenges", _channel(settings.challenge_channel_id if settings else None), True
            ),
            CardField(
                "Leaderboards",
                _channel(settings.leaderboard_channel_id if settings else None),
                True,
            ),
            CardField("Time zone", settings.timezone if settings else "UTC", True),
            CardField("Moderator role", f"<@&{role}>" if role else "Manage Server only", True),
            CardField(
                "Missed posts", f"up to {settings.grace_hours if settings else 6} h late", True
            ),
            CardField(
                "Quiz results",
                "announced" if settings is None or settings.announce_quizzes else "kept private",
                True,
            ),
            CardField(
                "Reviews",
                f"{settings.retention if settings else DEFAULT_RETENTION:.0%} retention, "
                f"{settings.new_per_day if settings else DEFAULT_NEW_PER_DAY} new cards a day",
                True,
            ),
        ),
        footer="Days, challenges and leaderboard weeks follow the server's time zone",
        tone=Tone.SUCCESS if saved else Tone.INFO,
        ephemeral=True,
    )
