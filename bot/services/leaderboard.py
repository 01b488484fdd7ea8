"""Per-guild leaderboards: XP earned this week, this month, or ever."""

from __future__ import annotations

from bot.cards import Card, UserError
from bot.domain.progress import member_zone, period_start
from bot.services.context import Context

PERIODS = {"week": "this week", "month": "this month", "all": "all time"}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


class LeaderboardService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def card(self, guild_id: int, period: str = "week", limit: int = 10) -> Card:
        period = period.strip().lower() or "week"
        if period not in PERIODS:
            raise UserError(f"Unknown period `{period}`; use one of: {', '.join(PERIODS)}.")
        settings = await self.ctx.store.guild_settings(guild_id)
        zone = member_zone(None, settings.timezone if settings else None)
        since = period_start(self.ctx.clock.now(), zone, period)
        standings = await self.ctx.store.leaderboard(guild_id, since, limit)
        if not standings:
            body = "Nobody has earned XP yet in this period. Be the first: try `/quiz`."
        else:
            body = "\n".join(
                f"{MEDALS.get(rank, f'**{rank}.**')} {s.display_name} — {s.xp} XP"
                for rank, s in enumerate(standings, 1)
            )
        footer = f"Weeks start on Monday in {zone.key}" if period == "week" else zone.key
        return Card(title=f"🏆 Leaderboard — {PERIODS[period]}", body=body, footer=footer)
