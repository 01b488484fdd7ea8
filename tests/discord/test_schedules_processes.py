"""Timed posts by the real `studybot run` process, started with `faketime` at a chosen instant,
against the fake Discord: killed (SIGKILL) between claiming a post and sending it, and between
sending it and recording it, then restarted: the post is made once or recognised as made. And
two bot processes, shards 0 and 1 of 2, on one PostgreSQL: twenty servers' posts, each once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.storage import migrate
from tests.ci import unavailable
from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import StudyServer, seed_study_server, seed_study_servers
from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
DAY = "2026-11-23"


def libfaketime() -> str:
    """libfaketime itself, preloaded into the bot: the `faketime` wrapper forks and would
    swallow the signals the tests send. The thread-safe build: the bot uses threads."""
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))
    if not found:
        unavailable("libfaketime is not installed (Debian package faketime)")
    return str(found[0])


@asynccontextmanager
async def bot_process(
    fake: FakeDiscord, database_url: str, at: str, **settings: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`studybot run`, its clock starting at `at` (UTC), pointed at the fake; killed on exit."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env = {
        **clean,
        "TZ": "UTC",
        "STUDYBOT_DATABASE_URL": database_url,
        "STUDYBOT_DISCORD_TOKEN": fake.token,
        "STUDYBOT_DISCORD_API_BASE": fake.api_base,
        "STUDYBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        "STUDYBOT_DISCORD_GUILD_READY_TIMEOUT": "0.2",
        "STUDYBOT_DELIVERY_LEASE_SECONDS": "2",
        "STUDYBOT_RUNNER_URL": "http://127.0.0.1:9",  # no runner: these bots never run code
        "STUDYBOT_LOG_LEVEL": "INFO",
        "LD_PRELOAD": libfaketime(),
        "FAKETIME": f"@{at}",  # starts at `at`, then runs at the normal pace
        **{f"STUDYBOT_{k.upper()}": v for k, v in settings.items()},
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def log_lines(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    return (await proc.stderr.read()).decode(errors="replace")


def set_challenge(database_url: str, guild_id: int, channel_id: int) -> None:
    """A moderator's schedule, saved through the same service the slash command calls."""
    app = build_app(load_settings(database_url=database_url, runner_url=""))

    async def save() -> None:
        try:
            await app.services.schedules.set_challenge(guild_id, channel_id, "09:00")
        finally:
            await app.aclose()

    asyncio.run(save())  # called in a worker thread: its own event loop


def challenge_messages(fake: FakeDiscord, study: StudyServer) -> list[object]:
    return [
        m
        for m in fake.channel_messages(study.lessons)
        if m.embeds and m.embeds[0]["title"] == f"📅 Daily challenge · {DAY}"
    ]


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeDiscord, StudyServer]]:
    fake = FakeDiscord(timeout=30)
    study = seed_study_server(fake)
    await fake.start()
    try:
        yield fake, study
    finally:
        await fake.stop()


def delivery_state(database: Path, key: str) -> str | None:
    """The delivery's state as the database holds it now (read-only, beside the bot's writes)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT state FROM deliveries WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


@pytest.mark.parametrize("moment", ["before", "after"])
async def test_killed_mid_post_then_restarted_posts_once(
    fake: tuple[FakeDiscord, StudyServer], tmp_path: Path, moment: str
) -> None:
    """`before`: killed after claiming, while sending; `after`: the message exists, the bot
    died before recording it. Either way the restarted bot leaves exactly one message."""
    discord_fake, study = fake
    url = f"sqlite:///{tmp_path / 'studybot.db'}"
    migrate.upgrade(url)
    await asyncio.to_thread(set_challenge, url, study.guild.id, study.lessons.id)
    held = discord_fake.hold("POST", f"/channels/{study.lessons.id}/messages", when=moment)
    async with bot_process(discord_fake, url, f"{DAY} 09:00:30") as first:
        await asyncio.wait_for(held.arrived(), 60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    held.release()
    await held.finished()
    expected_before = 0 if moment == "before" else 1
    assert len(challenge_messages(discord_fake, study)) == expected_before
    async with bot_process(discord_fake, url, f"{DAY} 09:01:00") as second:
        # Done when the restarted bot has recorded the post (in "after" the message exists
        # from the start, so the channel alone cannot say the new process got that far).
        # The fake wakes its waiters on Discord events, not database writes: poll.
        deadline = asyncio.get_running_loop().time() + 60
        while delivery_state(tmp_path / "studybot.db", f"challenge:{DAY}") != "posted":
            assert asyncio.get_running_loop().time() < deadline, "the post was never recorded"
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # a lease and a sweep later: nothing more arrives
        second.send_signal(signal.SIGTERM)
        log = await log_lines(second)
    assert len(challenge_messages(discord_fake, study)) == 1, log
    app = build_app(load_settings(database_url=url, runner_url=""))
    try:
        delivery = await app.services.ctx.store.timed.delivery(
            study.guild.id, "challenge", f"challenge:{DAY}"
        )
    finally:
        await app.aclose()
    assert delivery is not None and delivery.state == "posted"
    assert delivery.message_id == challenge_messages(discord_fake, study)[0].id  # type: ignore[attr-defined]
    if moment == "after":
        assert "was posted before; recorded" in log


async def test_two_shard_processes_on_one_postgresql_post_each_thing_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    discord_fake = FakeDiscord(timeout=30, shard_count=2)
    servers = seed_study_servers(discord_fake, 20, shard_count=2)
    await discord_fake.start()
    name = f"shards_{uuid4().hex[:10]}"
    url = postgres_server.create_database(name)
    try:
        migrate.upgrade(url)

        def schedule_all() -> None:
            app = build_app(load_settings(database_url=url, runner_url=""))

            async def save() -> None:
                try:
                    for server in servers:
                        guild, s = server.guild.id, app.services.schedules
                        await s.set_lessons(guild, server.lessons.id, "09:00", "daily")
                        await s.set_challenge(guild, server.general.id, "09:00")
                        await s.set_leaderboard(
                            guild, server.leaderboard.id, "daily", "09:00", "week"
                        )
                finally:
                    await app.aclose()

            asyncio.run(save())

        await asyncio.to_thread(schedule_all)
        start = f"{DAY} 08:59:50"
        async with (
            bot_process(discord_fake, url, start, shard_count="2", shard_ids="0") as zero,
            bot_process(discord_fake, url, start, shard_count="2", shard_ids="1") as one,
        ):

            def posted() -> int:
                return sum(
                    len([m for m in discord_fake.channel_messages(channel) if m.embeds])
                    for server in servers
                    for channel in (server.lessons, server.general, server.leaderboard)
                )

            await discord_fake.wait_until(
                lambda: posted() >= 60, what="sixty posts from two shards", within=90
            )
            await asyncio.sleep(2)  # anything duplicated would have arrived by now
            for proc in (zero, one):
                proc.send_signal(signal.SIGTERM)
            logs = [await log_lines(proc) for proc in (zero, one)]
        for server in servers:
            titles = [
                m.embeds[0]["title"]
                for channel in (server.lessons, server.general, server.leaderboard)
                for m in discord_fake.channel_messages(channel)
                if m.embeds
            ]
            assert len(titles) == 3, (server.guild.name, titles)
            assert f"📅 Daily challenge · {DAY}" in titles
            assert "🏆 Leaderboard — this week" in titles
        for shard, log in enumerate(logs):
            assert "dispatching timed posts: 30 jobs" in log, (shard, log[-2000:])
    finally:
        await discord_fake.stop()
        postgres_server.drop_database(name)
