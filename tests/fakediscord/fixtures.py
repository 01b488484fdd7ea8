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

    @classmethod
    def of(cls, fake: FakeDiscord) -> StudyServer:
        guild = fake.guild("Study Server")
        return cls(
            fake=fake,
            guild=guild,
            general=guild.channel("general"),
            lessons=guild.channel("lessons"),
            moderator_role=guild.role("Moderator"),
            owner=guild.owner,
            moderator=guild.member("grace"),
            member=guild.member("linus"),
        )


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
