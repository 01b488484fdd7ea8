"""Makes the fake's fixtures available to the fake's own tests, plus a connected probe client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakediscord.fixtures import (
    StudyServer,
    fake_discord,
    fake_discord_env,
    study_server,
)
from tests.fakediscord.probe import ProbeClient
from tests.fakediscord.server import FakeDiscord

__all__ = ["fake_discord", "fake_discord_env", "probe", "study_server"]


@pytest.fixture
async def probe(fake_discord: FakeDiscord, study_server: StudyServer) -> AsyncIterator[ProbeClient]:
    """A plain discord.py client, connected to the fake with the study server."""
    client = ProbeClient()
    async with fake_discord.connected(client):
        yield client
