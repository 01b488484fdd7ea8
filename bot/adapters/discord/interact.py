"""What every feature does with an interaction: who is asking, answer with Cards, fail politely.

Buttons are `IntentButton`s (ids.py: one class per intent builds and parses its custom_id);
modals are routed by their custom_id too, so a modal opened before a restart still submits
after it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.adapters.discord.render import CONTENT_MAX, render
from bot.cards import Card, UserError
from bot.domain.values import MemberRef

if TYPE_CHECKING:
    from bot.adapters.discord.bot import StudyBot
    from bot.services import Services

log = logging.getLogger(__name__)

FAILED = "Something went wrong; it has been logged."
MODAL_TITLE_MAX = 45
INPUT_LABEL_MAX = 45


class NotAllowed(app_commands.CheckFailure):
    """A runtime permission check failed; the message is shown to the member as it is."""


def services_of(interaction: discord.Interaction[Any]) -> Services:
    """The services of the bot that received the interaction (buttons get no cog)."""
    return cast("StudyBot", interaction.client).services


def member_ref(interaction: discord.Interaction[Any]) -> MemberRef:
    """The acting member as plain ids (commands are server-only, so there is a guild)."""
    if interaction.guild_id is None:
        raise UserError("Studybot works inside a server; use the commands there.")
    return MemberRef(
        guild_id=interaction.guild_id,
        user_id=interaction.user.id,
        display_name=interaction.user.display_name,
    )


def member_of(interaction: discord.Interaction[Any], member: discord.abc.User) -> MemberRef:
    """Another member of the same server, for `/streak member` and `/profile member`."""
    own = member_ref(interaction)
    return MemberRef(own.guild_id, member.id, member.display_name)


async def send_cards(
    interaction: discord.Interaction[Any], *cards: Card, ephemeral: bool | None = None
) -> None:
    """Answer with one message of cards: the response if none was sent yet, else a follow-up."""
    rendered = render(*cards)
    private = rendered.ephemeral if ephemeral is None else ephemeral
    if interaction.response.is_done():
        await interaction.followup.send(**rendered.send_kwargs(), ephemeral=private)
    else:
        await interaction.response.send_message(**rendered.send_kwargs(), ephemeral=private)


async def edit_cards(interaction: discord.Interaction[Any], *cards: Card) -> None:
    """Replace the message a button (or a form opened from one) is on: a session moves on in
    place instead of adding messages to the channel."""
    rendered = render(*cards)
    await interaction.response.edit_message(**rendered.edit_kwargs())


async def announce(interaction: discord.Interaction[Any], text: str) -> None:
    """One public line in the channel (after a private reply); mentions never ping.

    Posted as the bot's own message where it may post: a follow-up to a button would show
    everyone a reply to a private message they cannot see. Without Send Messages, the
    interaction's follow-up (which needs no permission) carries it instead."""
    none = discord.AllowedMentions.none()
    channel = interaction.channel
    if isinstance(channel, discord.TextChannel | discord.Thread):
        try:
            await channel.send(text[:CONTENT_MAX], allowed_mentions=none)
            return
        except discord.Forbidden:
            pass
    await interaction.followup.send(text[:CONTENT_MAX], ephemeral=False, allowed_mentions=none)


async def send_text(interaction: discord.Interaction[Any], text: str) -> None:
    """A short private line (errors, confirmations); mentions never ping."""
    if len(text) > CONTENT_MAX:
        text = text[: CONTENT_MAX - 1] + "…"
    none = discord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)


def error_text(error: BaseException) -> str | None:
    """What a member reads for an error, or None for a bug (which is logged instead)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserError | NotAllowed):
        return str(error)
    if isinstance(error, app_commands.TransformerError):
        return f"`{error.value}` is not something this option takes."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "Studybot works inside a server; use the commands there."
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return "You are not allowed to use this command here."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little; try again in {error.retry_after:.0f} s."
    return None


async def reply_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """One short private sentence for the member; the traceback of anything unexpected to the
    log. Never raises: this is the last stop of an interaction."""
    text = error_text(error)
    if text is None:
        original = getattr(error, "original", error)
        log.error(
            "interaction %s (%s) failed",
            interaction.id,
            _describe(interaction),
            exc_info=(type(original), original, original.__traceback__),
        )
        text = FAILED
    try:
        await send_text(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the member about an error in %s", _describe(interaction))


def _describe(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: Mapping[str, Any] = interaction.data or {}
    return str(data.get("custom_id", interaction.type.name))


async def guarded(interaction: discord.Interaction[Any], work: Awaitable[None]) -> None:
    """Run a button or modal handler the way the command tree runs commands: errors become a
    private reply (tree.on_error does this for slash commands)."""
    try:
        await work
    except Exception as error:
        await reply_error(interaction, error)


# -- modals routed by custom_id ------------------------------------------------------------------

ModalHandler = Callable[[discord.Interaction[Any], re.Match[str], dict[str, str]], Awaitable[None]]


@dataclass(frozen=True)
class ModalRoute:
    pattern: re.Pattern[str]
    handler: ModalHandler


def text_modal(
    custom_id: str,
    title: str,
    label: str,
    *,
    paragraph: bool = False,
    placeholder: str | None = None,
    max_length: int = 400,
    default: str | None = None,
) -> discord.ui.Modal:
    """A one-field modal whose custom_id carries all the state its submission needs.

    It is stopped before it is sent, so discord.py does not keep it: the submission reaches
    the bot's modal router by custom_id, after a restart too, and two members with the same
    modal open never share one object.
    """
    modal = discord.ui.Modal(title=_cut(title, MODAL_TITLE_MAX), custom_id=custom_id)
    modal.add_item(
        discord.ui.TextInput(
            label=_cut(label, INPUT_LABEL_MAX),
            custom_id="answer",
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
            placeholder=placeholder,
            max_length=max_length,
            default=default,
        )
    )
    modal.stop()
    return modal


def modal_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The submitted fields by custom_id, from action rows or labels alike."""
    values: dict[str, str] = {}

    def walk(components: list[Any]) -> None:
        for component in components:
            if "components" in component:
                walk(component["components"])
            elif "component" in component:
                walk([component["component"]])
            elif "custom_id" in component:
                value = component.get("value", component.get("values"))
                values[component["custom_id"]] = value if isinstance(value, str) else ""

    walk(list(data.get("components") or []))
    return values


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
