"""Streaks and XP of one member: the cached streak seen on the member's today, its events,
the streak mode and the time-zone rules (docs/rules.md)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.cards import Card, CardField, Image, Tone, UserError
from bot.domain.progress import zone_named
from bot.domain.streaks import (
    DEFAULT_WEEKLY_TARGET,
    FREEZE_EVERY,
    MAX_FREEZES,
    MODES,
    QUALIFYING_ANSWERS,
    WEEKLY_TARGETS,
    StreakEvent,
    StreakView,
)
from bot.domain.values import MemberRef
from bot.services.context import Context
from bot.services.pictures import profile_image


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


_EVENT_LINES = {
    "freeze_spent": "🧊 A freeze covered {day} (your {count}-day streak went on)",
    "freeze_earned": "🧊 Earned a freeze on {day} ({count} days in a row)",
    "milestone": "🏅 {count}-day milestone on {day}",
    "restarted": "↺ A new streak began on {day} (the {count}-day one ended)",
}
_WEEK_EVENT_LINES = {
    "milestone": "🏅 {count}-week milestone on {day}",
    "restarted": "↺ A new streak began on {day} (the {count}-week one ended)",
}


def _when(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _event_line(event: StreakEvent, weekly: bool) -> str:
    lines = _WEEK_EVENT_LINES if weekly and event.kind in _WEEK_EVENT_LINES else _EVENT_LINES
    return lines[event.kind].format(day=_when(event.day), count=event.count)


def _status(view: StreakView) -> str:
    if view.mode == "weekly":
        week = f"This week: {view.week_days} of {view.week_target} study days."
        if not view.alive:
            return f"{week} Reach {view.week_target} this week to start a weekly streak."
        if view.at_risk:
            return f"{week} Reach {view.week_target} by Sunday to keep your streak."
        return f"{week} This week counts."
    if view.studied_today:
        return "Today counts. Come back tomorrow to keep it going."
    if view.freezes_needed:
        spent = f"{view.freezes_needed} freeze{'s' * (view.freezes_needed != 1)}"
        return (
            f"You missed {_days(view.freezes_needed)}: studying today spends {spent} and "
            "keeps your streak."
        )
    if view.at_risk:
        return (
            "Study today to keep it: finish a lesson, answer the daily challenge, solve an "
            f"exercise, or answer {QUALIFYING_ANSWERS} quiz or review questions."
        )
    return (
        "Start a streak today: finish a lesson, answer the daily challenge, solve an exercise, "
        f"or answer {QUALIFYING_ANSWERS} quiz or review questions."
    )


class ProgressService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def streak(self, who: MemberRef) -> StreakView:
        """The member's streak as it stands on their today (one read; nothing is spent)."""
        facts = await self.ctx.store.streak(who, self.ctx.clock.now())
        return facts.state.on(facts.today, facts.forgiven)

    async def streak_card(self, who: MemberRef) -> Card:
        now = self.ctx.clock.now()
        facts = await self.ctx.store.streak(who, now)
        view = facts.state.on(facts.today, facts.forgiven)
        member = await self.ctx.store.member(who, now)
        zone, _today = self.ctx.today_of(member)
        weekly = view.mode == "weekly"
        unit = _weeks if weekly else _days
        fields = [
            CardField("Current", unit(view.current), True),
            CardField("Best", unit(view.best), True),
        ]
        if not weekly:
            fields.append(CardField("Freezes", f"🧊 {view.freezes} of {MAX_FREEZES}", True))
        fields.append(CardField("XP", str(member.xp_total), True))
        body = _status(view)
        if facts.events:
            recent = "\n".join(_event_line(e, weekly) for e in facts.events[:5])
            body += f"\n\n**Lately**\n{recent}"
        mode = (
            f"Weekly mode: {facts.state.target} days a week"
            if weekly
            else f"A freeze is earned every {FREEZE_EVERY} days (at most {MAX_FREEZES})"
        )
        return Card(
            title=f"🔥 {member.display_name}'s streak" if member.display_name else "🔥 Your streak",
            body=body,
            fields=tuple(fields),
            footer=f"Days are counted in {zone.key} · {mode}",
            tone=Tone.SUCCESS if view.studied_today else Tone.INFO,
        )

    async def set_mode(self, who: MemberRef, mode: str, days: int | None) -> Card:
        """Daily streaks, or a weekly target for members who cannot study every day."""
        mode = mode.strip().lower()
        if mode not in MODES:
            raise UserError(f"Unknown mode `{mode}`; use `daily` or `weekly`.")
        target = DEFAULT_WEEKLY_TARGET if days is None else days
        if target not in WEEKLY_TARGETS:
            low, high = WEEKLY_TARGETS[0], WEEKLY_TARGETS[-1]
            raise UserError(f"A weekly target is {low} to {high} days (every day is daily mode).")
        state = await self.ctx.store.set_streak_mode(who, mode, target, self.ctx.clock.now())
        if mode == "weekly":
            body = (
                f"Your streak now counts weeks with at least {target} study days "
                f"(Monday to Sunday). Counted again from your history: {_weeks(state.current)}."
            )
        else:
            body = (
                "Your streak counts days again. Counted again from your history: "
                f"{_days(state.current)}."
            )
        return Card(title="Streak mode saved", body=body, ephemeral=True, tone=Tone.SUCCESS)

    async def profile_card(self, who: MemberRef) -> Card:
        """Everything about one member at a glance: XP, streak, lessons, accuracy, zone."""
        now = self.ctx.clock.now()
        profile = await self.ctx.store.profile(who, now)
        streak = await self.streak(who)
        view = profile.view
        zone, today = self.ctx.today_of(view)
        lessons = self.ctx.curriculum.lessons
        accuracy = (
            f"{100 * profile.correct / profile.answered:.0f}% "
            f"({profile.correct} of {profile.answered} right)"
            if profile.answered
            else "no answers yet"
        )
        done = len(profile.lessons_done & set(lessons))
        unit = _weeks if streak.mode == "weekly" else _days
        image = await self._picture(who, view.display_name, profile.days, today, streak)
        return Card(
            title=f"👤 {view.display_name}" if view.display_name else "👤 Your profile",
            fields=(
                CardField("XP", str(view.xp_total), True),
                CardField("Streak", f"{streak.current} (best {unit(streak.best)})", True),
                CardField("Lessons", f"{done}/{len(lessons)} done", True),
                CardField("Quiz accuracy", accuracy, True),
                CardField("Time zone", zone.key, True),
            ),
            footer="Set your zone with /timezone so days end at your midnight",
            images=(image,),
        )

    async def _picture(
        self, who: MemberRef, name: str, days: tuple[date, ...], today: date, streak: StreakView
    ) -> Image:
        """The last 26 weeks as a calendar with XP over time, drawn off the event loop."""
        xp_by_day = await self.ctx.store.xp_by_day(who)
        numbers = (streak.current, streak.best, streak.studied_today)
        data, alt = await asyncio.to_thread(
            profile_image, list(days), today, xp_by_day, name or "You", numbers
        )
        return Image("profile.png", data, alt=alt)

    async def set_timezone(self, who: MemberRef, zone_name: str) -> Card:
        """A zone change by the rules (docs/rules.md): at once before any study; otherwise
        once per 7 days, from the next local midnight, so no day is lost or counted twice."""
        zone = _zone(zone_name)
        now = self.ctx.clock.now()
        change = await self.ctx.store.change_timezone(who, zone.key, now)
        local = now.astimezone(zone)
        if change.status == "same":
            body = f"Your days already follow **{zone.key}**."
        elif change.status == "set":
            body = f"Your days now follow **{zone.key}** (it is {local:%H:%M} on {local:%A} there)."
        elif change.status == "pending":
            assert change.at is not None
            body = f"Your days switch to **{zone.key}** on {_instant(change.at, zone)}."
        elif change.status == "too_soon":
            assert change.at is not None
            raise UserError(
                "You can change your time zone once every 7 days; the next change is "
                f"possible from {_instant(change.at, zone)}."
            )
        else:
            assert change.at is not None
            body = (
                f"Your days switch to **{zone.key}** at your next midnight "
                f"({_instant(change.at, zone)}). Today ends as it began."
            )
            if change.forgiven:
                skipped = ", ".join(_when(d) for d in change.forgiven)
                body += f" The change skips {skipped}: your streak will not miss it."
        return Card(title="Time zone saved", body=body, ephemeral=True, tone=Tone.SUCCESS)

    async def settle_zone(self, who: MemberRef, chosen: str | None, fallback: str) -> str:
        """The zone a session starts in: `chosen` is asked for (by the rules of a change);
        otherwise the saved zone stays, and only a member with none yet gets `fallback` (the
        computer's zone). Returns the zone in force now."""
        now = self.ctx.clock.now()
        view = await self.ctx.store.member(who, now)
        if chosen:
            zone = _zone(chosen)
            change = await self.ctx.store.change_timezone(who, zone.key, now)
            if change.status in ("set", "same"):
                return zone.key
            return view.timezone or zone.key
        if view.timezone:
            return view.timezone
        fallback_zone = zone_named(fallback) or zone_named("UTC")
        assert fallback_zone is not None
        await self.ctx.store.change_timezone(who, fallback_zone.key, now)
        return fallback_zone.key


def _weeks(count: int) -> str:
    return f"{count} week{'s' * (count != 1)}"


def _instant(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M} ({zone.key})"
