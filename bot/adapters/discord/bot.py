"""The Discord bot: one `commands.Bot`, the features of this folder, slash commands only.

It asks Discord for the `guilds` intent and nothing else: interactions carry the member, their
permissions and any message a context menu points at, so message content and member lists are
never needed. Buttons and modals carry their state in their custom_id and are routed by it, so
nothing is kept per message and a restart loses nothing.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.ids import IntentMenu
from bot.adapters.discord.interact import (
    ModalHandler,
    ModalRoute,
    guarded,
    modal_values,
    reply_error,
)
from bot.adapters.discord.poster import DiscordPoster
from bot.scheduling.dispatcher import Dispatcher, Shards
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Guild create/update events (channels, roles) only; no members, no message content."""
    return discord.Intents(guilds=True)


def point_at(api_base: str = "", gateway_url: str = "") -> None:
    """Send REST calls and the gateway connection elsewhere (a REST proxy, or a fake in tests).

    discord.py reads these class attributes when it connects, so this runs before login.
    """
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    if api_base:
        Route.BASE = api_base.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class StudyTree(app_commands.CommandTree["StudyBot"]):
    async def on_error(
        self, interaction: discord.Interaction[StudyBot], error: app_commands.AppCommandError
    ) -> None:
        """A short private sentence for the member, the traceback to the log."""
        await reply_error(interaction, error)


class StudyBot(commands.AutoShardedBot):
    """The bot; with shards set (`STUDYBOT_SHARD_COUNT/IDS`) one of several processes, each
    connected to its own shards and dispatching only their servers' timed posts."""

    def __init__(
        self,
        services: Services,
        *,
        sync_on_start: str = "off",
        api_base: str = "",
        gateway_url: str = "",
        guild_ready_timeout: float = 2.0,
        shard_count: int | None = None,
        shard_ids: tuple[int, ...] | None = None,
        scheduler: bool = True,
    ) -> None:
        # No voice here: skip discord.py's warnings about the voice libraries not being installed.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            tree_cls=StudyTree,
            allowed_mentions=discord.AllowedMentions.none(),
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_installs=app_commands.AppInstallationType(guild=True),
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
            shard_count=shard_count or 1,
            # discord.py types shard_ids as list[int], but None (its default) means "all".
            shard_ids=list(shard_ids) if shard_ids is not None else None,  # type: ignore[arg-type]
        )
        self.services = services
        count = shard_count or 1
        self.dispatcher: Dispatcher | None = None
        if scheduler:
            owned = frozenset(shard_ids if shard_ids is not None else range(count))
            self.dispatcher = Dispatcher(
                services, DiscordPoster(self), services.ctx.clock, Shards(count, owned)
            )
        self._dispatching = False
        self.sync_on_start = sync_on_start
        self.api_base = api_base
        self.gateway_url = gateway_url
        self.modal_routes: list[ModalRoute] = []

    @classmethod
    def from_settings(cls, services: Services, settings: Settings, **overrides: Any) -> StudyBot:
        count, ids = settings.shards
        options: dict[str, Any] = {
            "sync_on_start": settings.sync_on_start,
            "api_base": settings.discord_api_base,
            "gateway_url": settings.discord_gateway_url,
            "guild_ready_timeout": settings.discord_guild_ready_timeout,
            "shard_count": count if settings.shard_count else None,
            "shard_ids": ids if settings.shard_count else None,
            "scheduler": settings.scheduler,
            **overrides,
        }
        return cls(services, **options)

    async def login(self, token: str) -> None:
        point_at(self.api_base, self.gateway_url)
        await super().login(token)

    async def setup_hook(self) -> None:
        names = await load_features(self)
        self.add_dynamic_items(IntentMenu)
        log.info("features loaded: %s", ", ".join(names))
        if self.sync_on_start != "off":
            synced = await sync_commands(self, self.sync_on_start)
            log.info("synced %d commands (%s)", len(synced), self.sync_on_start)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        if self.dispatcher is not None and not self._dispatching:
            # After the first ready, so channels and permissions are cached for the catch-up.
            self._dispatching = True
            await self.dispatcher.start()
            log.info("dispatching timed posts: %d jobs", len(self.dispatcher._jobs))

    async def close(self) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        try:
            await super().close()
        except AttributeError:  # never logged in: AutoShardedClient has no event queue yet
            await self.http.close()

    def add_modal_route(self, template: str, handler: ModalHandler) -> None:
        """Modal submissions whose custom_id fully matches `template` go to `handler`."""
        self.modal_routes.append(ModalRoute(re.compile(template), handler))

    async def on_interaction(self, interaction: discord.Interaction[StudyBot]) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return  # commands go through the tree, buttons through their DynamicItems
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        for route in self.modal_routes:
            match = route.pattern.fullmatch(custom_id)
            if match is not None:
                await guarded(interaction, route.handler(interaction, match, modal_values(data)))
                return
        log.warning("modal submission with an unknown custom_id %r", custom_id)


async def load_features(bot: StudyBot) -> list[str]:
    """Every module of this package with a `setup(bot)`: one per feature, nothing to list."""
    package = importlib.import_module(__package__ or "bot.adapters.discord")
    loaded = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        setup = getattr(module, "setup", None)
        if setup is not None:
            await setup(bot)
            loaded.append(info.name)
    return loaded


async def sync_commands(bot: StudyBot, target: str) -> list[app_commands.AppCommand]:
    """Register the command tree with Discord: `global`, or `guild:ID` (instant, for testing)."""
    if target == "global":
        return await bot.tree.sync()
    guild = discord.Object(int(target.removeprefix("guild:")))
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)


def describe_commands(commands_: list[app_commands.AppCommand]) -> list[str]:
    """One line per command with its options (sub-commands spelled out), for `studybot sync`."""
    lines = []
    for command in sorted(commands_, key=lambda c: (c.type.value, c.name)):
        if command.type is not discord.AppCommandType.chat_input:
            lines.append(f"{command.name} (message menu)")
            continue
        lines.extend(_describe(f"/{command.name}", command.options))
    return lines


def _describe(prefix: str, options: list[Any]) -> list[str]:
    subs = [o for o in options if isinstance(o, app_commands.AppCommandGroup)]
    if subs:
        return [line for sub in subs for line in _describe(f"{prefix} {sub.name}", sub.options)]
    shown = " ".join(f"{o.name}" if o.required else f"[{o.name}]" for o in options)
    return [f"{prefix} {shown}".rstrip()]


class DiscordUnavailable(Exception):
    """Login or connection failed; the message is one line for whoever started the bot."""


@contextmanager
def discord_failures() -> Iterator[None]:
    """Turn discord.py's login and connection errors into one-line DiscordUnavailable."""
    try:
        yield
    except discord.LoginFailure:
        raise DiscordUnavailable(
            "Discord refused the token (STUDYBOT_DISCORD_TOKEN); login failed"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise DiscordUnavailable("Discord refused the requested intents") from None
    except (discord.HTTPException, discord.GatewayNotFound, OSError) as error:
        log.debug("cannot reach Discord", exc_info=True)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DiscordUnavailable(f"cannot reach Discord: {reason}") from None
