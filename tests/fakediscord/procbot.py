"""A tiny discord.py bot run as a real subprocess by the fake's tests (kill it, shard it).

    python tests/fakediscord/procbot.py --api URL --gateway URL --token T post CHANNEL TEXT NONCE
        log in over REST only, send TEXT with NONCE (enforce_nonce, as discord.py always does),
        print "sent <message id>" and exit.
    python tests/fakediscord/procbot.py ... shard SHARD_ID SHARD_COUNT
        an AutoShardedClient running only that shard: prints one JSON line when ready
        ({"ready": shard ids, "guilds": guild ids}) and one per message it sees
        ({"message": content, "guild": guild id}); runs until stdin closes or it is killed.

Self-contained on purpose (only discord.py): the point is a separate process with its own
connections, exactly as the bot runs in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def _say(**data: object) -> None:
    print(json.dumps(data), flush=True)


async def _post(token: str, channel_id: int, text: str, nonce: str) -> None:
    client = discord.Client(intents=discord.Intents.default())
    try:
        await client.login(token)
        message = await client.get_partial_messageable(channel_id).send(text, nonce=nonce)
        _say(sent=str(message.id))
    finally:
        await client.close()


async def _shard(token: str, shard_id: int, shard_count: int) -> None:
    client = discord.AutoShardedClient(
        intents=discord.Intents.default(),
        shard_ids=[shard_id],
        shard_count=shard_count,
        guild_ready_timeout=0.05,
    )

    @client.event
    async def on_ready() -> None:
        _say(ready=sorted(client.shards), guilds=sorted(str(g.id) for g in client.guilds))

    @client.event
    async def on_message(message: discord.Message) -> None:
        guild = str(message.guild.id) if message.guild else None
        _say(message=message.content, guild=guild, shard=message.guild and message.guild.shard_id)

    async def until_stdin_closes() -> None:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    async with client:
        await client.login(token)
        runner = asyncio.create_task(client.connect())
        stdin = asyncio.create_task(until_stdin_closes())
        await asyncio.wait({runner, stdin}, return_when=asyncio.FIRST_COMPLETED)
        runner.cancel()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--token", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    post = commands.add_parser("post")
    post.add_argument("channel", type=int)
    post.add_argument("text")
    post.add_argument("nonce")
    shard = commands.add_parser("shard")
    shard.add_argument("shard_id", type=int)
    shard.add_argument("shard_count", type=int)
    args = parser.parse_args()
    Route.BASE = args.api
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway)
    if args.command == "post":
        asyncio.run(_post(args.token, args.channel, args.text, args.nonce))
    else:
        asyncio.run(_shard(args.token, args.shard_id, args.shard_count))


if __name__ == "__main__":
    main()
