"""Act as a member: slash commands, buttons, selects, modals, autocomplete and context menus.

Each helper builds the INTERACTION_CREATE payload Discord would send (typed options with resolved
users and channels, the member with their permissions, the message a button sits on), dispatches
it on the gateway and waits, event-driven and bounded, until the bot has answered. It returns a
`Reply` that keeps gathering what the bot does with that interaction: the callback, follow-ups,
edits and uploaded files.

Like the Discord client, the helpers refuse what a member could not do: a command or option the
bot never registered, a missing required option, a choice not offered, a button not on the
message, a field not in the modal. Those mistakes raise `ValueError` before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakediscord.models import (
    EPHEMERAL,
    FakeChannel,
    FakeFile,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    RecordedRequest,
    unique_token,
    walk_components,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

_SELECTS = (3, 5, 6, 7, 8)
RADIO_GROUP = 21  # modals only (in a label): one option's value, or none


@dataclass(eq=False)
class Reply:
    """Everything the bot did in answer to one interaction; keeps filling in as the bot acts.

    `type`/`data` are the callback (4 message, 5 deferred, 6 deferred update, 7 update,
    8 autocomplete, 9 modal). `original` is the message the response created or updated, in its
    current state (edits and the follow-up that fills a deferred reply are applied to it).
    """

    fake: FakeDiscord = field(repr=False)
    interaction_id: int
    token: str
    interaction_type: int
    name: str
    guild_id: int
    channel_id: int
    user: FakeMember
    source_message: FakeMessage | None = None
    message_type: int = 0
    payload: dict[str, Any] = field(default_factory=dict, repr=False)
    dispatched_at: float = field(default_factory=time.monotonic)
    responded_at: float | None = None
    late: bool = False
    #: The callback type the bot answered with, and its `data`.
    type: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    original: FakeMessage | None = None
    #: Follow-up messages, in order (after a "thinking" defer the first one is `original`).
    followups: list[FakeMessage] = field(default_factory=list)
    #: Bodies of every edit the bot made through this interaction's webhook.
    edits: list[dict[str, Any]] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    #: Files the bot uploaded while answering (callback, edits, follow-ups), with their bytes.
    files_sent: list[FakeFile] = field(default_factory=list)
    #: Attachments a member passed as options (served by the fake for the bot to download).
    option_files: list[FakeFile] = field(default_factory=list)
    #: The REST requests made with this interaction's token.
    requests: list[RecordedRequest] = field(default_factory=list, repr=False)

    # -- state ----------------------------------------------------------------------------------

    def settled(self) -> bool:
        """Answered, and a "thinking" defer has been filled in by an edit or follow-up."""
        if self.type is None:
            return False
        if self.type == DEFERRED_CHANNEL_MESSAGE:
            return self.original is not None and not self.original.loading
        return True

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the callback request (Discord allows 3)."""
        return None if self.responded_at is None else self.responded_at - self.dispatched_at

    @property
    def deferred(self) -> bool:
        return self.type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def message(self) -> FakeMessage | None:
        return self.original

    @property
    def content(self) -> str:
        if self.original is not None:
            return self.original.content
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        if self.original is not None:
            return self.original.embeds
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        if self.original is not None:
            return self.original.components
        return list(self.data.get("components") or [])

    @property
    def flags(self) -> int:
        if self.original is not None:
            return self.original.flags
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def files(self) -> list[FakeFile]:
        return self.files_sent

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    @property
    def messages(self) -> list[FakeMessage]:
        """The original (if any) and every follow-up, without duplicates or deleted ones."""
        result: list[FakeMessage] = []
        for message in [self.original, *self.followups]:
            if message is not None and not message.deleted and message not in result:
                result.append(message)
        return result

    @property
    def text(self) -> str:
        """All text a member reads in the answer: contents, embed texts, then follow-ups."""
        parts: list[str] = []
        for message in self.messages:
            parts.append(message.content)
            for embed in message.embeds:
                parts += [embed.get("title") or "", embed.get("description") or ""]
                for fld in embed.get("fields") or []:
                    parts += [fld.get("name") or "", fld.get("value") or ""]
                parts.append((embed.get("footer") or {}).get("text") or "")
            for component in walk_components(message.components):
                if component.get("type") == 10:
                    parts.append(component.get("content") or "")
        return "\n".join(p for p in parts if p)

    @property
    def title(self) -> str:
        """The first message's title: its first embed's, or the heading a v2 layout opens with."""
        message = self.messages[0] if self.messages else None
        if message is None:
            return str((self.data.get("embeds") or [{}])[0].get("title") or "")
        if message.embeds:
            return str(message.embeds[0].get("title") or "")
        for component in walk_components(message.components):
            if component.get("type") == 10:
                return str(component.get("content") or "").split("\n")[0].lstrip("# ").strip()
        return ""

    def describe(self) -> str:
        return f"{self.name} by {self.user.user.username} (interaction {self.interaction_id})"

    def metadata(self) -> dict[str, Any]:
        """`interaction_metadata` for messages this interaction creates."""
        data: dict[str, Any] = {
            "id": str(self.interaction_id),
            "type": self.interaction_type,
            "user": self.user.user.payload(),
            "authorizing_integration_owners": {"0": str(self.guild_id)},
        }
        if self.interaction_type == APPLICATION_COMMAND:
            data["name"] = self.name.lstrip("/")
        if self.source_message is not None:
            data["interacted_message_id"] = str(self.source_message.id)
        return data

    # -- waiting --------------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[Reply], bool], *, what: str = "", within: float | None = None
    ) -> Reply:
        """Wait until `predicate(self)` holds, e.g. for a follow-up sent after a slow task."""
        await self.fake.wait_until(
            lambda: predicate(self),
            what=what or f"a condition on the answer to {self.describe()}",
            within=within,
        )
        return self

    async def followup(self, index: int = 0, *, within: float | None = None) -> FakeMessage:
        """Follow-up number `index` (0-based), waiting for it if the bot has not sent it yet."""
        await self.wait_for(
            lambda r: len(r.followups) > index,
            what=f"follow-up #{index} to {self.describe()}",
            within=within,
        )
        return self.followups[index]

    async def edit(self, index: int = 0, *, within: float | None = None) -> dict[str, Any]:
        """Body of edit number `index` (0-based), waiting for it; e.g. after a deferred update,
        which settles the reply at once because it may legitimately be the bot's only answer."""
        await self.wait_for(
            lambda r: len(r.edits) > index,
            what=f"edit #{index} through {self.describe()}",
            within=within,
        )
        return self.edits[index]


def _infer_type(value: Any) -> int:
    """Option type for a value when the bot registered no schema (non-strict mode)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, FakeMember | FakeUser):
        return USER
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, FakeFile):
        return ATTACHMENT
    return STRING


class InteractionHelpers:
    """Mixed into `FakeDiscord`: the member-facing side of the fake."""

    # -- public helpers ---------------------------------------------------------------------------

    async def slash(
        self: FakeDiscord,
        command: str | Sequence[str],
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        guild: FakeGuild | str | int | None = None,
        channel: FakeChannel | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Run `/command` (`"admin leaderboard"` or `["admin", "leaderboard"]`) as `user`.

        Options are typed from the registered command: pass str/int/float/bool, a
        `FakeMember`/`FakeUser` for user options, a `FakeChannel`, `FakeRole` or `FakeFile`.
        `permissions` overrides what Discord reports for the member in this interaction.
        """
        path = command.split() if isinstance(command, str) else list(command)
        target_guild = self._pick_guild(guild)
        data, files = self._command_data(path, options or {}, target_guild, focused=None)
        reply = await self._interact(
            interaction_type=APPLICATION_COMMAND,
            name="/" + " ".join(path),
            data=data,
            guild=target_guild,
            channel=self._pick_channel(target_guild, channel),
            member=self._pick_member(target_guild, user),
            permissions=permissions,
            locale=locale,
            message_type=20,
            option_files=files,
        )
        return reply

    async def autocomplete(
        self: FakeDiscord,
        command: str | Sequence[str],
        focused: str,
        value: str,
        *,
        options: Mapping[str, Any] | None = None,
        user: FakeMember | FakeUser | str | int | None = None,
        guild: FakeGuild | str | int | None = None,
        channel: FakeChannel | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> list[dict[str, Any]]:
        """Type `value` into option `focused` of `/command`; returns the choices the bot offers."""
        path = command.split() if isinstance(command, str) else list(command)
        target_guild = self._pick_guild(guild)
        given = {**(options or {}), focused: value}
        data, _ = self._command_data(path, given, target_guild, focused=focused)
        reply = await self._interact(
            interaction_type=AUTOCOMPLETE,
            name="/" + " ".join(path) + f" [{focused}]",
            data=data,
            guild=target_guild,
            channel=self._pick_channel(target_guild, channel),
            member=self._pick_member(target_guild, user),
            permissions=permissions,
            locale=locale,
        )
        return reply.choices or []

    async def click(
        self: FakeDiscord,
        message: FakeMessage | Reply | int,
        custom_id: str,
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Press the button `custom_id` on a message the bot sent (a `Reply` searches its
        messages). The default user is whoever triggered the message, else the guild's member."""
        target = self._message_with(message, custom_id)
        component = target.find_component(custom_id) or {}
        if component.get("type") != 2:
            raise ValueError(
                f"{custom_id!r} is a component of type {component.get('type')}, use select()"
            )
        if component.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled; a member cannot press it")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if "id" in component:
            data["id"] = component["id"]
        return await self._component(target, data, user, permissions, locale, f"button {custom_id}")

    async def select(
        self: FakeDiscord,
        message: FakeMessage | Reply | int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Pick `values` in the select menu `custom_id` (string selects are checked against
        their options and min/max counts)."""
        target = self._message_with(message, custom_id)
        component = target.find_component(custom_id) or {}
        if component.get("type") not in _SELECTS:
            raise ValueError(f"{custom_id!r} is not a select menu")
        if component.get("disabled"):
            raise ValueError(f"select {custom_id!r} is disabled")
        if component.get("type") == 3:
            offered = [o["value"] for o in component.get("options") or []]
            unknown = [v for v in values if v not in offered]
            if unknown:
                raise ValueError(f"{unknown} are not options of {custom_id!r}: {offered}")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"select {custom_id!r} takes {low}..{high} values, got {len(values)}")
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": component["type"],
            "values": list(values),
        }
        return await self._component(target, data, user, permissions, locale, f"select {custom_id}")

    async def submit_modal(
        self: FakeDiscord,
        custom_id: str,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Fill in and submit the modal the bot opened with `custom_id`.

        `values` maps each field's custom_id to its text (or to a list for a select in a label,
        or to an option's value for a radio group).
        The submission mirrors the modal's layout (action rows or labels). The default user is
        whoever the modal was shown to.
        """
        if custom_id not in self.modals:
            raise ValueError(
                f"the bot never opened a modal {custom_id!r}; opened: {sorted(self.modals)}"
            )
        modal, opener = self.modals[custom_id]
        components = _modal_submission(modal, values)
        guild = self.guilds[opener.guild_id]
        channel = self.channel(opener.channel_id)
        assert channel is not None
        member = opener.user if user is None else self._pick_member(guild, user)
        return await self._interact(
            interaction_type=MODAL_SUBMIT,
            name=f"modal {custom_id}",
            data={"custom_id": custom_id, "components": components},
            guild=guild,
            channel=channel,
            member=member,
            permissions=permissions,
            locale=locale,
            source_message=opener.source_message,
        )

    async def context_menu_message(
        self: FakeDiscord,
        name: str,
        target: FakeMessage,
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Run the message context-menu command `name` (Apps ▸ name) on `target`."""
        guild = self.guilds[target.guild_id or 0]
        channel = self.channel(target.channel_id)
        assert channel is not None
        data = self._context_data(name, guild, 3, str(target.id))
        data["resolved"] = {"messages": {str(target.id): target.payload(self.base_url)}}
        return await self._interact(
            interaction_type=APPLICATION_COMMAND,
            name=name,
            data=data,
            guild=guild,
            channel=channel,
            member=self._pick_member(guild, user),
            permissions=permissions,
            locale=locale,
            message_type=23,
        )

    async def context_menu_user(
        self: FakeDiscord,
        name: str,
        target: FakeMember,
        *,
        user: FakeMember | FakeUser | str | int | None = None,
        channel: FakeChannel | str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> Reply:
        """Run the user context-menu command `name` on the member `target`."""
        guild = target.guild
        data = self._context_data(name, guild, 2, str(target.id))
        data["resolved"] = {
            "users": {str(target.id): target.user.payload()},
            "members": {str(target.id): target.payload(with_user=False, with_permissions=True)},
        }
        return await self._interact(
            interaction_type=APPLICATION_COMMAND,
            name=name,
            data=data,
            guild=guild,
            channel=self._pick_channel(guild, channel),
            member=self._pick_member(guild, user),
            permissions=permissions,
            locale=locale,
            message_type=23,
        )

    def command_visible_to(
        self: FakeDiscord, name: str, member: FakeMember, *, type: int = 1
    ) -> bool:
        """Whether Discord shows `name` to `member` by default (`default_member_permissions`).

        The fake still dispatches hidden commands: server admins can override the default, so a
        bot must check permissions again when the command runs.
        """
        command = self.registered_command(name, member.guild, type=type)
        if command is None:
            return False
        required = command.get("default_member_permissions")
        if required is None:
            return True
        return (member.computed_permissions() & int(required)) == int(required)

    # -- building payloads ------------------------------------------------------------------------

    def _pick_guild(self: FakeDiscord, guild: FakeGuild | str | int | None) -> FakeGuild:
        return guild if isinstance(guild, FakeGuild) else self.guild(guild)

    def _pick_channel(
        self: FakeDiscord, guild: FakeGuild, channel: FakeChannel | str | int | None
    ) -> FakeChannel:
        if isinstance(channel, FakeChannel):
            return channel
        if channel is None:
            if not guild.text_channels:
                raise ValueError(f"{guild.name} has no text channel to run commands in")
            return guild.text_channels[0]
        return guild.channel(channel)

    def _pick_member(
        self: FakeDiscord, guild: FakeGuild, user: FakeMember | FakeUser | str | int | None
    ) -> FakeMember:
        if user is None:
            return guild.default_member()
        if isinstance(user, FakeMember):
            if user.guild is not guild:
                raise ValueError(f"{user.user.username} is not a member of {guild.name}")
            return user
        if isinstance(user, FakeUser):
            member = guild.find_member(user.id)
            if member is None:
                raise ValueError(f"{user.username} is not a member of {guild.name}")
            return member
        return guild.member(user)

    def _command_data(
        self: FakeDiscord,
        path: list[str],
        given: Mapping[str, Any],
        guild: FakeGuild,
        *,
        focused: str | None,
    ) -> tuple[dict[str, Any], list[FakeFile]]:
        """`data` of a chat-input interaction: ids from the registry, options typed and nested."""
        if not path:
            raise ValueError("name a command")
        registered = self.registered_command(path[0], guild, type=1)
        if registered is None and self.strict_commands:
            known = sorted(
                c["name"] for scope in (None, guild.id) for c in self.commands.get(scope, [])
            )
            raise ValueError(
                f"/{path[0]} is not registered globally or in {guild.name}, so Discord would not "
                f"offer it; sync the bot's commands first. Registered: {known}"
            )
        schema: list[dict[str, Any]] | None = registered["options"] if registered else None
        chain: list[tuple[str, int]] = []
        for depth, part in enumerate(path[1:], start=1):
            if schema is None:
                chain.append((part, SUB_COMMAND if depth == len(path) - 1 else SUB_COMMAND_GROUP))
                continue
            spec = next((o for o in schema if o["name"] == part and o["type"] in (1, 2)), None)
            if spec is None:
                subs = [o["name"] for o in schema if o["type"] in (1, 2)]
                raise ValueError(f"/{' '.join(path[:depth])} has no sub-command {part!r}: {subs}")
            chain.append((part, spec["type"]))
            schema = spec.get("options") or []
        if schema is not None and any(o["type"] in (1, 2) for o in schema):
            subs = [o["name"] for o in schema if o["type"] in (1, 2)]
            raise ValueError(f"/{' '.join(path)} needs a sub-command: {subs}")
        resolved: dict[str, dict[str, Any]] = {}
        files: list[FakeFile] = []
        options = self._typed_options(schema, given, guild, resolved, files, focused)
        for part, kind in reversed(chain):
            options = [{"name": part, "type": kind, "options": options}]
        data: dict[str, Any] = {
            "id": registered["id"] if registered else str(self.snowflakes.next()),
            "name": path[0],
            "type": 1,
            "options": options,
        }
        if registered and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data, files

    def _typed_options(
        self: FakeDiscord,
        schema: list[dict[str, Any]] | None,
        given: Mapping[str, Any],
        guild: FakeGuild,
        resolved: dict[str, dict[str, Any]],
        files: list[FakeFile],
        focused: str | None,
    ) -> list[dict[str, Any]]:
        specs = {s["name"]: s for s in schema or []}
        options: list[dict[str, Any]] = []
        for name, value in given.items():
            if value is None:
                continue
            spec = specs.get(name)
            if schema is not None and spec is None:
                raise ValueError(f"the command has no option {name!r}; it has {list(specs)}")
            kind = spec["type"] if spec else _infer_type(value)
            if name == focused:
                if spec is not None and not spec.get("autocomplete"):
                    raise ValueError(f"option {name!r} has no autocomplete")
                options.append({"name": name, "type": kind, "value": str(value), "focused": True})
                continue
            options.append(
                {
                    "name": name,
                    "type": kind,
                    "value": self._option_value(kind, name, value, spec, guild, resolved, files),
                }
            )
        if schema is not None and focused is None:
            missing = [
                s["name"] for s in schema if s.get("required") and given.get(s["name"]) is None
            ]
            if missing:
                raise ValueError(f"required options missing: {missing}")
        return options

    def _option_value(
        self: FakeDiscord,
        kind: int,
        name: str,
        value: Any,
        spec: dict[str, Any] | None,
        guild: FakeGuild,
        resolved: dict[str, dict[str, Any]],
        files: list[FakeFile],
    ) -> Any:
        """The option's wire value, adding resolved objects for snowflake-typed options."""
        spec = spec or {}
        if kind in (STRING, INTEGER, NUMBER):
            wire: Any = {STRING: str, INTEGER: int, NUMBER: float}[kind](value)
            if kind == INTEGER and isinstance(value, bool):
                raise ValueError(f"option {name!r} takes an integer, not {value!r}")
            choices = [c["value"] for c in spec.get("choices") or []]
            if choices and wire not in choices:
                raise ValueError(f"{wire!r} is not a choice of {name!r}: {choices}")
            if kind == STRING:
                low, high = spec.get("min_length", 0), spec.get("max_length", 6000)
                if not low <= len(wire) <= high:
                    raise ValueError(f"{name!r} takes {low}..{high} characters")
            else:
                low, high = spec.get("min_value"), spec.get("max_value")
                if (low is not None and wire < low) or (high is not None and wire > high):
                    raise ValueError(f"{name!r} takes values in {low}..{high}, got {wire}")
            return wire
        if kind == BOOLEAN:
            return bool(value)
        if kind in (USER, MENTIONABLE) and not isinstance(value, FakeRole):
            member = self._pick_member(guild, value)
            key = str(member.id)
            resolved.setdefault("users", {})[key] = member.user.payload()
            resolved.setdefault("members", {})[key] = member.payload(
                with_user=False, with_permissions=True
            )
            return key
        if kind in (ROLE, MENTIONABLE):
            role = value if isinstance(value, FakeRole) else guild.role(value)
            resolved.setdefault("roles", {})[str(role.id)] = role.payload()
            return str(role.id)
        if kind == CHANNEL:
            channel = self._pick_channel(guild, value)
            allowed = spec.get("channel_types")
            if allowed and channel.type not in allowed:
                raise ValueError(f"{name!r} takes channel types {allowed}, not {channel.type}")
            resolved.setdefault("channels", {})[str(channel.id)] = {
                **channel.payload(),
                "permissions": str(guild.default_member().computed_permissions()),
            }
            return str(channel.id)
        if kind == ATTACHMENT:
            if not isinstance(value, FakeFile):
                raise ValueError(f"option {name!r} takes a FakeFile")
            upload = FakeFile(
                value.filename, value.data, value.content_type, id=self.snowflakes.next()
            )
            files.append(upload)
            channel_id = guild.text_channels[0].id if guild.text_channels else guild.id
            resolved.setdefault("attachments", {})[str(upload.id)] = upload.payload(
                self.base_url, channel_id
            )
            return str(upload.id)
        raise ValueError(f"option type {kind} of {name!r} is not supported by the fake")

    def _context_data(
        self: FakeDiscord, name: str, guild: FakeGuild, kind: int, target_id: str
    ) -> dict[str, Any]:
        registered = self.registered_command(name, guild, type=kind)
        if registered is None and self.strict_commands:
            raise ValueError(f"context menu {name!r} (type {kind}) is not registered")
        data: dict[str, Any] = {
            "id": registered["id"] if registered else str(self.snowflakes.next()),
            "name": name,
            "type": kind,
            "target_id": target_id,
        }
        if registered and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        return data

    def _message_with(
        self: FakeDiscord, message: FakeMessage | Reply | int, custom_id: str
    ) -> FakeMessage:
        if isinstance(message, Reply):
            candidates = message.messages
        elif isinstance(message, int):
            found = self.message(message)
            candidates = [found] if found else []
        else:
            candidates = [message]
        for candidate in candidates:
            if not candidate.deleted and candidate.find_component(custom_id) is not None:
                return candidate
        available = [c.custom_ids() for c in candidates if not c.deleted]
        raise ValueError(f"no component {custom_id!r} on the message(s); they have {available}")

    async def _component(
        self: FakeDiscord,
        message: FakeMessage,
        data: dict[str, Any],
        user: FakeMember | FakeUser | str | int | None,
        permissions: int | None,
        locale: str,
        name: str,
    ) -> Reply:
        guild = self.guilds[message.guild_id or 0]
        channel = self.channel(message.channel_id)
        assert channel is not None
        if user is None and message.interaction_metadata is not None:
            user = int(message.interaction_metadata["user"]["id"])
        return await self._interact(
            interaction_type=MESSAGE_COMPONENT,
            name=name,
            data=data,
            guild=guild,
            channel=channel,
            member=self._pick_member(guild, user),
            permissions=permissions,
            locale=locale,
            source_message=message,
        )

    async def _interact(
        self: FakeDiscord,
        *,
        interaction_type: int,
        name: str,
        data: dict[str, Any],
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        permissions: int | None,
        locale: str,
        source_message: FakeMessage | None = None,
        message_type: int = 0,
        option_files: list[FakeFile] | None = None,
    ) -> Reply:
        """Dispatch INTERACTION_CREATE and wait until the bot's answer has settled."""
        reply = Reply(
            fake=self,
            interaction_id=self.snowflakes.next(),
            token=unique_token(),
            interaction_type=interaction_type,
            name=name,
            guild_id=guild.id,
            channel_id=channel.id,
            user=member,
            source_message=source_message,
            message_type=message_type,
            option_files=option_files or [],
        )
        # Discord reports permissions in the channel (overwrites applied), for both sides.
        shown = member.permissions_in(channel) if permissions is None else permissions
        bot = guild.find_member(self.bot.id)
        member_payload = member.payload(with_permissions=True)
        member_payload["permissions"] = str(shown)
        reply.payload = {
            "id": str(reply.interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": str(shown)},
            "member": member_payload,
            "token": reply.token,
            "version": 1,
            "app_permissions": str(bot.permissions_in(channel) if bot else 0),
            "locale": locale,
            "guild_locale": guild.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if source_message is not None:
            reply.payload["message"] = source_message.payload(self.base_url)
        self.interactions[reply.token] = reply
        await self.wait_until(
            lambda: bool(self.gateway.live_sessions(guild.id)),
            what=f"a connected client to send {name} to",
        )
        reply.dispatched_at = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", reply.payload, guild_id=guild.id)
        await self.wait_until(
            lambda: reply.settled() or reply.late, what=f"the bot's answer to {reply.describe()}"
        )
        if reply.late and not reply.settled():
            raise AssertionError(
                f"The bot answered {reply.describe()} after Discord's {self.response_window}s "
                f"window; Discord had already answered 404 Unknown interaction.\n"
                f"{self.describe_requests(reply.requests)}"
            )
        return reply


def _modal_submission(
    modal: dict[str, Any], values: Mapping[str, str | Sequence[str]]
) -> list[dict[str, Any]]:
    """The `components` of a modal submit, mirroring the layout the bot sent."""
    fields: dict[str, dict[str, Any]] = {}
    for component in walk_components(modal.get("components") or []):
        if "custom_id" in component and component.get("type") in (4, RADIO_GROUP, *_SELECTS):
            fields[component["custom_id"]] = component
    unknown = [k for k in values if k not in fields]
    if unknown:
        raise ValueError(f"the modal has no fields {unknown}; it has {list(fields)}")
    for custom_id, spec in fields.items():
        if spec.get("type") == RADIO_GROUP:
            chosen = values.get(custom_id)
            offered = [o["value"] for o in spec.get("options") or []]
            if chosen is None and spec.get("required", True):
                raise ValueError(f"radio group {custom_id!r} is required")
            if chosen is not None and chosen not in offered:
                raise ValueError(f"{chosen!r} is not an option of {custom_id!r}: {offered}")
            continue
        if spec.get("type") != 4:
            continue
        text = values.get(custom_id, spec.get("value"))
        if text is not None and not isinstance(text, str):
            raise ValueError(f"text field {custom_id!r} takes a string")
        text = text or ""
        if spec.get("required", True) and not text:
            raise ValueError(f"text field {custom_id!r} is required")
        low, high = spec.get("min_length") or 0, spec.get("max_length") or 4000
        if text and not low <= len(text) <= high:
            raise ValueError(f"text field {custom_id!r} takes {low}..{high} characters")

    def answer(component: dict[str, Any]) -> dict[str, Any]:
        custom_id = component.get("custom_id")
        result: dict[str, Any] = {"type": component["type"]}
        if "id" in component:
            result["id"] = component["id"]
        if custom_id is None:
            return result
        result["custom_id"] = custom_id
        given = values.get(custom_id, component.get("value"))
        if component["type"] == 4:
            result["value"] = given or ""
        elif component["type"] == RADIO_GROUP:
            result["value"] = given
        else:
            result["values"] = [given] if isinstance(given, str) else list(given or [])
        return result

    submission: list[dict[str, Any]] = []
    for top in modal.get("components") or []:
        if top.get("type") == 1:
            submission.append(
                {"type": 1, "components": [answer(c) for c in top.get("components") or []]}
            )
        elif top.get("type") == 18:
            entry: dict[str, Any] = {"type": 18, "component": answer(top.get("component") or {})}
            if "id" in top:
                entry["id"] = top["id"]
            submission.append(entry)
        else:
            submission.append(answer(top))
    return submission
