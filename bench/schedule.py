"""How the dispatcher scales with servers: `python bench/schedule.py`.

Prints one line per figure:
- rebuild N servers: the time `Dispatcher.sync` takes to read every schedule (lessons,
  challenge and leaderboard for each of N servers, in as many zones) from SQLite and make an
  APScheduler job of each, as at a bot's start (target < 5 s for 10,000 servers);
- prepare N challenges: the CPU time of N daily-challenge posts made ready by the service
  (claim in the deliveries table, pick and store the challenge, build its card) (target < 10 s);
- post through the fake Discord: a sample of challenge posts delivered by the real Discord
  poster through the test fake with Discord's rate limits on, paced by discord.py's limiter,
  with the number of 429s and posts per second.
Asserts nothing; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from bot.clock import FrozenClock  # noqa: E402
from bot.curriculum.loader import load_curriculum  # noqa: E402
from bot.scheduling.dispatcher import Dispatcher  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.services.context import Context  # noqa: E402
from bot.settings import ROOT as REPO  # noqa: E402
from bot.storage import migrate  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.models import GuildSettings, Schedule  # noqa: E402
from bot.storage.store import Store  # noqa: E402

SERVERS = 10_000
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class NullPoster:
    async def publish(self, post: object) -> int:
        return 1

    async def find(self, post: object) -> None:
        return None

    async def notify(self, notice: object) -> None:
        return None

    async def dm(self, who: object, card: object) -> bool:
        return False


def seed(db: Database, servers: int) -> None:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z)
    rng = random.Random(1)

    def work(session: Session) -> None:
        for n in range(servers):
            guild = (n + 1) << 22 | n
            session.add(
                GuildSettings(
                    guild_id=guild, timezone=rng.choice(zones), created_at=NOW, updated_at=NOW
                )
            )
            common = {"guild_id": guild, "channel_id": n + 1, "created_at": NOW, "updated_at": NOW}
            session.add(Schedule(kind="lessons", hour=8, minute=0, days="daily", **common))
            # At local midnight: whatever the zone, the day's challenge is due and in its window.
            session.add(Schedule(kind="challenge", hour=0, minute=0, days="daily", **common))
            session.add(
                Schedule(kind="leaderboard", hour=18, minute=0, days="sun", period="week", **common)
            )

    db.run_sync(work)


def services_on(db: Database) -> Services:
    curriculum = load_curriculum(REPO / "content", REPO / "quizzes")
    ctx = Context(Store(db), FrozenClock(NOW), curriculum, random.Random(1))
    return Services.build(ctx)


async def rebuild(db: Database) -> tuple[float, int]:
    services = services_on(db)
    dispatcher = Dispatcher(services, NullPoster(), services.ctx.clock)
    from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

    dispatcher.scheduler = AsyncIOScheduler(timezone=UTC)
    dispatcher.scheduler.start(paused=True)
    began = time.perf_counter()
    jobs = await dispatcher.sync()
    elapsed = time.perf_counter() - began
    dispatcher.scheduler.shutdown(wait=False)
    return elapsed, jobs


async def prepare(db: Database, count: int) -> tuple[float, float, int]:
    services = services_on(db)
    challenges = [p for p in await services.schedules.planned() if p.kind.value == "challenge"]
    began_cpu, began = time.process_time(), time.perf_counter()
    made = 0
    for plan in challenges[:count]:
        made += len(await services.schedules.fire(plan.row, NOW))
    return time.process_time() - began_cpu, time.perf_counter() - began, made


async def through_fake(posts: int) -> tuple[float, int, int]:
    """Challenge posts to `posts` channels delivered by the Discord poster to the fake, with
    Discord's rate limits on: (seconds, messages delivered, requests answered 429)."""
    from bot.adapters.discord.bot import StudyBot
    from bot.adapters.discord.poster import DiscordPoster
    from bot.services.schedules import Post, nonce_of
    from tests.fakediscord import FakeDiscord

    fake = FakeDiscord(timeout=60, rate_limits=True)
    guild = fake.add_guild("Bench")
    channels = [guild.add_channel(f"c{n}") for n in range(posts)]
    await fake.start()
    folder = tempfile.mkdtemp(prefix="studybot-bench-schedule-")
    url = f"sqlite:///{folder}/b.db"
    migrate.upgrade(url)
    db = Database(url)
    services = services_on(db)
    bot = StudyBot(services, guild_ready_timeout=0.1, scheduler=False)
    try:
        with fake.patch_discord_py():
            async with fake.connected(bot):
                poster = DiscordPoster(bot)
                challenge, answered = await services.challenges.of_day(guild.id, NOW.date())
                card = services.challenges.challenge_card(challenge, answered)
                made = [
                    Post(
                        delivery_id=None,
                        schedule_id=None,
                        guild_id=guild.id,
                        kind="challenge",
                        key=f"k{n}",
                        channel_id=channel.id,
                        cards=(card,),
                        nonce=nonce_of(guild.id, "challenge", f"k{n}"),
                        title=card.title,
                    )
                    for n, channel in enumerate(channels)
                ]
                began = time.perf_counter()
                await asyncio.gather(*(poster.publish(post) for post in made))
                elapsed = time.perf_counter() - began
        delivered = sum(len(fake.channel_messages(channel)) for channel in channels)
        return elapsed, delivered, len(fake.rate_limited)
    finally:
        db.close()
        await fake.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/schedule.db"
        migrate.upgrade(url)
        db = Database(url)
        began = time.perf_counter()
        seed(db, SERVERS)
        print(f"seeded {SERVERS} servers (3 schedules each) in {time.perf_counter() - began:.1f} s")
        elapsed, jobs = asyncio.run(rebuild(db))
        print(f"rebuild {SERVERS} servers: {elapsed:.2f} s ({jobs} jobs; target < 5 s)")
        cpu, wall, made = asyncio.run(prepare(db, SERVERS))
        print(f"prepare {made} challenge posts: {cpu:.2f} s CPU, {wall:.2f} s wall (target < 10 s)")
        db.close()
    elapsed, delivered, limited = asyncio.run(through_fake(60))
    print(
        f"post 60 challenges through the fake Discord with rate limits: {elapsed:.1f} s,"
        f" {delivered} delivered, {limited} answered 429 ({delivered / elapsed:.1f} posts/s)"
    )


if __name__ == "__main__":
    main()
