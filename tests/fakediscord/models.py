"""The fake's view of Discord: users, guilds, channels, messages and recorded requests.

Plain dataclasses that render themselves as Discord payloads, so the fake never hands the client a
shape that the real API would not send. Everything here is state the tests can read and assert on.
"""

from __future__ import annotations

import itertools
import mimetypes
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
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
    | CREATE_INSTANT_INVITE
)

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

TEXT_CHANNEL = 0
CATEGORY_CHANNEL = 4


class Snowflakes:
    """Realistic, strictly increasing snowflakes: the timestamp in them is the current time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            if ms <= self._last_ms:
                ms = self._last_ms
                self._increment += 1
                if self._increment > 0xFFF:
                    ms += 1
                    self._increment = 0
            else:
                self._increment = 0
            self._last_ms = ms
            return (ms << 22) | (1 << 17) | (1 << 12) | self._increment


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
class FakeChannel:
    """A guild channel (text by default)."""

    id: int
    guild_id: int
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None

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
            "permission_overwrites": [],
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


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
    locale: str = "en-US"

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
        )
        self.channels.append(channel)
        self._fake.messages.setdefault(channel.id, [])
        return channel

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
            "system_channel_id": None,
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

    def payload(self, base_url: str) -> dict[str, Any]:
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

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        body = "" if self.json is None else f" {_short(self.json)}"
        files = f" files={[f.filename for f in self.files]}" if self.files else ""
        return (
            f"{self.method} {self.path}{'?' + query if query else ''} -> {self.status}{body}{files}"
        )


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_counter = itertools.count(1)


def unique_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    """Interaction tokens are long opaque strings; the counter keeps them unique per process."""
    return f"{prefix}{next(_counter):06d}{time.monotonic_ns():x}"
