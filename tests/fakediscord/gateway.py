"""The fake gateway: HELLO, IDENTIFY/RESUME, READY, GUILD_CREATE, heartbeats and dispatches.

One `GatewaySession` per IDENTIFY (one per shard). It keeps its sequence number and the events it
sent, so a client that RESUMEs gets what it missed, like on Discord. Frames are zlib-stream
compressed when the client asks for it (discord.py does by default): one compressor per
connection, every message ended with a Z_SYNC_FLUSH, which is how the client finds message ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

_log = logging.getLogger(__name__)

# Gateway opcodes.
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Intents the fake honours.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

# Close codes.
AUTHENTICATION_FAILED = 4004
ALREADY_AUTHENTICATED = 4005


class _Connection:
    """One websocket. Sends are serialised: the zlib stream breaks if two frames interleave."""

    def __init__(self, ws: web.WebSocketResponse, *, compress: bool) -> None:
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is None:
                await self.ws.send_str(text)
            else:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


class GatewaySession:
    """An identified session: its shard, intents, sequence and sent events (for RESUME)."""

    def __init__(self, *, shard: tuple[int, int], intents: int) -> None:
        self.id = uuid.uuid4().hex
        self.shard_id, self.shard_count = shard
        self.intents = intents
        self.seq = 0
        self.history: deque[dict[str, Any]] = deque(maxlen=2000)
        self.connection: _Connection | None = None
        self.ready = False
        self._lock = asyncio.Lock()

    @property
    def live(self) -> bool:
        return self.ready and self.connection is not None and not self.connection.ws.closed

    def handles(self, guild_id: int | None) -> bool:
        """Discord's shard formula; events without a guild go to every shard."""
        return guild_id is None or (guild_id >> 22) % self.shard_count == self.shard_id

    def wants(self, intent: int) -> bool:
        return bool(self.intents & intent)

    async def dispatch(self, event: str, data: Any) -> int:
        """Send one DISPATCH with the next sequence number; returns that number."""
        async with self._lock:
            self.seq += 1
            payload = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
            self.history.append(payload)
            if self.connection is not None:
                with contextlib.suppress(ConnectionResetError):
                    await self.connection.send(payload)
            return self.seq


class Gateway:
    """Accepts gateway websockets for a `FakeDiscord` and keeps the sessions."""

    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[_Connection] = set()
        #: Every payload the client sent on the gateway (heartbeats included), oldest first.
        self.received: list[dict[str, Any]] = []

    def live_sessions(self, guild_id: int | None = None) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.live and s.handles(guild_id)]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream" and self._fake.compress
        connection = _Connection(ws, compress=compress)
        self.connections.add(connection)
        session: GatewaySession | None = None
        try:
            await connection.send(
                {
                    "op": HELLO,
                    "d": {"heartbeat_interval": self._fake.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                }
            )
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    break
                payload = json.loads(message.data)
                self.received.append(payload)
                op = payload.get("op")
                if op == HEARTBEAT:
                    await connection.send({"op": HEARTBEAT_ACK, "s": None, "t": None, "d": None})
                elif op == IDENTIFY:
                    if session is not None:
                        await ws.close(code=ALREADY_AUTHENTICATED, message=b"Already authenticated")
                        break
                    session = await self._identify(connection, payload["d"])
                elif op == RESUME:
                    session = await self._resume(connection, payload["d"])
                elif op == REQUEST_GUILD_MEMBERS and session is not None:
                    await self._request_members(session, payload["d"])
                await self._fake.changed()
        finally:
            self.connections.discard(connection)
            if session is not None and session.connection is connection:
                session.connection = None
            await self._fake.changed()
        return ws

    async def _identify(
        self, connection: _Connection, data: dict[str, Any]
    ) -> GatewaySession | None:
        if data.get("token") != self._fake.token:
            await connection.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed")
            return None
        shard = tuple(data.get("shard") or (0, 1))
        session = GatewaySession(
            shard=(int(shard[0]), int(shard[1])), intents=data.get("intents", 0)
        )
        session.connection = connection
        self.sessions[session.id] = session
        await session.dispatch("READY", self._fake.ready_payload(session))
        if session.wants(GUILDS):
            for guild in self._fake.guilds.values():
                if session.handles(guild.id):
                    await session.dispatch(
                        "GUILD_CREATE", self._fake.guild_create_payload(guild, session)
                    )
        session.ready = True
        return session

    async def _resume(self, connection: _Connection, data: dict[str, Any]) -> GatewaySession | None:
        session = self.sessions.get(data.get("session_id") or "")
        if session is None or data.get("token") != self._fake.token:
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        seen = data.get("seq") or 0
        async with session._lock:
            session.connection = connection
            for payload in list(session.history):
                if payload["s"] > seen:
                    await connection.send(payload)
        await session.dispatch("RESUMED", {})
        return session

    async def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        """Answer a chunk request (sent by bots with the members intent) in one chunk."""
        guild = self._fake.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m
            for m in guild.members
            if (not wanted or m.user.id in wanted) and m.user.username.lower().startswith(query)
        ]
        limit = data.get("limit") or 0
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def send_reconnect(self) -> None:
        """Ask every live client to reconnect (op 7); discord.py then RESUMEs."""
        for session in list(self.sessions.values()):
            if session.connection is not None:
                await session.connection.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def close_all(self, code: int = 1000) -> None:
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await connection.ws.close(code=code)
