"""Per-guild leaderboards: XP earned this week, this month, in the last 30 days, or ever; a
member's own rank. The totals are maintained as XP is awarded (bot/storage/engine.py), so a
board is one index range however big the server."""

from __future__ import annotations

import asyncio

from bot.cards import Action, Card, Image, Tone, UserError
from bot.domain.progress import member_zone
from bot.domain.values import MemberRef, Standing
from bot.intents import MyRank
from bot.services.context import Context
from bot.services.pictures import leaderboard_image

PERIODS = {
    "week": "this week",
    "month": "this month",
    "rolling": "the last 30 days",
    "all": "all time",
}
ALIASES = {"30": "rolling", "30d": "rolling", "rolling30": "rolling", "ever": "all"}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class LeaderboardService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _period(self, guild_id: int, period: str) -> tuple[str, str]:
        period = period.strip().lower() or "week"
        period = ALIASES.get(period, period)
        if period not in PERIODS:
            raise UserError(f"Unknown period `{period}`; use one of: {', '.join(PERIODS)}.")
        settings = await self.ctx.store.guild_settings(guild_id)
        zone = member_zone(None, settings.timezone if settings else None)
        return period, zone.key

    async def standings(self, guild_id: int, period: str, limit: int = 10) -> list[Standing]:
        period, _zone = await self._period(guild_id, period)
        return await self.ctx.store.leaderboard(guild_id, period, self.ctx.clock.now(), limit)

    async def card(
        self,
        guild_id: int,
        period: str = "week",
        limit: int = 10,
        chart: bool = False,
        viewer: MemberRef | None = None,
    ) -> Card:
        """The board, members as mentions (chat shows their current name and embeds never
        ping); `chart` adds a bar chart (drawn off the event loop) and "My rank"; `viewer`
        adds where the caller stands."""
        period, zone = await self._period(guild_id, period)
        now = self.ctx.clock.now()
        standings = await self.ctx.store.leaderboard(guild_id, period, now, limit)
        me = viewer.user_id if viewer is not None else None
        lines = [
            f"{MEDALS.get(rank, f'**{rank}.**')} <@{s.user_id}> — "
            + (f"**{s.xp} XP** ← you" if s.user_id == me else f"{s.xp} XP")
            for rank, s in enumerate(standings, 1)
        ]
        if not standings:
            lines = ["Nobody has earned XP yet in this period. Be the first: try `/quiz`."]
        if viewer is not None and all(s.user_id != me for s in standings):
            found = await self.ctx.store.rank_of(guild_id, viewer.user_id, period, now)
            if found is not None:
                rank, xp, ranked = found
                lines.append(f"\n**You:** #{rank} of {ranked} with {xp} XP")
        body = "\n".join(lines)
        footer = {
            "week": f"Weeks start on Monday in {zone}",
            "rolling": f"Today and the 29 days before it, in {zone}",
        }.get(period, zone)
        footer += " · equal XP: who got there first ranks higher"
        images: tuple[Image, ...] = ()
        if chart and standings:
            rows = [(s.display_name, s.xp) for s in standings]
            data, alt = await asyncio.to_thread(leaderboard_image, rows, PERIODS[period])
            images = (Image("leaderboard.png", data, alt=alt),)
        names = tuple((s.user_id, s.display_name) for s in standings)
        if viewer is not None:
            names += ((viewer.user_id, viewer.display_name),)
        return Card(
            title=f"🏆 Leaderboard — {PERIODS[period]}",
            body=body,
            footer=footer,
            images=images,
            actions=(Action(MyRank(period=period), "📍 My rank"),) if chart else (),
            tone=Tone.BOARD,
            names=names,
        )

    async def my_rank(self, who: MemberRef, period: str) -> Card:
        period, _zone = await self._period(who.guild_id, period)
        now = self.ctx.clock.now()
        found = await self.ctx.store.rank_of(who.guild_id, who.user_id, period, now)
        if found is None:
            body = f"You have no XP {PERIODS[period]} yet: a `/quiz` answer puts you on the board."
        else:
            rank, xp, ranked = found
            body = f"You are **#{rank}** of {ranked} with **{xp} XP** {PERIODS[period]}."
        return Card(title="🏆 Your rank", body=body, ephemeral=True, tone=Tone.INFO)
