"""What every service shares: storage, the clock, the loaded curriculum and a seeded RNG."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.curriculum.model import Curriculum
from bot.domain.progress import local_day, member_zone
from bot.storage.store import MemberRef, MemberView, Store


@dataclass
class Context:
    store: Store
    clock: Clock
    curriculum: Curriculum  # replaced as a whole when content is reloaded
    rng: random.Random = field(default_factory=random.SystemRandom)

    async def member_day(self, who: MemberRef) -> tuple[MemberView, ZoneInfo, date]:
        """The member, their zone and today's date there (member zone, else guild, else UTC)."""
        view = await self.store.member(who)
        assert view is not None
        zone = member_zone(view.timezone, view.guild_timezone)
        return view, zone, local_day(self.clock.now(), zone)
