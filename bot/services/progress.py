"""Streaks and XP of one member, computed from the stored activity days."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.cards import Card, CardField, Tone, UserError
from bot.domain.progress import Streak, streak_from_days, zone_named
from bot.domain.values import MemberRef, Profile
from bot.services.context import Context


def _days(count: int) -> str:
    return f"{count} day{'s' * (count != 1)}"


def _zone(name: str) -> ZoneInfo:
    zone = zone_named(name.strip())
    if zone is None:
        raise UserError(
            f"`{name.strip()}` is not an IANA time zone; try one like "
            "`Europe/Berlin`, `America/New_York` or `Asia/Kolkata`."
        )
    return zone


class ProgressService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def streak(self, who: MemberRef) -> tuple[Streak, Profile]:
        """The member's streak as of their today, from the stored days (one read)."""
        profile = await self.ctx.store.profile(who)
        _zone, today = self.ctx.today_of(profile.view)
        return streak_from_days(profile.days, today), profile

    async def streak_card(self, who: MemberRef) -> Card:
        streak, profile = await self.streak(who)
        view = profile.view
        zone, _today = self.ctx.today_of(view)
        if streak.active_today:
            status = "You studied today. Come back tomorrow to keep it going."
        elif streak.at_risk:
            status = "Study today (a lesson or one quiz answer) to keep your streak."
        else:
            status = "Finish a lesson or answer a quiz question to start a streak."
        return Card(
            title=f"🔥 {view.display_name}'s streak" if view.display_name else "🔥 Your streak",
            body=status,
            fields=(
                CardField("Current", _days(streak.current), True),
                CardField("Best", _days(streak.best), True),
                CardField("XP", str(view.xp_total), True),
            ),
            footer=f"Days are counted in {zone.key}",
            tone=Tone.SUCCESS if streak.active_today else Tone.INFO,
        )

    async def profile_card(self, who: MemberRef) -> Card:
        """Everything about one member at a glance: XP, streak, lessons, accuracy, zone."""
        streak, profile = await self.streak(who)
        view = profile.view
        zone, _today = self.ctx.today_of(view)
        lessons = self.ctx.curriculum.lessons
        accuracy = (
            f"{100 * profile.correct / profile.answered:.0f}% "
            f"({profile.correct} of {profile.answered} right)"
            if profile.answered
            else "no answers yet"
        )
        done = len(profile.lessons_done & set(lessons))
        return Card(
            title=f"👤 {view.display_name}" if view.display_name else "👤 Your profile",
            fields=(
                CardField("XP", str(view.xp_total), True),
                CardField("Streak", f"{streak.current} (best {_days(streak.best)})", True),
                CardField("Lessons", f"{done}/{len(lessons)} done", True),
                CardField("Quiz accuracy", accuracy, True),
                CardField("Time zone", zone.key, True),
            ),
            footer="Set your zone with /timezone so days end at your midnight",
        )

    async def set_timezone(self, who: MemberRef, zone_name: str) -> Card:
        """Days (and so streaks) are counted in this zone from now on."""
        zone = _zone(zone_name)
        await self.ctx.store.set_member_timezone(who, zone.key, self.ctx.clock.now())
        local = self.ctx.clock.now().astimezone(zone)
        return Card(
            title="Time zone saved",
            body=f"Your days now follow **{zone.key}** (it is {local:%H:%M} on {local:%A} there).",
            ephemeral=True,
            tone=Tone.SUCCESS,
        )

    async def settle_zone(self, who: MemberRef, chosen: str | None, fallback: str) -> str:
        """The zone a session starts in: `chosen` is saved; otherwise the saved zone stays, and
        only a member with none yet gets `fallback` (the computer's zone). Returns the zone."""
        if chosen:
            zone = _zone(chosen)
            await self.ctx.store.set_member_timezone(who, zone.key, self.ctx.clock.now())
            return zone.key
        view = await self.ctx.store.member(who)
        if view.timezone:
            return view.timezone
        fallback_zone = zone_named(fallback) or zone_named("UTC")
        assert fallback_zone is not None
        await self.ctx.store.set_member_timezone(who, fallback_zone.key, self.ctx.clock.now())
        return fallback_zone.key
