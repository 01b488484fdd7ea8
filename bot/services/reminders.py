"""Streak reminders: a member who opts in gets one DM on a day they have not studied yet, a
few hours before that day ends in their zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from bot.cards import Card, Tone
from bot.domain.progress import local_day, member_zone
from bot.domain.values import MemberRef
from bot.services.context import Context

WINDOW_START = time(20, 0)  # four hours before the member's day ends
WINDOW_END = time(21, 0)


@dataclass(frozen=True)
class Reminder:
    who: MemberRef
    card: Card


class ReminderService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def set(self, who: MemberRef, on: bool) -> Card:
        await self.ctx.store.timed.set_reminders(who, on, self.ctx.clock.now())
        body = (
            "On a day you have not studied yet, I will send you one DM at 20:00 in your zone "
            "(set it with /timezone). `/remind off` stops them."
            if on
            else "No more reminders. `/remind on` brings them back."
        )
        return Card(
            title="🔔 Reminders on" if on else "🔕 Reminders off",
            body=body,
            ephemeral=True,
            tone=Tone.SUCCESS,
        )

    async def due(
        self, now: datetime, owns: Callable[[int], bool] = lambda _guild: True
    ) -> list[Reminder]:
        """Reminders to send now for the servers `owns` accepts, each claimed (at most one a
        member a day)."""
        found = []
        for target in await self.ctx.store.timed.reminder_targets(now):
            if not owns(target.guild_id):
                continue
            zone = member_zone(target.timezone, target.guild_timezone)
            local = now.astimezone(zone)
            today = local_day(now, zone)
            if not (WINDOW_START <= local.time() < WINDOW_END):
                continue
            if target.last_active_day == today or target.reminded_on == today:
                continue
            who = MemberRef(target.guild_id, target.user_id, target.display_name)
            if await self.ctx.store.timed.claim_reminder(who, today):
                found.append(Reminder(who, self.card()))
        return found

    @staticmethod
    def card() -> Card:
        return Card(
            title="🔥 Your streak is waiting",
            body=(
                "You have not studied today yet. A lesson, the daily challenge, a solved exercise "
                "or three quiz or review answers count the day: `/lesson`, `/daily` or `/review` "
                "in the server. (`/remind off` stops these.)"
            ),
        )

    async def undeliverable(self, who: MemberRef) -> None:
        """A DM that cannot be delivered switches reminders off, quietly."""
        await self.ctx.store.timed.set_reminders(who, False, self.ctx.clock.now())
