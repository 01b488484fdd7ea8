"""What every service shares: storage, the clock, the loaded curriculum and a seeded RNG."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.curriculum.model import Curriculum
from bot.domain.progress import local_day, member_zone
from bot.domain.values import MemberRef, MemberView
from bot.storage.store import Store


@dataclass
class Context:
    store: Store
    clock: Clock
    curriculum: Curriculum  # replaced as a whole when content is reloaded
    rng: random.Random = field(default_factory=random.SystemRandom)

    def today_of(self, view: MemberView) -> tuple[ZoneInfo, date]:
        """A member's zone (member, else guild, else UTC) and today's date there."""
        zone = member_zone(view.timezone, view.guild_timezone)
        return zone, local_day(self.clock.now(), zone)

    async def member_day(self, who: MemberRef) -> tuple[MemberView, ZoneInfo, date]:
        view = await self.store.member(who, self.clock.now())
        zone, today = self.today_of(view)
        return view, zone, today
