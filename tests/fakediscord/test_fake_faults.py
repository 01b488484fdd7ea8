"""Rate limits, held requests and killed bot processes, many servers over shards.

Bots here are real discord.py clients: in this process where the test only needs the client's
own limiter, in separate processes (`procbot.py`) where the test kills one or shards them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest

from tests.fakediscord.fixtures import StudyServer, seed_study_servers
from tests.fakediscord.probe import ProbeClient, eventually
from tests.fakediscord.ratelimits import Limit
from tests.fakediscord.server import FakeDiscord

PROCBOT = Path(__file__).with_name("procbot.py")
POST_MESSAGES = "POST /channels/{channel_id}/messages"
INTENTS = discord.Intents.default()


async def _gather(awaitables: Iterable[Awaitable[object]]) -> None:
    await asyncio.gather(*awaitables)


@asynccontextmanager
async def procbot(fake: FakeDiscord, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """`procbot.py` in its own process, pointed at the fake; killed on exit if still running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROCBOT),
        "--api",
        fake.api_base,
        "--gateway",
        fake.gateway_url,
        "--token",
        fake.token,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def said(proc: asyncio.subprocess.Process, *, within: float = 15.0) -> dict[str, Any]:
    """The next JSON line the process printed."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), within)
    if not line:
        assert proc.stderr is not None
        raise AssertionError(f"procbot ended: {(await proc.stderr.read()).decode()}")
    return json.loads(line)


# -- rate limits ----------------------------------------------------------------------------------


async def test_thirty_messages_to_one_channel_all_arrive_paced_by_discord_py(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    fake_discord.rate_limiter.enabled = True
    # Discord's 5 per 5 s, on a faster clock: the same pacing in a tenth of the time.
    fake_discord.rate_limiter.buckets[POST_MESSAGES] = Limit(5, 0.5)
    client = ProbeClient()
    async with fake_discord.connected(client):
        lessons = client.text_channel(study_server.lessons.id)
        started = asyncio.get_running_loop().time()
        sent = await asyncio.gather(*(lessons.send(f"lesson {n}") for n in range(30)))
        elapsed = asyncio.get_running_loop().time() - started
    stored = fake_discord.channel_messages(study_server.lessons)
    assert sorted(m.content for m in stored) == sorted(f"lesson {n}" for n in range(30))
    assert {m.id for m in sent} == {m.id for m in stored}
    assert fake_discord.rate_limited == [], "discord.py paced itself from the headers"
    assert elapsed >= 5 * 0.5, f"30 messages at 5 per 0.5 s took only {elapsed:.2f}s"
    posts = fake_discord.requests_to("POST", f"/channels/{lessons.id}/messages")
    assert len(posts) == 30
    headers = posts[-1].response_headers
    assert headers["X-RateLimit-Limit"] == "5" and "X-RateLimit-Bucket" in headers
    assert {"X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After"} <= set(headers)
    # Discord's limit as the bot met it: no six requests within one window (a little slack
    # for how long a burst of five takes to arrive).
    arrivals = [r.at for r in posts]
    for index in range(5, len(arrivals)):
        assert arrivals[index] - arrivals[index - 5] >= 0.4, "more than 5 in one window"


async def test_a_second_client_on_the_same_bucket_gets_a_429_and_retries(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    """Two processes of one bot share Discord's buckets but not their limiters."""
    fake_discord.rate_limiter.enabled = True
    fake_discord.rate_limiter.buckets[POST_MESSAGES] = Limit(5, 0.4)
    first, second = discord.Client(intents=INTENTS), discord.Client(intents=INTENTS)
    channel_id = study_server.lessons.id
    try:
        await first.login(fake_discord.token)
        await second.login(fake_discord.token)
        burst = asyncio.create_task(
            _gather(first.get_partial_messageable(channel_id).send(f"first {n}") for n in range(5))
        )
        path = f"/channels/{channel_id}/messages"
        await fake_discord.wait_until(
            lambda: len(fake_discord.requests_to("POST", path)) == 5, what="the first burst"
        )
        late = await second.get_partial_messageable(channel_id).send("second")
        await burst
    finally:
        await first.close()
        await second.close()
    assert late.content == "second"
    [refused] = fake_discord.rate_limited
    assert refused.status == 429 and refused.path == f"/channels/{channel_id}/messages"
    assert refused.response_headers["X-RateLimit-Scope"] == "user"
    assert int(refused.response_headers["Retry-After"]) >= 1
    assert len(fake_discord.channel_messages(study_server.lessons)) == 6
    retry = fake_discord.requests[fake_discord.requests.index(refused) + 1]
    assert (retry.path, retry.status) == (refused.path, 200)
    assert retry.at - refused.at >= 0.2, "the retry waited for the bucket to reset"


async def test_the_global_limit_stops_everything_then_lets_it_through(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    channels = [study_server.guild.add_channel(f"room-{n}") for n in range(6)]
    fake_discord.rate_limiter.enabled = True
    fake_discord.rate_limiter.global_limit = Limit(4, 0.5)
    client = discord.Client(intents=INTENTS)
    try:
        await client.login(fake_discord.token)
        await asyncio.gather(*(client.get_partial_messageable(c.id).send(c.name) for c in channels))
    finally:
        await client.close()
    assert all(len(fake_discord.channel_messages(c)) == 1 for c in channels)
    assert fake_discord.rate_limited, "six requests at once exceed four per window"
    refused = fake_discord.rate_limited[0]
    assert refused.response_headers["X-RateLimit-Global"] == "true"
    assert refused.response_headers["X-RateLimit-Scope"] == "global"


async def test_rate_limits_are_off_by_default(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    await probe.text_channel(study_server.lessons.id).send("hi")
    assert "X-RateLimit-Limit" not in fake_discord.requests[-1].response_headers


# -- holds ----------------------------------------------------------------------------------------


async def test_held_after_it_was_stored_the_bot_dies_and_its_retry_is_deduplicated(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = study_server.lessons
    post = ("post", str(lessons.id), "Lesson 5: plotting", "lesson-5")
    async with fake_discord.hold("POST", "/channels/{id}/messages", when="after") as held:
        async with procbot(fake_discord, *post) as bot:
            record = await held.arrived()
            assert record.json["nonce"] == "lesson-5"
            [stored] = fake_discord.channel_messages(lessons)
            assert stored.content == "Lesson 5: plotting", "applied before the answer"
            bot.kill()
            await bot.wait()
        held.release()
        assert await held.finished() is record
    assert held.dropped and held.applied and record.dropped
    assert "(client gone)" in record.describe()

    async with procbot(fake_discord, *post) as restarted:
        assert await said(restarted) == {"sent": str(stored.id)}
    assert [m.id for m in fake_discord.channel_messages(lessons)] == [stored.id]


async def test_held_before_it_was_applied_the_bot_dies_and_nothing_happens(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = study_server.lessons
    held = fake_discord.hold("POST", f"/channels/{lessons.id}/messages")
    async with procbot(fake_discord, "post", str(lessons.id), "Daily challenge", "daily-1") as bot:
        await held.arrived()
        assert fake_discord.channel_messages(lessons) == []
        bot.kill()
    held.release()
    record = await held.finished()
    assert record is not None and record.status == 499 and record.dropped
    assert not held.applied
    assert fake_discord.channel_messages(lessons) == []


async def test_held_before_and_applied_after_the_bot_died_races_its_restart(
    fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    """Discord finishing a request whose sender died, after the restarted bot re-sent it."""
    lessons = study_server.lessons
    post = ("post", str(lessons.id), "Leaderboard week 48", "board-48")
    held = fake_discord.hold("POST", "/channels/{id}/messages", if_client_gone="apply")
    async with procbot(fake_discord, *post) as bot:
        await held.arrived()
        bot.kill()
    async with procbot(fake_discord, *post) as restarted:
        fresh = await said(restarted)
    held.release()
    await held.finished()
    assert held.applied and held.dropped
    [stored] = fake_discord.channel_messages(lessons)
    assert fresh == {"sent": str(stored.id)}, "the late original found the nonce taken"


async def test_only_the_matching_request_is_held_and_release_answers_it(
    probe: ProbeClient, fake_discord: FakeDiscord, study_server: StudyServer
) -> None:
    lessons = probe.text_channel(study_server.lessons.id)
    general = probe.text_channel(study_server.general.id)
    held = fake_discord.hold(
        "POST", "/channels/{id}/messages", when="after", match=lambda r: r.json["content"] == "B"
    )
    pending = asyncio.create_task(lessons.send("B"))
    await held.arrived()
    # (Not to #lessons: discord.py sends one request at a time per route and channel.)
    assert (await general.send("A")).content == "A", "others flow while one is held"
    assert not pending.done()
    held.release()
    assert (await pending).content == "B" and not held.dropped
    assert (await lessons.send("B")).content == "B", "a hold catches one request"
    with pytest.raises(ValueError, match="when"):
        fake_discord.hold("POST", "/x", when="during")  # type: ignore[arg-type]


# -- many servers, many shards --------------------------------------------------------------------


async def test_two_shard_processes_each_get_only_their_own_guilds(
    fake_discord: FakeDiscord,
) -> None:
    fake_discord.shard_count = 2
    servers = seed_study_servers(fake_discord, 4)
    assert [s.shard for s in servers] == [0, 1, 0, 1]
    assert all(s.leaderboard is not None and len(s.members) == 3 for s in servers)
    expected = {
        shard: sorted(
            str(g.id) for g in fake_discord.guilds.values() if fake_discord.shard_of(g) == shard
        )
        for shard in (0, 1)
    }
    async with (
        procbot(fake_discord, "shard", "0", "2") as zero,
        procbot(fake_discord, "shard", "1", "2") as one,
    ):
        assert await said(zero) == {"ready": [0], "guilds": expected[0]}
        assert await said(one) == {"ready": [1], "guilds": expected[1]}
        await fake_discord.post_message(servers[1].lessons, servers[1].member, "for shard one")
        await fake_discord.post_message(servers[0].lessons, servers[0].member, "for shard zero")
        assert await said(one) == {"message": "", "guild": str(servers[1].guild.id), "shard": 1}
        assert await said(zero) == {"message": "", "guild": str(servers[0].guild.id), "shard": 0}
        for proc in (zero, one):
            assert proc.stdin is not None
            proc.stdin.close()
        assert await asyncio.wait_for(zero.wait(), 10) == 0
        assert await asyncio.wait_for(one.wait(), 10) == 0
    identified = sorted(p["d"]["shard"] for p in fake_discord.gateway.received if p["op"] == 2)
    assert identified == [[0, 2], [1, 2]]
    await eventually(lambda: not fake_discord.gateway.live_sessions())
