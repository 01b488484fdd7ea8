"""Streaks and XP of one member, computed from the stored activity days."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.cards import Card, CardField, Tone, UserError
from bot.domain.progress import Streak, streak_from_days, zone_named
from bot.services.context import Context
from bot.storage.store import MemberRef, MemberView


class ProgressService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def streak(self, who: MemberRef) -> tuple[Streak, MemberView, ZoneInfo]:
        view, zone, today = await self.ctx.member_day(who)
        days = await self.ctx.store.activity_days(who)
        return streak_from_days(days, today), view, zone

    async def streak_card(self, who: MemberRef) -> Card:
        streak, view, zone = await self.streak(who)
        if streak.active_today:
            status = "You studied today. Come back tomorrow to keep it going."
        elif streak.at_risk:
            status = "Study today (a lesson or one quiz answer) to keep your streak."
        else:
            status = "Finish a lesson or answer a quiz question to start a streak."
        name = view.display_name or "Your"
        return Card(
            title=f"🔥 {name}'s streak" if view.display_name else "🔥 Your streak",
            body=status,
            fields=(
                CardField("Current", f"{streak.current} day{'s' * (streak.current != 1)}", True),
                CardField("Best", f"{streak.best} day{'s' * (streak.best != 1)}", True),
                CardField("XP", str(view.xp_total), True),
            ),
            footer=f"Days are counted in {zone.key}",
            tone=Tone.SUCCESS if streak.active_today else Tone.INFO,
        )

    async def profile_card(self, who: MemberRef) -> Card:
        """Everything about one member at a glance: XP, streak, lessons, accuracy, zone."""
        streak, view, zone = await self.streak(who)
        done = await self.ctx.store.completed_lessons(who)
        answered, correct = await self.ctx.store.quiz_totals(who)
        lessons = self.ctx.curriculum.lessons
        accuracy = (
            f"{100 * correct / answered:.0f}% ({correct} of {answered} right)"
            if answered
            else "no answers yet"
        )
        best = f"{streak.best} day{'s' * (streak.best != 1)}"
        return Card(
            title=f"👤 {view.display_name}" if view.display_name else "👤 Your profile",
            fields=(
                CardField("XP", str(view.xp_total), True),
                CardField("Streak", f"{streak.current} (best {best})", True),
                CardField("Lessons", f"{len(done & set(lessons))}/{len(lessons)} done", True),
                CardField("Quiz accuracy", accuracy, True),
                CardField("Time zone", zone.key, True),
            ),
            footer="Set your zone with /timezone so days end at your midnight",
        )

    async def set_timezone(self, who: MemberRef, zone_name: str) -> Card:
        """Days (and so streaks) are counted in this zone from now on."""
        zone = zone_named(zone_name.strip())
        if zone is None:
            raise UserError(
                f"`{zone_name.strip()}` is not an IANA time zone; try one like "
                "`Europe/Berlin`, `America/New_York` or `Asia/Kolkata`."
            )
        await self.ctx.store.set_member_timezone(who, zone.key, self.ctx.clock.now())
        local = self.ctx.clock.now().astimezone(zone)
        return Card(
            title="Time zone saved",
            body=f"Your days now follow **{zone.key}** (it is {local:%H:%M} on {local:%A} there).",
            ephemeral=True,
            tone=Tone.SUCCESS,
        )
