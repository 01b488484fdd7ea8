"""Cards as Discord messages: embeds, buttons and attached files, within Discord's limits.

Discord refuses a whole message when one part is too long (a 4,097-character description, a
26th field, a sixth button in a row), so everything here is cut to fit, with a visible note
where text was cut and code fences kept closed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import discord

from bot.cards import Action, Card, Style, Tone

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # across all embeds of one message
EMBEDS_MAX = 10
CONTENT_MAX = 2000
BUTTONS_PER_ROW = 5
ROWS_MAX = 5
LABEL_MAX = 80
FILES_MAX = 10

CUT_NOTE = "\n*… cut to fit Discord's limits*"

COLOURS = {
    Tone.INFO: discord.Colour(0x5865F2),
    Tone.SUCCESS: discord.Colour(0x57F287),
    Tone.WARNING: discord.Colour(0xFEE75C),
    Tone.ERROR: discord.Colour(0xED4245),
}
STYLES = {
    Style.PRIMARY: discord.ButtonStyle.primary,
    Style.SECONDARY: discord.ButtonStyle.secondary,
    Style.SUCCESS: discord.ButtonStyle.success,
    Style.DANGER: discord.ButtonStyle.danger,
}


def fit(text: str, limit: int, note: str = CUT_NOTE) -> str:
    """`text` cut to `limit` characters, saying so, and never leaving a code block open."""
    if len(text) <= limit:
        return text
    if limit <= len(note) + 8:
        return text[: max(0, limit - 1)] + "…"
    room = limit - len(note)
    cut = text[:room]
    if cut.count("```") % 2:
        cut = cut[: room - 4].rstrip("`") + "\n```"
    return cut + note


def _plain(text: str, limit: int) -> str:
    """Short one-line parts (titles, names, labels) get an ellipsis, not a note."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SendKwargs(TypedDict):
    embeds: list[discord.Embed]
    allowed_mentions: discord.AllowedMentions
    view: NotRequired[discord.ui.View]
    files: NotRequired[list[discord.File]]


@dataclass
class Rendered:
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)
    ephemeral: bool = False

    def send_kwargs(self) -> SendKwargs:
        """Keyword arguments for `send_message` / `followup.send` / `Messageable.send`."""
        kwargs = SendKwargs(embeds=self.embeds, allowed_mentions=discord.AllowedMentions.none())
        if self.view is not None:
            kwargs["view"] = self.view
        if self.files:
            kwargs["files"] = self.files
        return kwargs


def embed_for(card: Card, budget: int = EMBED_TOTAL_MAX) -> discord.Embed:
    """One card as one embed of at most `budget` characters (Discord counts title, description,
    field names and values, and the footer)."""
    title = _plain(card.title, TITLE_MAX)
    footer = _plain(card.footer, min(FOOTER_MAX, budget // 3)) if card.footer else ""
    used = len(title) + len(footer)
    fields: list[tuple[str, str, bool]] = []
    for card_field in card.fields[:FIELDS_MAX]:
        name = _plain(card_field.name, FIELD_NAME_MAX) or "\u200b"
        value = fit(card_field.value, FIELD_VALUE_MAX) or "\u200b"
        if used + len(name) + len(value) > budget - 64:
            break
        used += len(name) + len(value)
        fields.append((name, value, card_field.inline))
    room = max(0, min(DESCRIPTION_MAX, budget - used))
    embed = discord.Embed(
        title=title,
        description=fit(card.body, room) if card.body else None,
        colour=COLOURS[card.tone],
    )
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if footer:
        embed.set_footer(text=footer)
    if card.images:
        embed.set_image(url=f"attachment://{card.images[0].name}")
    return embed


def buttons(actions: Sequence[Action]) -> discord.ui.View | None:
    """Buttons, five to a row, at most 25. The view is never listened to: every custom_id
    is built by its intent's `IntentButton`, whose template routes the click, after a restart
    too."""
    from bot.adapters.discord.ids import custom_id  # ids.py renders through interact.py

    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for index, action in enumerate(actions[: BUTTONS_PER_ROW * ROWS_MAX]):
        view.add_item(
            discord.ui.Button(
                label=_plain(action.label, LABEL_MAX),
                custom_id=custom_id(action.intent),
                style=STYLES[action.style],
                row=index // BUTTONS_PER_ROW,
            )
        )
    view.stop()  # nothing to store: no per-message state, so no growth with every reply
    return view


def render(*cards: Card) -> Rendered:
    """One message from one or more cards (feedback + next question, say): an embed each, the
    buttons of all of them, their images as attachments; private if any card is."""
    cards = cards[:EMBEDS_MAX]
    budget = EMBED_TOTAL_MAX // max(1, len(cards))
    files: list[discord.File] = []
    names: set[str] = set()
    for card in cards:
        for image in card.images:
            if len(files) < FILES_MAX and image.name not in names:
                names.add(image.name)
                files.append(discord.File(io.BytesIO(image.data), filename=image.name))
    return Rendered(
        embeds=[embed_for(card, budget) for card in cards],
        view=buttons([action for card in cards for action in card.actions]),
        files=files,
        ephemeral=any(card.ephemeral for card in cards),
    )
