"""Pytest fixtures: a started fake with a seeded study server, discord.py pointed at it.

Import them in a conftest: `from tests.fakediscord.fixtures import fake_discord, study_server`.
Bots under test should take `guild_ready_timeout` (a Client option): with Discord's default of
2 s every test waits 2 s for READY; 0.05 s is plenty on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.fakediscord.models import (
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
)
from tests.fakediscord.server import FakeDiscord

GUILD_READY_TIMEOUT = 0.05


@dataclass(frozen=True)
class StudyServer:
    """Handles on the seeded guild, so tests say `study.moderator`, not lookups by name."""

    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    lessons: FakeChannel
    moderator_role: FakeRole
    owner: FakeMember
    moderator: FakeMember
    member: FakeMember
    #: Servers from `seed_study_servers` also have #leaderboard and more plain members.
    leaderboard: FakeChannel | None = None
    members: tuple[FakeMember, ...] = ()

    @classmethod
    def of(cls, fake: FakeDiscord, name: str = "Study Server") -> StudyServer:
        guild = fake.guild(name)
        plain = tuple(
            m
            for m in guild.members
            if m.user.id != guild.owner_id and not m.user.bot and not m.roles
        )
        return cls(
            fake=fake,
            guild=guild,
            general=guild.channel("general"),
            lessons=guild.channel("lessons"),
            moderator_role=guild.role("Moderator"),
            owner=guild.owner,
            moderator=guild.member("grace"),
            member=guild.member("linus"),
            leaderboard=next((c for c in guild.channels if c.name == "leaderboard"), None),
            members=plain,
        )

    @property
    def shard(self) -> int:
        """The shard Discord sends this server's events to, with the fake's shard count."""
        return self.fake.shard_of(self.guild)


def seed_study_server(fake: FakeDiscord) -> StudyServer:
    """Seed the guild "Study Server": #general, #lessons, owner ada (everything), a Moderator
    role with Manage Server, grace (moderator) and linus (plain member)."""
    guild = fake.add_guild("Study Server", owner="ada")
    guild.add_channel("general", topic="Say hello")
    guild.add_channel("lessons", topic="Lessons and challenges")
    moderator_role = guild.add_role("Moderator", MANAGE_GUILD | MANAGE_MESSAGES)
    guild.add_member("grace", roles=[moderator_role])
    guild.add_member("linus")
    return StudyServer.of(fake)


def seed_study_servers(
    fake: FakeDiscord, count: int, *, shard_count: int | None = None, members: int = 3
) -> list[StudyServer]:
    """Seed `count` servers "Study Server 1".."Study Server N" for scheduling and sharding
    tests: #general, #lessons, #leaderboard, a Moderator role, an owner, grace (moderator) and
    `members` plain members (linus first). Server i lands on shard `i % shard_count` (default:
    the fake's `shard_count`), so every shard gets its share."""
    if members < 1:
        raise ValueError("a study server needs at least one plain member (linus)")
    shards = shard_count or fake.shard_count
    servers: list[StudyServer] = []
    for index in range(count):
        name = f"Study Server {index + 1}"
        guild = fake.add_guild(name, owner=f"owner{index + 1}", shard=(index % shards, shards))
        guild.add_channel("general", topic="Say hello")
        guild.add_channel("lessons", topic="Lessons and challenges")
        guild.add_channel("leaderboard", topic="Who studied most")
        moderator_role = guild.add_role("Moderator", MANAGE_GUILD | MANAGE_MESSAGES)
        guild.add_member("grace", roles=[moderator_role])
        for number in range(members):
            guild.add_member("linus" if number == 0 else f"student{number}")
        servers.append(StudyServer.of(fake, name))
    return servers


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started `FakeDiscord` with the study server; discord.py points at it for the test."""
    fake = FakeDiscord()
    seed_study_server(fake)
    await fake.start()
    try:
        with fake.patch_discord_py():
            yield fake
    finally:
        await fake.stop()


@pytest.fixture
def study_server(fake_discord: FakeDiscord) -> StudyServer:
    return StudyServer.of(fake_discord)


@pytest.fixture
def fake_discord_env(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    """Also export the fake's addresses the way the bot's settings read them."""
    monkeypatch.setenv("STUDYBOT_DISCORD_API_BASE", fake_discord.api_base)
    monkeypatch.setenv("STUDYBOT_DISCORD_GATEWAY_URL", fake_discord.gateway_url)
    monkeypatch.setenv("STUDYBOT_DISCORD_TOKEN", fake_discord.token)
    return fake_discord
