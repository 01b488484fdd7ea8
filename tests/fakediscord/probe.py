"""A plain discord.py client for the fake's own tests: it records what the gateway told it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import discord

from tests.fakediscord.fixtures import GUILD_READY_TIMEOUT


class ProbeClient(discord.Client):
    """`discord.Client` with default intents; keeps every message and thread it was told of."""

    def __init__(self, *, intents: discord.Intents | None = None) -> None:
        super().__init__(
            intents=intents or discord.Intents.default(), guild_ready_timeout=GUILD_READY_TIMEOUT
        )
        self.seen: list[discord.Message] = []
        self.edited: list[discord.Message] = []
        self.threads: list[discord.Thread] = []

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        self.edited.append(after)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.threads.append(thread)

    def text_channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel), channel
        return channel


async def eventually(predicate: Callable[[], object], *, within: float = 5.0) -> None:
    """Wait for state inside the client (which has no change signal the fake could wait on)."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
