"""The dispatcher: APScheduler 3 jobs made from the database's schedules, and the delivery of
what each job's service call returns through a transport's `Poster`.

APScheduler only decides when; the database decides what and whether. Jobs are rebuilt from
the schedules at start and whenever they change (any process: the version of the schedules is
polled), a start catches up on posts missed within their window, and a sweep takes over claims
that lapsed (a process died mid-post). With several bot processes (Discord's sharding) each
dispatches only the servers of its own shards; the claims make a handover safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]

from bot.cards import Card
from bot.clock import Clock
from bot.domain.schedules import Timetable, fires_between, next_fire
from bot.domain.values import MemberRef, ScheduleRow
from bot.services import Services
from bot.services.schedules import Notice, Planned, Post

log = logging.getLogger(__name__)


class ChannelGone(Exception):
    """The channel was deleted or the bot may no longer post there: the schedule stops."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PostFailed(Exception):
    """A post failed for a passing reason (Discord down): its claim lapses and is retried."""


class Poster(Protocol):
    """What a transport does with posts: Discord sends messages, the console prints cards."""

    async def publish(self, post: Post) -> int | None:
        """Send (or edit) the post's message; its id. Raises ChannelGone or PostFailed."""
        ...

    async def find(self, post: Post) -> int | None:
        """The post's message if an earlier attempt sent it (a lapsed claim), else None."""
        ...

    async def notify(self, notice: Notice) -> None: ...

    async def dm(self, who: MemberRef, card: Card) -> bool:
        """Send a member a private card; False when they cannot be reached."""
        ...


class Owner(Protocol):
    def owns(self, guild_id: int) -> bool: ...


@dataclass(frozen=True)
class OneServer:
    """The console's local server, and nothing else."""

    guild_id: int

    def owns(self, guild_id: int) -> bool:
        return guild_id == self.guild_id


@dataclass(frozen=True)
class Shards:
    """Which servers this process owns: Discord's formula, (guild_id >> 22) % count."""

    count: int = 1
    ids: frozenset[int] = frozenset({0})

    def owns(self, guild_id: int) -> bool:
        return self.count <= 1 or (guild_id >> 22) % self.count in self.ids


class TimetableTrigger(BaseTrigger):
    """APScheduler trigger over the domain's fire instants (DST rules in one place)."""

    __slots__ = ("timetable", "zone")

    def __init__(self, timetable: Timetable, zone: ZoneInfo) -> None:
        self.timetable = timetable
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = previous_fire_time or now - timedelta(microseconds=1)
        return next_fire(self.timetable, self.zone, max(after, now - timedelta(microseconds=1)))

    def __getstate__(self) -> dict[str, Any]:
        return {"timetable": self.timetable, "zone": self.zone.key}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.timetable, self.zone = state["timetable"], ZoneInfo(state["zone"])

    def __str__(self) -> str:
        return f"timetable[{self.timetable.days_text} {self.timetable.time_text} {self.zone.key}]"


@dataclass
class Dispatcher:
    services: Services
    poster: Poster
    clock: Clock
    shards: Owner = field(default_factory=Shards)
    poll_seconds: float = 30.0
    sweep_seconds: float = 30.0
    remind_seconds: float = 600.0
    scheduler: AsyncIOScheduler | None = None
    _version: Any = None
    _jobs: set[str] = field(default_factory=set)

    # -- life --------------------------------------------------------------------------

    async def start(self) -> None:
        """Jobs from the database, housekeeping jobs, then a catch-up of missed posts."""
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        await self.sync()
        self.scheduler.add_job(self.poll, "interval", seconds=self.poll_seconds, id="poll")
        self.scheduler.add_job(self.sweep, "interval", seconds=self.sweep_seconds, id="sweep")
        self.scheduler.add_job(self.remind, "interval", seconds=self.remind_seconds, id="remind")
        self.scheduler.start()
        await self.catch_up()

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def plans(self) -> list[Planned]:
        return [p for p in await self.services.schedules.planned() if self.shards.owns(p.guild_id)]

    async def sync(self) -> int:
        """Make the jobs match the database: one job per switched-on schedule of our shards."""
        self._version = await self.services.ctx.store.timed.version()
        plans = await self.plans()
        wanted = {f"schedule-{p.schedule_id}": p for p in plans}
        if self.scheduler is not None:
            for job_id in self._jobs - set(wanted):
                self.scheduler.remove_job(job_id)
            for job_id, plan in wanted.items():
                self.scheduler.add_job(
                    self.run,
                    TimetableTrigger(plan.timetable, plan.zone),
                    args=[plan.row],
                    id=job_id,
                    replace_existing=True,
                    name=f"{plan.kind.value} of guild {plan.guild_id}",
                )
        self._jobs = set(wanted)
        return len(wanted)

    async def poll(self) -> None:
        """Another process (or the CLI) may have changed a schedule: rebuild when it did."""
        try:
            if await self.services.ctx.store.timed.version() != self._version:
                count = await self.sync()
                log.info("schedules changed: %d jobs", count)
        except Exception:
            log.exception("could not check the schedules for changes")

    # -- posting -----------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Posts missed while no process ran: each schedule's latest fire, if in its window."""
        for plan in await self.plans():
            await self.run(plan.row)

    async def tick(self, start: datetime, end: datetime) -> None:
        """Run every schedule that fires in (start, end], in order: what APScheduler does in
        real time, for an injected clock (tests) and the console."""
        due = sorted(
            (fire, plan.schedule_id, plan)
            for plan in await self.plans()
            for fire in fires_between(plan.timetable, plan.zone, start, end)
        )
        for fire, _id, plan in due:
            await self.run(plan.row, fire)

    async def run(self, schedule: ScheduleRow, now: datetime | None = None) -> None:
        """One job: what the schedule has due now (or at `now`), delivered."""
        try:
            posts = await self.services.schedules.fire(schedule, now or self.clock.now())
        except Exception:
            log.exception("schedule %d: could not prepare its post", schedule.id)
            return
        for post in posts:
            await self.deliver(post)

    async def sweep(self) -> None:
        """Take over claims that lapsed without a message (their process died, say)."""
        try:
            posts = await self.services.schedules.lapsed(self.clock.now(), self.shards.owns)
        except Exception:
            log.exception("could not look for lapsed claims")
            return
        for post in posts:
            await self.deliver(post)

    async def deliver(self, post: Post) -> None:
        """Post (or find) the message, then record it: the end of the claim."""
        try:
            message_id = await self.poster.find(post) if post.look_first else None
            if message_id is not None:
                log.info("guild %d: %s %s was posted before; recorded", *_about(post))
            else:
                message_id = await self.poster.publish(post)
        except ChannelGone as gone:
            log.warning("guild %d: %s %s: %s", *_about(post), gone.reason)
            notice = await self.services.schedules.broke(post, gone.reason)
            if notice is not None:
                await self._notify(notice)
            return
        except PostFailed as failed:
            log.warning("guild %d: %s %s failed, retried later: %s", *_about(post), failed)
            return
        except Exception:
            log.exception("guild %d: %s %s failed", *_about(post))
            return
        await self.services.schedules.posted(post, message_id)

    async def _notify(self, notice: Notice) -> None:
        try:
            await self.poster.notify(notice)
        except Exception:
            log.exception("could not tell guild %d's moderators", notice.guild_id)

    async def remind(self) -> None:
        """Streak reminders due now, one a member a day; an unreachable member is switched off."""
        try:
            due = await self.services.reminders.due(self.clock.now(), self.shards.owns)
        except Exception:
            log.exception("could not gather reminders")
            return
        for reminder in due:
            try:
                delivered = await self.poster.dm(reminder.who, reminder.card)
            except Exception:
                log.exception("reminder to %s failed", reminder.who.user_id)
                continue
            if not delivered:
                await self.services.reminders.undeliverable(reminder.who)


def _about(post: Post) -> tuple[int, str, str]:
    return post.guild_id, post.kind, post.key
