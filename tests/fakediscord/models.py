"""The fake's view of Discord: users, guilds, channels, messages and recorded requests.

Plain dataclasses that render themselves as Discord payloads, so the fake never hands the client a
shape that the real API would not send. Everything here is state the tests can read and assert on.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used by the fake and by tests (values from Discord's permission table).
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

#: What @everyone can do in a fresh server: read, write and use commands, nothing more.
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | CREATE_INSTANT_INVITE
)

#: What a member loses in a channel where they cannot send messages (Discord's implicit denies).
_NEEDS_SEND = MENTION_EVERYONE | SEND_TTS_MESSAGES | ATTACH_FILES | EMBED_LINKS

# Message flags.
HAS_THREAD = 1 << 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Channel types.
TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4
ANNOUNCEMENT_CHANNEL = 5
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12

# Message types the fake creates itself.
REPLY = 19
THREAD_STARTER_MESSAGE = 21

# Permission overwrite types.
ROLE_OVERWRITE = 0
MEMBER_OVERWRITE = 1


class FakeClock:
    """The fake's wall clock: real time plus an `offset` a test moves with `advance()`.

    Snowflakes, message timestamps and the nonce window read it, so "five minutes later" is one
    call, not a sleep. Rate limits and the interaction window stay on real time: discord.py
    sleeps real seconds. It cannot go back before the newest id the fake made (Discord's ids
    only grow); start a fake in the past with `FakeDiscord(now=...)`.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        #: The earliest time it may be moved to (the fake sets it: its newest id's time).
        self.not_before: Callable[[], float | None] | None = None

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, by: float | timedelta) -> None:
        seconds = by.total_seconds() if isinstance(by, timedelta) else float(by)
        self._move(self.offset + seconds)

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (an aware datetime)."""
        self._move(moment.timestamp() - time.time())

    def _move(self, offset: float) -> None:
        floor = self.not_before() if self.not_before is not None else None
        if floor is not None and time.time() + offset < floor:
            raise ValueError(
                "the fake's clock cannot go back before ids it already made; "
                "start it there with FakeDiscord(now=...)"
            )
        self.offset = offset


class Emitted:
    """The gateway events a state change sent to connected clients, in the background.

    Setting up state before a client connects needs no await; with a client connected,
    `await` it to be sure the event went out (the client still handles it on its own time).
    """

    def __init__(self, task: asyncio.Task[None] | None = None) -> None:
        self.task = task

    def __await__(self) -> Generator[Any, None, None]:
        if self.task is not None:
            yield from self.task.__await__()


class Snowflakes:
    """Realistic, strictly increasing snowflakes: the timestamp in them is the current time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_ms = 0
        self._increment = 0

    def latest(self) -> float | None:
        """Unix time of the newest id made, if any."""
        return (self._last_ms + DISCORD_EPOCH_MS) / 1000 if self._last_ms else None

    def next(self, *, shard: tuple[int, int] | None = None) -> int:
        """The next id; with `shard=(shard_id, shard_count)`, one Discord routes to that shard
        (`(id >> 22) % shard_count == shard_id`): the timestamp moves on by a few ms at most."""
        with self._lock:
            ms = int(self._clock() * 1000) - DISCORD_EPOCH_MS
            if ms <= self._last_ms:
                ms = self._last_ms
                self._increment += 1
                if self._increment > 0xFFF:
                    ms += 1
                    self._increment = 0
            else:
                self._increment = 0
            if shard is not None:
                shard_id, shard_count = shard
                while ms % shard_count != shard_id:
                    ms += 1
                    self._increment = 0
            self._last_ms = ms
            return (ms << 22) | (1 << 17) | (1 << 12) | self._increment


def snowflake_time(snowflake: int) -> datetime:
    """When a snowflake was made (Discord's message timestamps are their id's time)."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def iso(moment: datetime | None = None) -> str:
    """Discord's timestamp format (aware UTC, microseconds)."""
    return (moment or datetime.now(UTC)).isoformat(timespec="microseconds")


@dataclass
class FakeUser:
    """A Discord user; `bot=True` for the bot's own account."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    #: The user turned off DMs from server members: the bot's DMs answer 403 / 50007.
    dms_closed: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class FakeRole:
    """A guild role; the role whose id equals the guild id is @everyone."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Overwrite:
    """A permission overwrite on a channel, for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class FakeChannel:
    """A guild channel (text by default), with its permission overwrites."""

    id: int
    guild_id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    #: Overwrites by role or user id; change them with `allow()`, `deny()`, `clear()`.
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    #: Set by `guild.remove_channel()`; REST on the channel then answers 404 Unknown Channel.
    deleted: bool = False
    guild: FakeGuild | None = field(default=None, repr=False, compare=False)

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "type": self.type,
            "position": self.position,
            "topic": self.topic,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": False,
            "permission_overwrites": [o.payload() for o in self.overwrites.values()],
            "rate_limit_per_user": 0,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    # -- permission overwrites ------------------------------------------------------------------

    def allow(self, target: FakeRole | FakeMember | FakeUser, permissions: int) -> Emitted:
        """Explicitly allow `permissions` to a role or member here (CHANNEL_UPDATE if live)."""
        overwrite = self._overwrite(target)
        overwrite.allow |= permissions
        overwrite.deny &= ~permissions
        return self._updated()

    def deny(self, target: FakeRole | FakeMember | FakeUser, permissions: int) -> Emitted:
        """Explicitly deny `permissions` to a role or member here (CHANNEL_UPDATE if live),
        e.g. `lessons.deny(fake.bot, SEND_MESSAGES)` or `lessons.deny(guild.everyone, ...)`."""
        overwrite = self._overwrite(target)
        overwrite.deny |= permissions
        overwrite.allow &= ~permissions
        return self._updated()

    def clear(self, target: FakeRole | FakeMember | FakeUser) -> Emitted:
        """Remove the overwrite for `target` (back to its role permissions)."""
        self.overwrites.pop(target.id, None)
        return self._updated()

    def _overwrite(self, target: FakeRole | FakeMember | FakeUser) -> Overwrite:
        kind = ROLE_OVERWRITE if isinstance(target, FakeRole) else MEMBER_OVERWRITE
        return self.overwrites.setdefault(target.id, Overwrite(id=target.id, type=kind))

    def _updated(self) -> Emitted:
        if self.guild is None or self.deleted:
            return Emitted()
        return self.guild._fake.emit("CHANNEL_UPDATE", self.payload(), guild_id=self.guild_id)


@dataclass
class FakeThread(FakeChannel):
    """A thread (type 11 public, 12 private) in a text channel (`parent_id`).

    Permissions come from the parent's overwrites; talking needs Send Messages in Threads.
    `message_count`/`total_message_sent` count messages posted in it (not the starter message).
    """

    type: int = PUBLIC_THREAD
    owner_id: int = 0
    auto_archive_duration: int = 1440
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    message_count: int = 0
    total_message_sent: int = 0
    #: Users who joined (the creator, then whoever posted), in order.
    member_ids: list[int] = field(default_factory=list)
    #: The message the thread was started from (same id as the thread), if any.
    starter_message_id: int | None = None

    @property
    def parent(self) -> FakeChannel:
        assert self.guild is not None and self.parent_id is not None
        return self.guild.channel(self.parent_id)

    def thread_member(self, user_id: int) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "user_id": str(user_id),
            "join_timestamp": iso(self.created_at),
            "flags": 0,
        }

    def payload(self, *, member: int | None = None) -> dict[str, Any]:
        """The thread channel; `member` adds that user's thread member if they joined."""
        metadata: dict[str, Any] = {
            "archived": self.archived,
            "auto_archive_duration": self.auto_archive_duration,
            "archive_timestamp": iso(self.created_at),
            "locked": self.locked,
            "create_timestamp": iso(self.created_at),
        }
        if self.type == PRIVATE_THREAD:
            metadata["invitable"] = self.invitable
        data: dict[str, Any] = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "name": self.name,
            "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "message_count": self.message_count,
            "member_count": len(self.member_ids),
            "total_message_sent": self.total_message_sent,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": metadata,
        }
        if member is not None and member in self.member_ids:
            data["member"] = self.thread_member(member)
        return data

    def _overwrite(self, target: FakeRole | FakeMember | FakeUser) -> Overwrite:
        raise TypeError("a thread has no overwrites of its own: change its parent channel's")

    def _updated(self) -> Emitted:
        if self.guild is None or self.deleted:
            return Emitted()
        return self.guild._fake.emit("THREAD_UPDATE", self.payload(), guild_id=self.guild_id)


@dataclass(eq=False)
class FakeDMChannel:
    """The bot's DM channel with one user (created by POST /users/@me/channels)."""

    id: int
    recipient: FakeUser
    last_message_id: int | None = None
    type: int = DM_CHANNEL
    guild_id: None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": DM_CHANNEL,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "recipients": [self.recipient.payload()],
            "flags": 0,
        }


@dataclass(eq=False)
class FakeMember:
    """A user's membership in a guild.

    `permissions`, when set, is what Discord reports for the member in interactions (it overrides
    the value computed from roles), so a test can say "this member has Manage Server" in one word.
    """

    user: FakeUser
    guild: FakeGuild = field(repr=False)
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    permissions: int | None = None
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    def computed_permissions(self) -> int:
        """What Discord would compute: owner and Administrator get everything, else role union."""
        if self.permissions is not None:
            return self.permissions
        return self.guild.base_permissions(self)

    def permissions_in(self, channel: FakeChannel) -> int:
        """The member's permissions in `channel`, overwrites applied (`permissions` overrides)."""
        if self.permissions is not None:
            return self.permissions
        return self.guild.permissions_for(self, channel)

    def payload(self, *, with_user: bool = True, with_permissions: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if with_permissions:
            data["permissions"] = str(self.computed_permissions())
        return data


@dataclass(eq=False)
class FakeGuild:
    """A guild with its roles, channels and members, as the bot would see it in GUILD_CREATE."""

    id: int
    name: str
    owner_id: int
    _fake: FakeDiscord = field(repr=False)
    roles: list[FakeRole] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    #: Active threads (created through the API or `add_thread`).
    threads: list[FakeThread] = field(default_factory=list)
    locale: str = "en-US"
    #: Where Discord posts join messages; set it directly, or with `set_system_channel()` once a
    #: client is connected (GUILD_UPDATE).
    system_channel_id: int | None = None

    # -- building -------------------------------------------------------------------------------

    def add_channel(
        self, name: str, *, type: int = TEXT_CHANNEL, topic: str | None = None
    ) -> FakeChannel:
        channel = FakeChannel(
            id=self._fake.snowflakes.next(),
            guild_id=self.id,
            name=name,
            type=type,
            position=len(self.channels),
            topic=topic,
            guild=self,
        )
        self.channels.append(channel)
        self._fake.messages.setdefault(channel.id, [])
        return channel

    def remove_channel(self, channel: FakeChannel | str | int) -> Emitted:
        """Delete a channel (and its threads) as an admin would: CHANNEL_DELETE (THREAD_DELETE
        for a thread) to live clients; REST on it answers 404 Unknown Channel. Its messages stay
        readable in the fake."""
        target = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        if isinstance(target, FakeThread):
            self.threads.remove(target)
            target.deleted = True
            gone = {
                "id": str(target.id),
                "guild_id": str(self.id),
                "parent_id": str(target.parent_id),
                "type": target.type,
            }
            return self._fake.emit("THREAD_DELETE", gone, guild_id=self.id)
        self.channels.remove(target)
        target.deleted = True
        for thread in [t for t in self.threads if t.parent_id == target.id]:
            self.threads.remove(thread)
            thread.deleted = True
        if self.system_channel_id == target.id:
            self.system_channel_id = None
        return self._fake.emit("CHANNEL_DELETE", target.payload(), guild_id=self.id)

    def set_system_channel(self, channel: FakeChannel | None) -> Emitted:
        self.system_channel_id = channel.id if channel is not None else None
        payload = self.payload(members=False, channels=False)
        return self._fake.emit("GUILD_UPDATE", payload, guild_id=self.id)

    def set_role_permissions(self, role: FakeRole | str | int, permissions: int) -> Emitted:
        """Change what a role grants (GUILD_ROLE_UPDATE to live clients)."""
        target = role if isinstance(role, FakeRole) else self.role(role)
        target.permissions = permissions
        return self._fake.emit(
            "GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": target.payload()}
        )

    def add_role(self, name: str, permissions: int = 0, *, managed: bool = False) -> FakeRole:
        role = FakeRole(
            id=self._fake.snowflakes.next(),
            name=name,
            permissions=permissions,
            position=len(self.roles),
            managed=managed,
        )
        self.roles.append(role)
        return role

    def add_member(
        self,
        user: FakeUser | str,
        *,
        roles: tuple[FakeRole, ...] | list[FakeRole] = (),
        permissions: int | None = None,
        nick: str | None = None,
    ) -> FakeMember:
        if isinstance(user, str):
            user = self._fake.new_user(user)
        self._fake.users[user.id] = user
        member = FakeMember(
            user=user,
            guild=self,
            roles=[r.id for r in roles],
            permissions=permissions,
            nick=nick,
        )
        self.members.append(member)
        return member

    # -- lookups --------------------------------------------------------------------------------

    @property
    def everyone(self) -> FakeRole:
        return next(r for r in self.roles if r.id == self.id)

    @property
    def owner(self) -> FakeMember:
        return self.member(self.owner_id)

    @property
    def text_channels(self) -> list[FakeChannel]:
        return [c for c in self.channels if c.type == TEXT_CHANNEL]

    def channel(self, key: str | int) -> FakeChannel:
        for channel in self.channels:
            if channel.name == key or channel.id == key:
                return channel
        raise KeyError(f"no channel {key!r} in {self.name}: {[c.name for c in self.channels]}")

    def role(self, key: str | int) -> FakeRole:
        for role in self.roles:
            if role.name == key or role.id == key:
                return role
        raise KeyError(f"no role {key!r} in {self.name}: {[r.name for r in self.roles]}")

    def thread(self, key: str | int) -> FakeThread:
        for thread in self.threads:
            if thread.name == key or thread.id == key:
                return thread
        raise KeyError(f"no thread {key!r} in {self.name}: {[t.name for t in self.threads]}")

    def member(self, key: str | int) -> FakeMember:
        for member in self.members:
            if key in (member.user.id, member.user.username):
                return member
        raise KeyError(
            f"no member {key!r} in {self.name}: {[m.user.username for m in self.members]}"
        )

    def find_member(self, user_id: int) -> FakeMember | None:
        return next((m for m in self.members if m.user.id == user_id), None)

    def default_member(self) -> FakeMember:
        """Who acts when a test names nobody: an ordinary member (not owner, bot or manager),
        so a forgotten `user=` never passes a permission check by accident."""
        others = [m for m in self.members if m.user.id != self.owner_id and not m.user.bot]
        for member in others:
            if not member.computed_permissions() & (ADMINISTRATOR | MANAGE_GUILD):
                return member
        return others[0] if others else self.owner

    def base_permissions(self, member: FakeMember) -> int:
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        value = self.everyone.permissions
        for role in self.roles:
            if role.id in member.roles:
                value |= role.permissions
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return value

    def permissions_for(self, member: FakeMember, channel: FakeChannel) -> int:
        """Discord's algorithm: base permissions, then the @everyone, role and member
        overwrites of the channel (a thread's parent); no View Channel means nothing at all."""
        value = self.base_permissions(member)
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        source = channel.parent if isinstance(channel, FakeThread) else channel
        overwrites = source.overwrites
        everyone = overwrites.get(self.id)
        if everyone is not None:
            value = (value & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            overwrite = overwrites.get(role_id)
            if overwrite is not None and overwrite.type == ROLE_OVERWRITE:
                allow |= overwrite.allow
                deny |= overwrite.deny
        value = (value & ~deny) | allow
        own = overwrites.get(member.user.id)
        if own is not None and own.type == MEMBER_OVERWRITE:
            value = (value & ~own.deny) | own.allow
        if not value & VIEW_CHANNEL:
            return 0
        in_thread = isinstance(channel, FakeThread)
        if in_thread and channel.type == PRIVATE_THREAD and not value & MANAGE_THREADS:
            if member.user.id not in channel.member_ids:
                return 0
        if not value & (SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES):
            value &= ~_NEEDS_SEND
        return value

    # -- payloads -------------------------------------------------------------------------------

    def payload(self, *, members: bool = True, channels: bool = True) -> dict[str, Any]:
        """The guild object; GUILD_CREATE adds channels, members and counts."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }
        if channels:
            data["channels"] = [c.payload() for c in self.channels]
        if members:
            data["members"] = [m.payload() for m in self.members]
        return data


@dataclass
class FakeFile:
    """A file the bot uploaded (or a member attached): its name and exact bytes."""

    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    id: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(self, base_url: str, channel_id: int) -> dict[str, Any]:
        url = f"{base_url}/attachments/{channel_id}/{self.id}/{self.filename}"
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type
            or mimetypes.guess_type(self.filename)[0]
            or "application/octet-stream",
        }
        if self.description is not None:
            data["description"] = self.description
        return data


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component in a tree: action rows, v2 containers, sections' accessories, labels."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


@dataclass(eq=False)
class FakeMessage:
    """A message in a channel, kept as the fake last rendered it (edits update it in place)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    attachments: list[FakeFile] = field(default_factory=list)
    type: int = 0
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    edited_at: datetime | None = None
    deleted: bool = False
    edits: int = 0
    raw: dict[str, Any] = field(default_factory=dict)
    member: FakeMember | None = None
    #: The `nonce` the message was created with (Discord echoes it in the create answer and in
    #: MESSAGE_CREATE only).
    nonce: str | int | None = None
    #: A reply's `message_reference` ({type, message_id, channel_id, guild_id}) and the message
    #: it answers (a thread's starter message references the message the thread started from).
    message_reference: dict[str, Any] | None = None
    referenced_message: FakeMessage | None = None
    #: The thread started from this message.
    thread: FakeThread | None = None
    #: Approximate position in a thread (0 for the starter message), else None.
    position: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def files(self) -> list[FakeFile]:
        return self.attachments

    def custom_ids(self) -> list[str]:
        """Custom ids of every interactive component on the message, in order."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        return next(
            (c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None
        )

    @property
    def reply_to(self) -> FakeMessage | None:
        """The message this one replies to (type 19), if any."""
        return self.referenced_message if self.type == REPLY else None

    def payload(
        self, base_url: str, *, with_nonce: bool = False, with_reference: bool = True
    ) -> dict[str, Any]:
        """The message object; the nonce only where Discord sends it (create answer and
        MESSAGE_CREATE), `referenced_message` one level deep."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.payload(base_url, self.channel_id) for a in self.attachments],
            "embeds": self.embeds,
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": self.components,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.member is not None:
            data["member"] = self.member.payload(with_user=False)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if with_nonce and self.nonce is not None:
            data["nonce"] = self.nonce
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
            if with_reference and self.type in (REPLY, THREAD_STARTER_MESSAGE):
                referenced = self.referenced_message
                data["referenced_message"] = (
                    referenced.payload(base_url, with_reference=False)
                    if referenced is not None and not referenced.deleted
                    else None
                )
        if self.thread is not None and not self.thread.deleted:
            data["thread"] = self.thread.payload()
        if self.position is not None:
            data["position"] = self.position
        return data


@dataclass
class RecordedRequest:
    """One REST request the client made, with its parsed body, as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    files: list[FakeFile] = field(default_factory=list)
    status: int = 0
    authorized: bool = False
    at: float = field(default_factory=time.monotonic)
    #: The client went away while a test held the request (`fake.hold`): no answer was sent.
    dropped: bool = False
    #: Headers of the answer (rate-limit headers among them when rate limits are on).
    response_headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        body = "" if self.json is None else f" {_short(self.json)}"
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        status = f"{self.status} (client gone)" if self.dropped else self.status
        return f"{self.method} {self.path}{'?' + query if query else ''} -> {status}{body}{files}"


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_counter = itertools.count(1)


def unique_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    """Interaction tokens are long opaque strings; the counter keeps them unique per process."""
    return f"{prefix}{next(_counter):06d}{time.monotonic_ns():x}"
