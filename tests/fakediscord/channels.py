"""The bot's REST calls on channels: messages, history, threads and DMs, with Discord's checks.

Mixed into `FakeDiscord` (like `InteractionHelpers`). Each route checks what Discord checks, in
Discord's order: the channel exists (404 10003), the bot may see it (403 50001) and do the thing
(403 50013), the body is valid (400 50035); then it applies the change and sends the gateway
events Discord sends. Sends with `enforce_nonce` are deduplicated within `fake.nonce_window`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.models import (
    ANNOUNCEMENT_CHANNEL,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    EPHEMERAL,
    HAS_THREAD,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    READ_MESSAGE_HISTORY,
    REPLY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TEXT_CHANNEL,
    THREAD_STARTER_MESSAGE,
    VIEW_CHANNEL,
    Emitted,
    FakeChannel,
    FakeDMChannel,
    FakeMessage,
    FakeThread,
    RecordedRequest,
)
from tests.fakediscord.responses import RECORD, DiscordError, invalid, json_response

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord


class ChannelRoutes:
    """Mixed into `FakeDiscord`: the /channels/... and /users/@me/channels routes."""

    # -- REST: permissions ------------------------------------------------------------------------

    def _require(self: FakeDiscord, channel: FakeChannel | FakeDMChannel, needed: int = 0) -> None:
        """The bot's permissions in a guild channel, checked as Discord does: 403 50001 Missing
        Access without View Channel, 403 50013 Missing Permissions without `needed`."""
        if isinstance(channel, FakeDMChannel):
            return
        permissions = self.bot_permissions_in(channel)
        if not permissions & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if permissions & needed != needed:
            raise DiscordError(403, 50013, "Missing Permissions")

    def _can_send(self: FakeDiscord, channel: FakeChannel | FakeDMChannel) -> int:
        """The permission that lets the bot talk here (threads have their own)."""
        if isinstance(channel, FakeThread):
            return SEND_MESSAGES_IN_THREADS
        return 0 if isinstance(channel, FakeDMChannel) else SEND_MESSAGES

    def _check_dm(self: FakeDiscord, channel: FakeDMChannel) -> None:
        """Discord refuses DMs to bots, to users who closed them, and without a mutual guild."""
        user = channel.recipient
        if user.bot or user.dms_closed:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        mutual = any(
            g.find_member(user.id) and g.find_member(self.bot.id) for g in self.guilds.values()
        )
        if not mutual:
            raise DiscordError(
                403, 50278, "Cannot send messages to this user due to having no mutual guilds"
            )

    def _check_thread_open(self: FakeDiscord, thread: FakeThread) -> Emitted:
        """Posting unarchives a thread (THREAD_UPDATE), unless it is locked and the bot cannot
        manage threads."""
        manages = bool(self.bot_permissions_in(thread) & MANAGE_THREADS)
        if thread.locked and not manages:
            if thread.archived:
                raise DiscordError(400, 50083, "Thread is archived")
            raise DiscordError(403, 50013, "Missing Permissions")
        if not thread.archived:
            return Emitted()
        thread.archived = False
        return thread._updated()

    # -- REST: channels, guilds -----------------------------------------------------------------

    def _channel_or_404(self: FakeDiscord, request: web.Request) -> FakeChannel | FakeDMChannel:
        channel = self.any_channel(int(request.match_info["channel_id"]))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _guild_channel_or_404(self: FakeDiscord, request: web.Request) -> FakeChannel:
        channel = self._channel_or_404(request)
        if isinstance(channel, FakeDMChannel):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return channel

    def _channel_message_or_404(self: FakeDiscord, request: web.Request) -> FakeMessage:
        channel = self._channel_or_404(request)
        message = self.message(int(request.match_info["message_id"]))
        if message is None or message.deleted or message.channel_id != channel.id:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def _get_channel(self: FakeDiscord, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        self._require(channel)
        if isinstance(channel, FakeThread):
            return json_response(channel.payload(member=self.bot.id))
        return json_response(channel.payload())

    async def _get_channel_messages(self: FakeDiscord, request: web.Request) -> web.Response:
        """History, newest first: `limit` 1-100 (50), and one of `before`, `after`, `around`.
        Without Read Message History Discord answers an empty list."""
        channel = self._channel_or_404(request)
        limit, anchors = _history_query(request.query)
        self._require(channel)
        if not isinstance(channel, FakeDMChannel):
            if not self.bot_permissions_in(channel) & READ_MESSAGE_HISTORY:
                return json_response([])
        page = history_page(self.channel_messages(channel), limit, **anchors)
        return json_response([m.payload(self.base_url) for m in page])

    async def _post_channel_message(self: FakeDiscord, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        channel = self._channel_or_404(request)
        body = record.json or {}
        self._require(channel, self._can_send(channel) | (ATTACH_FILES if record.files else 0))
        if isinstance(channel, FakeDMChannel):
            self._check_dm(channel)
        problems = limits.message_problems(body, files=len(record.files), creating=True)
        problems += limits.nonce_problems(body)
        if problems:
            raise invalid(problems)
        earlier = self._same_nonce(channel, body)
        if earlier is not None:
            return json_response(earlier.payload(self.base_url, with_nonce=True))
        answered = self._reply_target(channel, body)
        if isinstance(channel, FakeThread):
            await self._check_thread_open(channel)
        message = self.new_bot_message(channel.id, channel.guild_id)
        self.apply_message_payload(message, body, record.files, creating=True)
        message.flags &= ~EPHEMERAL
        if answered is not None:
            make_reply(message, answered)
        self._remember_nonce(message, body)
        self._posted(channel, message)
        await self._message_create_event(message)
        await self.changed()
        return json_response(message.payload(self.base_url, with_nonce=True))

    def _same_nonce(
        self: FakeDiscord, channel: FakeChannel | FakeDMChannel, body: dict[str, Any]
    ) -> FakeMessage | None:
        """With `enforce_nonce`, the bot's message with this nonce here within the window."""
        if body.get("nonce") is None or not body.get("enforce_nonce"):
            return None
        earlier = self._nonces.get((channel.id, self.bot.id, str(body["nonce"])))
        if earlier is None or earlier.deleted:
            return None
        if self.clock.time() - earlier.created_at.timestamp() > self.nonce_window:
            return None
        return earlier

    def _remember_nonce(self: FakeDiscord, message: FakeMessage, body: dict[str, Any]) -> None:
        message.nonce = body.get("nonce")
        if message.nonce is not None and body.get("enforce_nonce"):
            self._nonces[(message.channel_id, message.author.id, str(message.nonce))] = message

    def _reply_target(
        self: FakeDiscord, channel: FakeChannel | FakeDMChannel, body: dict[str, Any]
    ) -> FakeMessage | None:
        """The message a `message_reference` answers (a reply lives in the same channel)."""
        reference = body.get("message_reference")
        if not reference:
            return None
        if reference.get("type", 0) != 0:
            raise invalid(
                [
                    limits.Problem(
                        ("message_reference", "type"),
                        "MESSAGE_REFERENCE_TYPE_UNSUPPORTED",
                        "The fake models replies (type 0) only, not forwards.",
                    )
                ]
            )
        raw_id = str(reference.get("message_id") or "")
        target = self.message(int(raw_id)) if raw_id.isdigit() else None
        if target is None or target.deleted or target.channel_id != channel.id:
            if reference.get("fail_if_not_exists", True):
                raise invalid(
                    [
                        limits.Problem(
                            ("message_reference",),
                            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                            "Unknown message",
                        )
                    ]
                )
            return None
        if not isinstance(channel, FakeDMChannel):
            if not self.bot_permissions_in(channel) & READ_MESSAGE_HISTORY:
                raise DiscordError(
                    403, 160002, "Cannot reply without permission to read message history"
                )
        return target

    async def _get_channel_message(self: FakeDiscord, request: web.Request) -> web.Response:
        self._require(self._channel_or_404(request), READ_MESSAGE_HISTORY)
        return json_response(self._channel_message_or_404(request).payload(self.base_url))

    async def _edit_channel_message(self: FakeDiscord, request: web.Request) -> web.Response:
        record: RecordedRequest = request[RECORD]
        channel = self._channel_or_404(request)
        self._require(channel, self._can_send(channel))
        message = self._channel_message_or_404(request)
        if message.author.id != self.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = record.json or {}
        problems = limits.message_problems(body, files=len(record.files), creating=False)
        if problems:
            raise invalid(problems)
        self.apply_message_payload(message, body, record.files, creating=False)
        await self._message_event("MESSAGE_UPDATE", message)
        await self.changed()
        return json_response(message.payload(self.base_url))

    async def _delete_channel_message(self: FakeDiscord, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request)
        message = self._channel_message_or_404(request)
        own = message.author.id == self.bot.id
        self._require(channel, 0 if own else MANAGE_MESSAGES)
        message.deleted = True
        if isinstance(channel, FakeThread):
            channel.message_count = max(channel.message_count - 1, 0)
        await self._message_delete_event(message)
        await self.changed()
        return web.Response(status=204)

    # -- REST: threads and DMs --------------------------------------------------------------------

    def _new_thread(
        self: FakeDiscord, channel: FakeChannel, body: dict[str, Any], kind: int, thread_id: int
    ) -> FakeThread:
        guild = self.guilds[channel.guild_id]
        thread = FakeThread(
            id=thread_id,
            guild_id=guild.id,
            name=body["name"],
            type=kind,
            parent_id=channel.id,
            owner_id=self.bot.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            invitable=bool(body.get("invitable", True)),
            created_at=self.clock.now(),
            member_ids=[self.bot.id],
            guild=guild,
        )
        guild.threads.append(thread)
        self.messages.setdefault(thread.id, [])
        return thread

    async def _thread_created(self: FakeDiscord, thread: FakeThread) -> web.Response:
        data = {**thread.payload(member=self.bot.id), "newly_created": True}
        await self.emit("THREAD_CREATE", data, guild_id=thread.guild_id)
        await self.changed()
        return json_response(thread.payload(member=self.bot.id), 201)

    async def _start_thread_from_message(self: FakeDiscord, request: web.Request) -> web.Response:
        """A public thread with the message's id; its first message is Discord's
        THREAD_STARTER_MESSAGE (type 21) pointing at the message, which gets a `thread`."""
        record: RecordedRequest = request[RECORD]
        channel = self._guild_channel_or_404(request)
        self._require(channel, CREATE_PUBLIC_THREADS | READ_MESSAGE_HISTORY)
        message = self._channel_message_or_404(request)
        if channel.type not in (TEXT_CHANNEL, ANNOUNCEMENT_CHANNEL):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if message.thread is not None:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body = record.json or {}
        problems = limits.thread_problems(body)
        if problems:
            raise invalid(problems)
        kind = 10 if channel.type == ANNOUNCEMENT_CHANNEL else PUBLIC_THREAD
        thread = self._new_thread(channel, body, kind, message.id)
        thread.starter_message_id = message.id
        message.thread = thread
        message.flags |= HAS_THREAD
        starter = FakeMessage(
            id=self.snowflakes.next(),
            channel_id=thread.id,
            guild_id=thread.guild_id,
            author=message.author,
            type=THREAD_STARTER_MESSAGE,
            member=message.member,
            position=0,
        )
        make_reply(starter, message)
        starter.type = THREAD_STARTER_MESSAGE
        self._store_message(starter)
        response = await self._thread_created(thread)
        await self._message_event("MESSAGE_UPDATE", message)
        return response

    async def _start_thread(self: FakeDiscord, request: web.Request) -> web.Response:
        """A thread without a starter message; `type` defaults to private (12) as on Discord."""
        record: RecordedRequest = request[RECORD]
        channel = self._guild_channel_or_404(request)
        body = record.json or {}
        kind = body.get("type", PRIVATE_THREAD)
        needed = CREATE_PUBLIC_THREADS if kind == PUBLIC_THREAD else CREATE_PRIVATE_THREADS
        self._require(channel, needed)
        if channel.type != TEXT_CHANNEL or isinstance(channel, FakeThread):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        problems = limits.thread_problems(body)
        if kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
            problems.append(
                limits.Problem(("type",), "BASE_TYPE_CHOICES", "Value must be one of {11, 12}.")
            )
        if problems:
            raise invalid(problems)
        return await self._thread_created(
            self._new_thread(channel, body, kind, self.snowflakes.next())
        )

    async def _get_active_threads(self: FakeDiscord, request: web.Request) -> web.Response:
        guild = self._guild_or_404(request)
        visible = [
            t for t in guild.threads if not t.archived and self.bot_permissions_in(t) & VIEW_CHANNEL
        ]
        return json_response(
            {
                "threads": [t.payload() for t in visible],
                "members": [
                    t.thread_member(self.bot.id) for t in visible if self.bot.id in t.member_ids
                ],
            }
        )

    async def _create_dm(self: FakeDiscord, request: web.Request) -> web.Response:
        """The bot's DM channel with `recipient_id` (the same one every time)."""
        body = request[RECORD].json or {}
        raw = str(body.get("recipient_id") or "")
        if not raw.isdigit():
            raise invalid(
                [limits.Problem(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")]
            )
        user = self.users.get(int(raw))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = FakeDMChannel(id=self.snowflakes.next(), recipient=user)
            self.dm_channels[user.id] = channel
            self.messages.setdefault(channel.id, [])
        return json_response(channel.payload())


def make_reply(message: FakeMessage, target: FakeMessage) -> None:
    message.type = REPLY
    message.message_reference = {
        "type": 0,
        "message_id": str(target.id),
        "channel_id": str(target.channel_id),
    }
    if target.guild_id is not None:
        message.message_reference["guild_id"] = str(target.guild_id)
    message.referenced_message = target


def _history_query(query: Mapping[str, str]) -> tuple[int, dict[str, int | None]]:
    """`limit` (1-100, default 50) and the snowflake anchors, or Discord's 400 50035."""
    problems: list[limits.Problem] = []
    limit = 50
    raw_limit = query.get("limit")
    if raw_limit is not None:
        if not raw_limit.lstrip("-").isdigit():
            problems.append(
                limits.Problem(("limit",), "NUMBER_TYPE_COERCE", f'Value "{raw_limit}" is not int.')
            )
        elif int(raw_limit) < 1:
            problems.append(
                limits.Problem(
                    ("limit",), "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1."
                )
            )
        elif int(raw_limit) > 100:
            problems.append(
                limits.Problem(
                    ("limit",), "NUMBER_TYPE_MAX", "int value should be less than or equal to 100."
                )
            )
        else:
            limit = int(raw_limit)
    anchors: dict[str, int | None] = {}
    for key in ("before", "after", "around"):
        raw = query.get(key)
        if raw is not None and not raw.isdigit():
            problems.append(
                limits.Problem((key,), "SNOWFLAKE_TYPE_INVALID", f'Value "{raw}" is not snowflake.')
            )
        anchors[key] = int(raw) if raw is not None and raw.isdigit() else None
    if problems:
        raise invalid(problems)
    return limit, anchors


def history_page(
    messages: list[FakeMessage],
    limit: int,
    *,
    before: int | None = None,
    after: int | None = None,
    around: int | None = None,
) -> list[FakeMessage]:
    """One page of history, newest first, as Discord pages it: the `limit` newest before
    `before`; the `limit` oldest after `after`; up to `limit` around `around` (itself included,
    the older half first). Only one anchor counts, in the order around, before, after."""
    ordered = sorted(messages, key=lambda m: m.id)
    if around is not None:
        newer_count = limit // 2
        older = [m for m in ordered if m.id <= around][-(limit - newer_count) :]
        newer = [m for m in ordered if m.id > around][:newer_count]
        page = older + newer
    elif before is not None:
        page = [m for m in ordered if m.id < before][-limit:]
    elif after is not None:
        page = [m for m in ordered if m.id > after][:limit]
    else:
        page = ordered[-limit:]
    return list(reversed(page))
