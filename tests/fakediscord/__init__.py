"""A fake Discord (gateway + REST) on loopback for end-to-end tests of discord.py bots.

Start with `tests/fakediscord/fixtures.py` (`fake_discord`, `study_server`) or `FakeDiscord`.
"""

from tests.fakediscord.faults import Hold
from tests.fakediscord.interactions import Reply
from tests.fakediscord.models import (
    FakeChannel,
    FakeClock,
    FakeDMChannel,
    FakeFile,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeThread,
    FakeUser,
    RecordedRequest,
)
from tests.fakediscord.ratelimits import Limit
from tests.fakediscord.server import FakeDiscord

__all__ = [
    "FakeChannel",
    "FakeClock",
    "FakeDMChannel",
    "FakeDiscord",
    "FakeFile",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeThread",
    "FakeUser",
    "Hold",
    "Limit",
    "RecordedRequest",
    "Reply",
]
