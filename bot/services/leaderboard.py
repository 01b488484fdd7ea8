"""Per-guild leaderboards: XP earned this week, this month, or ever; a member's own rank."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.cards import Action, Card, Image, Tone, UserError
from bot.domain.progress import member_zone, period_start
from bot.domain.values import MemberRef, Standing
from bot.intents import MyRank
from bot.services.charts import leaderboard_chart
from bot.services.context import Context

PERIODS = {"week": "this week", "month": "this month", "all": "all time"}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class LeaderboardService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def _since(self, guild_id: int, period: str) -> tuple[str, datetime | None, str]:
        period = period.strip().lower() or "week"
        if period not in PERIODS:
            raise UserError(f"Unknown period `{period}`; use one of: {', '.join(PERIODS)}.")
        settings = await self.ctx.store.guild_settings(guild_id)
        zone = member_zone(None, settings.timezone if settings else None)
        return period, period_start(self.ctx.clock.now(), zone, period), zone.key

    async def standings(self, guild_id: int, period: str, limit: int = 10) -> list[Standing]:
        period, since, _zone = await self._since(guild_id, period)
        return await self.ctx.store.leaderboard(guild_id, since, limit)

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
        period, since, zone = await self._since(guild_id, period)
        standings = await self.ctx.store.leaderboard(guild_id, since, limit)
        me = viewer.user_id if viewer is not None else None
        lines = [
            f"{MEDALS.get(rank, f'**{rank}.**')} <@{s.user_id}> — "
            + (f"**{s.xp} XP** ← you" if s.user_id == me else f"{s.xp} XP")
            for rank, s in enumerate(standings, 1)
        ]
        if not standings:
            lines = ["Nobody has earned XP yet in this period. Be the first: try `/quiz`."]
        if viewer is not None and all(s.user_id != me for s in standings):
            found = await self.ctx.store.rank_of(guild_id, viewer.user_id, since)
            if found is not None:
                rank, xp, ranked = found
                lines.append(f"\n**You:** #{rank} of {ranked} with {xp} XP")
        body = "\n".join(lines)
        footer = f"Weeks start on Monday in {zone}" if period == "week" else zone
        images: tuple[Image, ...] = ()
        if chart and standings:
            images = (await asyncio.to_thread(leaderboard_chart, standings, PERIODS[period]),)
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
        period, since, _zone = await self._since(who.guild_id, period)
        found = await self.ctx.store.rank_of(who.guild_id, who.user_id, since)
        if found is None:
            body = f"You have no XP {PERIODS[period]} yet: a `/quiz` answer puts you on the board."
        else:
            rank, xp, ranked = found
            body = f"You are **#{rank}** of {ranked} with **{xp} XP** {PERIODS[period]}."
        return Card(title="🏆 Your rank", body=body, ephemeral=True, tone=Tone.INFO)
