"""`FakeDiscord`: Discord's gateway and REST API on loopback, for the real discord.py client.

The bot under test runs unmodified; only `discord.http.Route.BASE` and
`DiscordWebSocket.DEFAULT_GATEWAY` point here. The fake keeps the state Discord would keep (guilds,
registered commands, messages, interactions) and records every REST request, so a test asserts on
what the bot actually sent over HTTP, not on what our code meant to send.

Realism that catches bugs: answers are Discord-shaped (errors included), payload limits are
enforced (`limits.py`), an interaction can be answered once and only within the response window,
follow-ups need an answered interaction, and GUILD_CREATE honours the intents the bot asked for.
Channel permissions (overwrites) are enforced on the bot's REST calls, nonces deduplicate sends,
rate limits can be switched on (`ratelimits.py`), and a test can hold a request at the moment it
wants to kill the bot (`faults.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.channels import ChannelRoutes, make_reply
from tests.fakediscord.faults import Hold, When
from tests.fakediscord.gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    GUILDS,
    MESSAGE_CONTENT,
    Gateway,
    GatewaySession,
)
from tests.fakediscord.interactions import InteractionHelpers, Reply
from tests.fakediscord.models import (
    ADD_REACTIONS,
    ATTACH_FILES,
    EMBED_LINKS,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    LOADING,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_EXTERNAL_EMOJIS,
    VIEW_CHANNEL,
    Emitted,
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
    Snowflakes,
    iso,
    snowflake_time,
)
from tests.fakediscord.ratelimits import MAJOR_PARAMETERS, RateLimiter, Verdict
from tests.fakediscord.responses import RECORD, DiscordError, invalid, json_response

if TYPE_CHECKING:
    import discord

_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: How long Discord remembers a nonce sent with `enforce_nonce` ("the past few minutes").
NONCE_WINDOW_SECONDS = 300.0

#: What the bot's own managed role grants unless a test says otherwise.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
)

# Application flags Discord sets for a verified-looking bot with limited privileged intents.
_APPLICATION_FLAGS = (1 << 15) | (1 << 19) | (1 << 23)

# Message types.
_DEFAULT = 0
_CHAT_INPUT_COMMAND = 20
_CONTEXT_MENU_COMMAND = 23


class FakeDiscord(InteractionHelpers, ChannelRoutes):
    """A fake Discord on 127.0.0.1: gateway at `gateway_url`, REST under `api_base`.

    Use as `async with FakeDiscord() as fake:` or `await fake.start()` / `await fake.stop()`.
    Build state with `add_guild()` (which also makes the bot a member), then connect a client
    with `async with fake.connected(client):` while `fake.patch_discord_py()` is active.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Studybot",
        token: str = "fake-bot-token",
        timeout: float = 5.0,
        response_window: float | None = 3.0,
        compress: bool = True,
        shard_count: int = 1,
        heartbeat_interval_ms: int = 41_250,
        strict_commands: bool = True,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        rate_limits: bool = False,
        nonce_window: float = NONCE_WINDOW_SECONDS,
        now: datetime | None = None,
    ) -> None:
        #: Wall-clock time of the fake (snowflakes, timestamps, nonce window); `advance()` it.
        #: `now` starts it at that moment (e.g. a test's frozen clock).
        self.clock = FakeClock()
        if now is not None:
            self.clock.set(now)
        self.snowflakes = Snowflakes(self.clock.time)
        self.clock.not_before = self.snowflakes.latest
        self.token = token
        #: How long helpers wait for the bot before failing the test with the request log.
        self.timeout = timeout
        #: Discord forgets an interaction not answered within 3 s; `None` turns that off.
        self.response_window = response_window
        self.compress = compress
        self.shard_count = shard_count
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: Refuse to send interactions for commands the bot never registered (as Discord would).
        self.strict_commands = strict_commands
        self.bot_permissions = bot_permissions
        #: Seconds a nonce sent with `enforce_nonce` returns the message it first created.
        self.nonce_window = nonce_window
        #: Per-route and global rate limits; off unless `rate_limits=True` or `.enabled = True`.
        self.rate_limiter = RateLimiter(enabled=rate_limits)
        #: Requests answered 429, in order.
        self.rate_limited: list[RecordedRequest] = []
        self.application_id = self.snowflakes.next()
        #: Every user the fake knows, by id (served by GET /users/{id}).
        self.users: dict[int, FakeUser] = {}
        self.bot = FakeUser(id=self.application_id, username=bot_name, bot=True)
        self.users[self.bot.id] = self.bot
        self.developer = self.new_user("developer")
        self.guilds: dict[int, FakeGuild] = {}
        #: Registered application commands: key `None` is global, else the guild id.
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        #: Every message per channel id, in creation order (ephemeral ones too).
        self.messages: dict[int, list[FakeMessage]] = {}
        #: The bot's DM channels, by recipient user id.
        self.dm_channels: dict[int, FakeDMChannel] = {}
        #: Every REST request, in order, with its parsed body and the status the fake answered.
        self.requests: list[RecordedRequest] = []
        #: Every interaction the fake dispatched, by token.
        self.interactions: dict[str, Reply] = {}
        #: Modals the bot opened, by custom_id (the latest wins), with the reply that opened it.
        self.modals: dict[str, tuple[dict[str, Any], Reply]] = {}
        self.gateway = Gateway(self)
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._condition: asyncio.Condition | None = None
        self._messages_by_id: dict[int, FakeMessage] = {}
        self._nonces: dict[tuple[int, int, str], FakeMessage] = {}
        self._holds: list[Hold] = []
        self._background: set[asyncio.Task[None]] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for `discord.http.Route.BASE` (and STUDYBOT_DISCORD_API_BASE)."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The value for `DiscordWebSocket.DEFAULT_GATEWAY` (and STUDYBOT_DISCORD_GATEWAY_URL)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        self._condition = asyncio.Condition()
        app = web.Application(middlewares=[self._record_middleware], client_max_size=64 * 2**20)
        self._add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        # Bind first and hand the socket over: no window in which another process takes the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for hold in list(self._holds):
            hold.release()
        await self.settle()
        await self.gateway.close_all(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here; restored on exit."""
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    @contextlib.asynccontextmanager
    async def connected(
        self, client: discord.Client, *, within: float | None = None
    ) -> AsyncIterator[discord.Client]:
        """Log `client` in with the fake's token, connect it, wait until ready; close on exit.

        Fails fast with the client's own exception if it dies before becoming ready.
        """
        timeout = self.timeout if within is None else within
        await client.login(self.token)
        runner = asyncio.create_task(client.connect(), name="fakediscord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if runner in done:
                runner.result()
                raise AssertionError("the client stopped before it became ready")
            if ready not in done:
                raise AssertionError(
                    f"the client was not ready after {timeout}s.\n{self.describe_requests()}"
                )
            yield client
        finally:
            ready.cancel()
            await client.close()
            try:
                await asyncio.wait_for(runner, timeout)
            except (TimeoutError, asyncio.CancelledError):
                runner.cancel()
            except Exception:
                _log.debug("client task ended with an error during close", exc_info=True)

    # -- building state -------------------------------------------------------------------------

    def new_user(self, username: str, *, bot: bool = False) -> FakeUser:
        user = FakeUser(id=self.snowflakes.next(), username=username, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: FakeUser | str = "owner",
        shard: tuple[int, int] | None = None,
    ) -> FakeGuild:
        """A guild with @everyone, the bot (with its managed role) and `owner` as members.

        `shard=(shard_id, shard_count)` picks an id Discord routes to that shard.
        """
        owner_user = self.new_user(owner) if isinstance(owner, str) else owner
        self.users[owner_user.id] = owner_user
        guild_id = self.snowflakes.next(shard=shard)
        guild = FakeGuild(id=guild_id, name=name, owner_id=owner_user.id, _fake=self)
        guild.roles.append(
            FakeRole(id=guild.id, name="@everyone", permissions=EVERYONE_PERMISSIONS)
        )
        bot_role = guild.add_role(self.bot.username, self.bot_permissions, managed=True)
        guild.add_member(owner_user)
        guild.add_member(self.bot, roles=[bot_role])
        self.guilds[guild.id] = guild
        return guild

    # -- reading state --------------------------------------------------------------------------

    def guild(self, key: str | int | None = None) -> FakeGuild:
        """A guild by name or id; with no key, the first one added."""
        for guild in self.guilds.values():
            if key is None or key in (guild.id, guild.name):
                return guild
        raise KeyError(f"no guild {key!r}: {[g.name for g in self.guilds.values()]}")

    def channel(self, channel_id: int) -> FakeChannel | None:
        """A guild channel or thread by id (not deleted ones)."""
        for guild in self.guilds.values():
            for channel in [*guild.channels, *guild.threads]:
                if channel.id == channel_id:
                    return channel
        return None

    def any_channel(self, channel_id: int) -> FakeChannel | FakeDMChannel | None:
        """A guild channel, thread or DM channel by id."""
        found = self.channel(channel_id)
        if found is not None:
            return found
        return next((c for c in self.dm_channels.values() if c.id == channel_id), None)

    def message(self, message_id: int) -> FakeMessage | None:
        return self._messages_by_id.get(message_id)

    def channel_messages(
        self, channel: FakeChannel | FakeDMChannel | int, *, ephemeral: bool = False
    ) -> list[FakeMessage]:
        """Messages everyone can see in a channel, thread or DM, oldest first (add
        `ephemeral=True` for the private ones). Deleted channels keep theirs."""
        channel_id = channel if isinstance(channel, int) else channel.id
        return [
            m
            for m in self.messages.get(channel_id, [])
            if not m.deleted and (ephemeral or not m.ephemeral)
        ]

    def threads_of(self, channel: FakeChannel | int) -> list[FakeThread]:
        """Threads started in a channel, oldest first."""
        channel_id = channel if isinstance(channel, int) else channel.id
        return [t for g in self.guilds.values() for t in g.threads if t.parent_id == channel_id]

    def dm_channel(self, user: FakeUser | FakeMember) -> FakeDMChannel | None:
        """The bot's DM channel with `user`, once the bot opened it."""
        return self.dm_channels.get(user.id)

    def dm_messages(self, user: FakeUser | FakeMember) -> list[FakeMessage]:
        """What the bot sent `user` in DMs, oldest first."""
        channel = self.dm_channel(user)
        return [] if channel is None else self.channel_messages(channel)

    def bot_permissions_in(self, channel: FakeChannel) -> int:
        """The bot's permissions in a guild channel or thread, overwrites applied."""
        guild = self.guilds.get(channel.guild_id)
        member = guild.find_member(self.bot.id) if guild is not None else None
        return member.permissions_in(channel) if member is not None else 0

    def shard_of(self, guild: FakeGuild | int, shard_count: int | None = None) -> int:
        """The shard Discord sends a guild's events to: `(guild_id >> 22) % shard_count`."""
        guild_id = guild if isinstance(guild, int) else guild.id
        return (guild_id >> 22) % (shard_count or self.shard_count)

    def registered_command(
        self, name: str, guild: FakeGuild | None = None, *, type: int = 1
    ) -> dict[str, Any] | None:
        """The command Discord would run for `name` in `guild`: the guild's own, else global."""
        scopes: list[int | None] = [guild.id] if guild is not None else []
        scopes.append(None)
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == type:
                    return command
        return None

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.method == method.upper() and r.path.startswith(path_prefix)
        ]

    def describe_requests(self, requests: list[RecordedRequest] | None = None) -> str:
        items = self.requests if requests is None else requests
        if not items:
            return "The bot made no REST requests."
        lines = [f"  {r.describe()}" for r in items[-30:]]
        skipped = f" (last 30 of {len(items)})" if len(items) > 30 else ""
        return f"REST requests the fake recorded{skipped}:\n" + "\n".join(lines)

    # -- waiting --------------------------------------------------------------------------------

    async def changed(self) -> None:
        """Wake everything waiting on the fake's state."""
        if self._condition is not None:
            async with self._condition:
                self._condition.notify_all()

    async def wait_until(
        self, predicate: Callable[[], bool], *, what: str, within: float | None = None
    ) -> None:
        """Wait for `predicate` (re-checked on every change), or fail with the request log.

        `within` defaults to the fake's `timeout`.
        """
        assert self._condition is not None, "start the fake first"
        limit = self.timeout if within is None else within
        try:
            async with self._condition:
                await asyncio.wait_for(self._condition.wait_for(predicate), limit)
        except TimeoutError:
            raise AssertionError(
                f"Timed out after {limit}s waiting for {what}. If the bot raised, its traceback "
                f"is in the log.\n{self.describe_requests()}"
            ) from None

    async def wait_for_request(
        self, method: str, path_prefix: str, *, within: float | None = None
    ) -> RecordedRequest:
        """The latest request matching method and path prefix, waiting for one if needed."""
        await self.wait_until(
            lambda: bool(self.requests_to(method, path_prefix)),
            what=f"{method} {path_prefix}",
            within=within,
        )
        return self.requests_to(method, path_prefix)[-1]

    # -- fault hooks ----------------------------------------------------------------------------

    def hold(
        self,
        method: str,
        path: str,
        *,
        when: When = "before",
        match: Callable[[RecordedRequest], bool] | None = None,
        if_client_gone: Literal["drop", "apply"] = "drop",
    ) -> Hold:
        """Hold the next `method path` request ("/channels/{id}/messages": {…} is any one
        segment) `before` the fake applies it or `after` (applied, not yet answered).

        `match(record)` narrows it down by body. `async with fake.hold(...) as held:` or keep
        the `Hold`; `await held.arrived()`, then `held.release()`. See `faults.py`.
        """
        held = Hold(self, method, path, when=when, match=match, if_client_gone=if_client_gone)
        self._holds.append(held)
        return held

    def unhold(self, held: Hold) -> None:
        """Stop matching with `held` (it keeps any request it caught until released)."""
        if held in self._holds:
            self._holds.remove(held)

    def _claim_hold(self, record: RecordedRequest, when: When) -> Hold | None:
        for held in self._holds:
            if held.matches(record, when):
                held.request = record
                return held
        return None

    # -- gateway --------------------------------------------------------------------------------

    def emit(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None, intent: int = GUILDS
    ) -> Emitted:
        """Send an event to the live sessions that own `guild_id` and want `intent`, in the
        background (callable from plain functions); `await` the result to wait for the send."""
        if guild_id is None and data.get("guild_id") is not None:
            guild_id = int(data["guild_id"])
        sessions = [s for s in self.gateway.live_sessions(guild_id) if s.wants(intent)]
        if not sessions:
            return Emitted()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return Emitted()
        task = loop.create_task(_send_all(sessions, event, data))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return Emitted(task)

    async def settle(self) -> None:
        """Wait until every event `emit()` started has been sent."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None
    ) -> None:
        """Send a gateway event to the connected shard(s) that own `guild_id` (from `data`)."""
        if guild_id is None and data.get("guild_id") is not None:
            guild_id = int(data["guild_id"])
        await self.settle()  # state changes made before this event reach the client first
        await self.wait_until(
            lambda: bool(self.gateway.live_sessions(guild_id)),
            what=f"a connected, identified client to send {event} to",
        )
        for session in self.gateway.live_sessions(guild_id):
            await session.dispatch(event, data)

    async def reconnect_clients(self) -> None:
        """Send op 7 RECONNECT; discord.py reconnects and RESUMEs its session."""
        await self.gateway.send_reconnect()

    def ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [
                {"id": str(g.id), "unavailable": True}
                for g in self.guilds.values()
                if session.handles(g.id)
            ],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(self.application_id), "flags": _APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
            "_trace": ["fakediscord"],
        }

    def guild_create_payload(self, guild: FakeGuild, session: GatewaySession) -> dict[str, Any]:
        """Without the members intent Discord sends only the bot's own member, as here."""
        data = guild.payload(members=False)
        visible = (
            guild.members
            if session.wants(GUILD_MEMBERS)
            else [m for m in guild.members if m.user.id == self.bot.id]
        )
        data.update(
            {
                "members": [m.payload() for m in visible],
                "member_count": len(guild.members),
                "joined_at": iso(),
                "large": False,
                "unavailable": False,
                "voice_states": [],
                "presences": [],
                "threads": [
                    t.payload(member=self.bot.id)
                    for t in guild.threads
                    if not t.archived and self.bot_permissions_in(t) & VIEW_CHANNEL
                ],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "embedded_activities": [],
            }
        )
        return data

    def _message_sessions(self, message: FakeMessage) -> list[GatewaySession]:
        """Guild messages go to the guild's shard (guild-messages intent); DMs to shard 0
        (direct-messages intent), as on Discord."""
        if message.guild_id is None:
            return [
                s
                for s in self.gateway.live_sessions()
                if s.shard_id == 0 and s.wants(DIRECT_MESSAGES)
            ]
        return [s for s in self.gateway.live_sessions(message.guild_id) if s.wants(GUILD_MESSAGES)]

    async def _message_event(self, event: str, message: FakeMessage) -> None:
        """MESSAGE_CREATE / MESSAGE_UPDATE; others' content only with the content intent."""
        payload = message.payload(self.base_url, with_nonce=event == "MESSAGE_CREATE")
        for session in self._message_sessions(message):
            data = dict(payload)
            is_self = message.author.id == self.bot.id
            if not session.wants(MESSAGE_CONTENT) and not is_self and message.guild_id:
                data.update(content="", embeds=[], attachments=[], components=[])
            await session.dispatch(event, data)

    async def _message_create_event(self, message: FakeMessage) -> None:
        await self._message_event("MESSAGE_CREATE", message)

    async def _message_delete_event(self, message: FakeMessage) -> None:
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        for session in self._message_sessions(message):
            await session.dispatch("MESSAGE_DELETE", data)

    async def post_message(
        self,
        channel: FakeChannel,
        author: FakeMember,
        content: str = "",
        *,
        files: list[FakeFile] | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """A member posts in a channel or thread (e.g. a code block for the "Run code" context
        menu); `reply_to` makes it a reply."""
        await self.settle()
        message = FakeMessage(
            id=self.snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author.user,
            content=content,
            member=author,
        )
        if reply_to is not None:
            make_reply(message, reply_to)
        self._store_message(message)
        self._posted(channel, message)
        for file in files or []:
            message.attachments.append(
                FakeFile(file.filename, file.data, file.content_type, id=self.snowflakes.next())
            )
        if self.gateway.live_sessions(channel.guild_id):
            await self._message_create_event(message)
        await self.changed()
        return message

    # -- messages -------------------------------------------------------------------------------

    def _store_message(self, message: FakeMessage) -> FakeMessage:
        """Keep a message; its timestamp is its snowflake's time, as on Discord."""
        message.created_at = snowflake_time(message.id)
        self.messages.setdefault(message.channel_id, []).append(message)
        self._messages_by_id[message.id] = message
        return message

    def _posted(self, channel: FakeChannel | FakeDMChannel, message: FakeMessage) -> None:
        """Bookkeeping Discord does on a new message: last message id, thread counters."""
        channel.last_message_id = message.id
        if isinstance(channel, FakeThread):
            message.position = len(self.messages.get(channel.id, [])) - 1
            channel.message_count += 1
            channel.total_message_sent += 1
            if message.author.id not in channel.member_ids:
                channel.member_ids.append(message.author.id)

    def _bot_member(self, guild_id: int | None) -> FakeMember | None:
        guild = self.guilds.get(guild_id or 0)
        return guild.find_member(self.bot.id) if guild else None

    def new_bot_message(
        self,
        channel_id: int,
        guild_id: int | None,
        *,
        type: int = _DEFAULT,
        interaction: Reply | None = None,
    ) -> FakeMessage:
        message = FakeMessage(
            id=self.snowflakes.next(),
            channel_id=channel_id,
            guild_id=guild_id,
            author=self.bot,
            type=type,
            member=self._bot_member(guild_id),
        )
        if interaction is not None:
            message.webhook_id = self.application_id
            message.application_id = self.application_id
            message.interaction_metadata = interaction.metadata()
        return self._store_message(message)

    def apply_message_payload(
        self,
        message: FakeMessage,
        payload: dict[str, Any],
        files: list[FakeFile],
        *,
        creating: bool,
    ) -> list[FakeFile]:
        """Update a stored message from a create/edit body the way Discord does; returns the
        newly attached files.

        On edit, absent keys keep their value; `attachments` lists what stays (by id) and which
        uploaded `files[n]` to add (by index n); without it, uploads are appended.
        """
        if "content" in payload:
            message.content = payload["content"] or ""
        if "embeds" in payload:
            message.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = message.flags & EPHEMERAL if not creating else 0
            message.flags = (int(payload["flags"]) & ~LOADING) | keep
        uploads = {f.id: f for f in files}
        added: list[FakeFile] = []
        if "attachments" in payload and payload["attachments"] is not None:
            kept = {str(a.id): a for a in message.attachments}
            result: list[FakeFile] = []
            for item in payload["attachments"]:
                key = str(item.get("id"))
                if key in kept:
                    result.append(kept[key])
                elif key.isdigit() and int(key) in uploads:
                    upload = uploads.pop(int(key))
                    added.append(
                        FakeFile(
                            filename=item.get("filename") or upload.filename,
                            data=upload.data,
                            description=item.get("description"),
                            id=self.snowflakes.next(),
                        )
                    )
                    result.append(added[-1])
            message.attachments = result
        for upload in uploads.values():
            added.append(FakeFile(upload.filename, upload.data, id=self.snowflakes.next()))
            message.attachments.append(added[-1])
        message.raw = payload
        if not creating:
            message.edits += 1
            message.edited_at = self.clock.now()
        return added

    # -- HTTP plumbing --------------------------------------------------------------------------

    @web.middleware
    async def _record_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Record every API request with its parsed body; turn errors into Discord's shape."""
        if not request.path.startswith("/api/"):
            return await handler(request)
        path = "/" + request.path.split("/", 3)[3] if request.path.count("/") >= 3 else "/"
        record = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            authorized=request.headers.get("Authorization") == f"Bot {self.token}",
        )
        self.requests.append(record)
        request[RECORD] = record
        verdict = Verdict()
        try:
            record.json, record.files = await _read_body(request)
            token_route = path.startswith(("/webhooks/", "/interactions/"))
            if not token_route and path != "/gateway" and not record.authorized:
                raise DiscordError(401, 0, "401: Unauthorized")
            verdict = self._rate_limit(request, global_scope=not token_route)
        except DiscordError as error:
            response = json_response(error.body, error.status)
        else:
            if verdict.refused is not None:
                self.rate_limited.append(record)
                response = json_response(verdict.refused, 429)
            else:
                response = await self._apply(request, record, handler)
        response.headers.update(verdict.headers)
        response.headers["Via"] = "1.1 google"  # discord.py trusts a 429 only with it
        record.status = response.status
        record.response_headers = dict(response.headers)
        await self.changed()
        return response

    async def _apply(
        self, request: web.Request, record: RecordedRequest, handler: Handler
    ) -> web.StreamResponse:
        """Run the route's handler, holding the request around it if a test asked to."""
        before = self._claim_hold(record, "before")
        after: Hold | None = None
        try:
            if before is not None:
                alive = await before.hold(request, record)
                if not alive and before.if_client_gone == "drop":
                    record.status = 499  # nginx's "client closed request": nothing was applied
                    return web.Response(status=499)
                before.applied = True
            response = await _answer(handler, request)
            record.status = response.status
            after = self._claim_hold(record, "after")
            if after is not None:
                after.applied = True
                await after.hold(request, record)
            return response
        finally:
            for held in (before, after):
                if held is not None:
                    held.done()

    def _rate_limit(self, request: web.Request, *, global_scope: bool) -> Verdict:
        """Count the request against its route's bucket and the global limit."""
        resource = request.match_info.route.resource
        if not self.rate_limiter.enabled or resource is None:
            return Verdict()
        template = resource.canonical.split("/", 3)[3] if resource.canonical.count("/") > 2 else ""
        route = f"{request.method} /{template}"
        major = "/".join(request.match_info.get(k, "") for k in MAJOR_PARAMETERS)
        return self.rate_limiter.check(route, major, global_scope=global_scope)

    def _add_routes(self, app: web.Application) -> None:
        api = "/api/v{version:\\d+}"
        routes = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id:\\d+}", self._get_user),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("POST", "/applications/{app}/commands", self._post_command),
            ("GET", "/applications/{app}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{app}/guilds/{guild_id}/commands", self._post_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._execute_webhook),
            ("GET", "/webhooks/{app}/{token}/messages/{message_id}", self._get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message_id}", self._edit_webhook_message),
            (
                "DELETE",
                "/webhooks/{app}/{token}/messages/{message_id}",
                self._delete_webhook_message,
            ),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", "/channels/{channel_id}/messages", self._get_channel_messages),
            ("POST", "/channels/{channel_id}/messages", self._post_channel_message),
            ("POST", "/channels/{channel_id}/threads", self._start_thread),
            (
                "POST",
                "/channels/{channel_id}/messages/{message_id}/threads",
                self._start_thread_from_message,
            ),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_channel_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}",
                self._delete_channel_message,
            ),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles),
            ("GET", "/guilds/{guild_id}/threads/active", self._get_active_threads),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, api + path, handler)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{name}", self._attachment)

    # -- REST: session and application ----------------------------------------------------------

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(
            {**self.bot.payload(), "verified": True, "mfa_enabled": False, "email": None}
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": self.bot.payload(),
                "owner": self.developer.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": _APPLICATION_FLAGS,
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "approximate_guild_count": len(self.guilds),
                "tags": [],
            }
        )

    def _check_app(self, request: web.Request) -> None:
        if request.match_info["app"] != str(self.application_id):
            raise DiscordError(404, 10002, "Unknown Application")

    def _command_scope(self, request: web.Request) -> int | None:
        self._check_app(request)
        raw = request.match_info.get("guild_id")
        if raw is None:
            return None
        if int(raw) not in self.guilds:
            raise DiscordError(403, 50001, "Missing Access")
        return int(raw)

    def _stored_command(self, data: dict[str, Any], scope: int | None) -> dict[str, Any]:
        """Discord keeps a command's id when a bulk overwrite keeps its name and type."""
        kind = data.get("type", 1)
        permissions = data.get("default_member_permissions")
        previous = next(
            (
                c
                for c in self.commands.get(scope, [])
                if c["name"] == data.get("name") and c.get("type", 1) == kind
            ),
            None,
        )
        command = {
            "id": previous["id"] if previous else str(self.snowflakes.next()),
            "application_id": str(self.application_id),
            "version": str(self.snowflakes.next()),
            "type": kind,
            "name": data["name"],
            "description": data.get("description") or "",
            "options": data.get("options") or [],
            "default_member_permissions": (None if permissions is None else str(permissions)),
            "dm_permission": data.get("dm_permission", True),
            "nsfw": data.get("nsfw", False),
            "name_localizations": data.get("name_localizations"),
            "description_localizations": data.get("description_localizations"),
            "contexts": data.get("contexts"),
            "integration_types": data.get("integration_types") or [0],
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    async def _get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = request[RECORD].json
        if not isinstance(body, list):
            raise invalid([limits.Problem((), "BASE_TYPE_ARRAY", "Must be an array.")])
        problems = limits.command_problems(body)
        if problems:
            raise invalid(problems)
        self.commands[scope] = [self._stored_command(c, scope) for c in body]
        return json_response(self.commands[scope])

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body = request[RECORD].json or {}
        existing = [c for c in self.commands.get(scope, []) if c["name"] != body.get("name")]
        problems = limits.command_problems([*existing, body])
        if problems:
            raise invalid(problems)
        command = self._stored_command(body, scope)
        self.commands[scope] = [*existing, command]
        return json_response(command, 201)

    # -- REST: interactions ---------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        reply = self.interactions.get(request.match_info["token"])
        if reply is None or str(reply.interaction_id) != request.match_info["interaction_id"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        reply.requests.append(record)
        if reply.type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        elapsed = time.monotonic() - reply.dispatched_at
        if self.response_window is not None and elapsed > self.response_window:
            reply.late = True
            raise DiscordError(404, 10062, "Unknown interaction")
        body = record.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        self._check_callback_type(reply, kind, data, len(record.files))
        message: FakeMessage | None = None
        if kind == 4:
            message = self.new_bot_message(
                reply.channel_id, reply.guild_id, type=reply.message_type, interaction=reply
            )
            reply.files_sent += self.apply_message_payload(
                message, data, record.files, creating=True
            )
            message.flags &= EPHEMERAL | limits.COMPONENTS_V2_FLAG | (1 << 2) | (1 << 12)
        elif kind == 5:
            message = self.new_bot_message(
                reply.channel_id, reply.guild_id, type=reply.message_type, interaction=reply
            )
            message.flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
        elif kind in (6, 7):
            message = reply.source_message
            assert message is not None
            if kind == 7:
                reply.files_sent += self.apply_message_payload(
                    message, data, record.files, creating=False
                )
        elif kind == 8:
            reply.choices = list(data.get("choices") or [])
        elif kind == 9:
            self.modals[data["custom_id"]] = (data, reply)
            reply.modal = data
        reply.type = kind
        reply.data = data
        reply.responded_at = time.monotonic()
        reply.original = message
        await self.changed()
        return json_response(
            {
                "interaction": {
                    "id": str(reply.interaction_id),
                    "type": reply.interaction_type,
                    "activity_instance_id": None,
                    "response_message_id": str(message.id) if message else None,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(message and message.ephemeral),
                },
                "resource": {
                    "type": kind,
                    **(
                        {"message": message.payload(self.base_url)}
                        if message is not None and kind in (4, 5, 7)
                        else {}
                    ),
                },
            }
        )

    def _check_callback_type(
        self, reply: Reply, kind: Any, data: dict[str, Any], files: int
    ) -> None:
        """Discord accepts each callback type only for some interactions, within limits."""
        allowed = {
            2: {4, 5, 9},  # application command
            3: {4, 5, 6, 7, 9},  # component
            4: {8},  # autocomplete
            5: {4, 5} | ({6, 7} if reply.source_message is not None else set()),  # modal submit
        }[reply.interaction_type]
        if kind not in allowed:
            raise invalid(
                [
                    limits.Problem(
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {kind} is not valid for interaction type "
                        f"{reply.interaction_type} (allowed: {sorted(allowed)}).",
                    )
                ]
            )
        problems: list[limits.Problem] = []
        if kind == 4:
            problems = limits.message_problems(data, files=files, creating=True)
        elif kind == 7:
            problems = limits.message_problems(data, files=files, creating=False)
        elif kind == 8:
            problems = limits.choice_problems(data.get("choices") or [], ("data", "choices"))
        elif kind == 9:
            problems = limits.modal_problems(data)
        if problems:
            raise invalid(problems)

    def _webhook_reply(self, request: web.Request) -> Reply:
        reply = self.interactions.get(request.match_info["token"])
        if reply is None or request.match_info["app"] != str(self.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        reply.requests.append(request[RECORD])
        if reply.type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return reply

    def _webhook_message(self, reply: Reply, message_id: str) -> FakeMessage:
        if message_id == "@original":
            message = reply.original
        else:
            message = next((m for m in reply.followups if str(m.id) == message_id), None)
            if message is None and reply.original and str(reply.original.id) == message_id:
                message = reply.original
        if message is None or message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        reply = self._webhook_reply(request)
        body = record.json or {}
        problems = limits.message_problems(body, files=len(record.files), creating=True)
        if problems:
            raise invalid(problems)
        original = reply.original
        if reply.type == 5 and original is not None and original.loading:
            # The first follow-up after a "thinking" defer fills in the deferred message.
            message = original
            ephemeral = original.flags & EPHEMERAL
            reply.files_sent += self.apply_message_payload(
                message, body, record.files, creating=True
            )
            message.flags = (message.flags & ~(LOADING | EPHEMERAL)) | ephemeral
        else:
            message = self.new_bot_message(reply.channel_id, reply.guild_id, interaction=reply)
            reply.files_sent += self.apply_message_payload(
                message, body, record.files, creating=True
            )
        reply.followups.append(message)
        await self.changed()
        if request.query.get("wait", "").lower() in ("1", "true"):
            return json_response(message.payload(self.base_url))
        return web.Response(status=204)

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        reply = self._webhook_reply(request)
        message = self._webhook_message(reply, request.match_info["message_id"])
        return json_response(message.payload(self.base_url))

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        reply = self._webhook_reply(request)
        message = self._webhook_message(reply, request.match_info["message_id"])
        body = record.json or {}
        problems = limits.message_problems(body, files=len(record.files), creating=False)
        if problems:
            raise invalid(problems)
        reply.files_sent += self.apply_message_payload(message, body, record.files, creating=False)
        message.flags &= ~LOADING
        reply.edits.append(body)
        await self.changed()
        return json_response(message.payload(self.base_url))

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        reply = self._webhook_reply(request)
        message = self._webhook_message(reply, request.match_info["message_id"])
        message.deleted = True
        await self.changed()
        return web.Response(status=204)

    def _guild_or_404(self, request: web.Request) -> FakeGuild:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        data = guild.payload(members=False, channels=False)
        if request.query.get("with_counts", "").lower() in ("1", "true"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def _get_guild_channels(self, request: web.Request) -> web.Response:
        return json_response([c.payload() for c in self._guild_or_404(request).channels])

    async def _get_guild_roles(self, request: web.Request) -> web.Response:
        return json_response([r.payload() for r in self._guild_or_404(request).roles])

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        member = guild.find_member(int(request.match_info["user_id"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(member.payload())

    async def _attachment(self, request: web.Request) -> web.Response:
        """Attachment URLs resolve here, so a bot can download what members attached."""
        message_files = (
            f for messages in self.messages.values() for m in messages for f in m.attachments
        )
        wanted = int(request.match_info["attachment_id"])
        for file in message_files:
            if file.id == wanted:
                return web.Response(body=file.data, content_type="application/octet-stream")
        for reply in self.interactions.values():
            for file in reply.option_files:
                if file.id == wanted:
                    return web.Response(body=file.data, content_type="application/octet-stream")
        raise web.HTTPNotFound()


async def _answer(handler: Handler, request: web.Request) -> web.StreamResponse:
    """The handler's response, or its Discord-shaped error."""
    try:
        return await handler(request)
    except DiscordError as error:
        return json_response(error.body, error.status)
    except web.HTTPException as error:
        return json_response(
            {"message": f"{error.status}: {error.reason}", "code": 0}, error.status
        )


async def _send_all(sessions: list[GatewaySession], event: str, data: dict[str, Any]) -> None:
    for session in sessions:
        await session.dispatch(event, data)


async def _read_body(request: web.Request) -> tuple[Any, list[FakeFile]]:
    """JSON body, or multipart `payload_json` + `files[n]` (n becomes the file's id)."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[FakeFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not hasattr(part, "name"):
                continue
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif name.startswith("files[") and name.endswith("]"):
                data = bytes(await part.read())  # type: ignore[union-attr]
                files.append(
                    FakeFile(filename=part.filename or name, data=data, id=int(name[6:-1]))
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []
