"""A fake Discord (gateway + REST) on loopback for end-to-end tests of discord.py bots.

Start with `tests/fakediscord/fixtures.py` (`fake_discord`, `study_server`) or `FakeDiscord`.
"""

from tests.fakediscord.interactions import Reply
from tests.fakediscord.models import (
    FakeChannel,
    FakeFile,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    RecordedRequest,
)
from tests.fakediscord.server import FakeDiscord

__all__ = [
    "FakeChannel",
    "FakeDiscord",
    "FakeFile",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "RecordedRequest",
    "Reply",
]
