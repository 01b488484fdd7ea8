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
        self, guild_id: int, period: str = "week", limit: int = 10, chart: bool = False
    ) -> Card:
        """The board; `chart` adds a bar chart (drawn off the event loop) and "My rank"."""
        period, since, zone = await self._since(guild_id, period)
        standings = await self.ctx.store.leaderboard(guild_id, since, limit)
        if not standings:
            body = "Nobody has earned XP yet in this period. Be the first: try `/quiz`."
        else:
            body = "\n".join(
                f"{MEDALS.get(rank, f'**{rank}.**')} {s.display_name} — {s.xp} XP"
                for rank, s in enumerate(standings, 1)
            )
        footer = f"Weeks start on Monday in {zone}" if period == "week" else zone
        images: tuple[Image, ...] = ()
        if chart and standings:
            images = (await asyncio.to_thread(leaderboard_chart, standings, PERIODS[period]),)
        return Card(
            title=f"🏆 Leaderboard — {PERIODS[period]}",
            body=body,
            footer=footer,
            images=images,
            actions=(Action(MyRank(period=period), "My rank"),) if chart else (),
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
