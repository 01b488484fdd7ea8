"""Cards as Discord messages: embeds, buttons and attached files, within Discord's limits.

Discord refuses a whole message when one part is too long (a 4,097-character description, a
26th field, a sixth button in a row), so everything here is cut to fit, with a visible note
where text was cut and code fences kept closed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.cards import Action, Card, Menu, Style, Tone

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

SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
OPTION_MAX = 100
DESCRIPTION_ALT_MAX = 1024

LAYOUT_TEXT_MAX = 4000  # all text displays of a Components v2 message together
GALLERY_MAX = 10

CUT_NOTE = "\n*… cut to fit Discord's limits*"

# One colour per kind of card, so a lesson, a question or a board is recognisable at a glance.
COLOURS = {
    Tone.INFO: discord.Colour(0x4E5058),
    Tone.SUCCESS: discord.Colour(0x57F287),
    Tone.WARNING: discord.Colour(0xFEE75C),
    Tone.ERROR: discord.Colour(0xED4245),
    Tone.LESSON: discord.Colour(0x5865F2),
    Tone.QUIZ: discord.Colour(0x3BA55C),
    Tone.CHALLENGE: discord.Colour(0xEB459E),
    Tone.BOARD: discord.Colour(0xF0B232),
    Tone.RUN: discord.Colour(0x00A8FC),
    Tone.EXERCISE: discord.Colour(0xE67E22),
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


@dataclass
class Rendered:
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | discord.ui.LayoutView | None = None
    files: list[discord.File] = field(default_factory=list)
    ephemeral: bool = False

    @property
    def layout(self) -> bool:
        """A Components v2 message: no embeds or content, everything in its components."""
        return isinstance(self.view, discord.ui.LayoutView)

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `edit_message` / `Message.edit`: the new look replaces all
        of the old (attachments too, none when there are none)."""
        kwargs: dict[str, Any] = {
            "view": self.view,
            "attachments": self.files,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if not self.layout:
            kwargs["embeds"] = self.embeds
        return kwargs

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `send_message` / `followup.send` / `Messageable.send`
        (discord.py types a layout's send apart from an embed's, hence a plain dict)."""
        kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
        if not self.layout:
            kwargs["embeds"] = self.embeds
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


def _rows(actions: Sequence[Action]) -> list[list[Action]]:
    """Actions in rows: a row named by the action, the rest five to a row after them."""
    named: dict[int, list[Action]] = {}
    free: list[Action] = []
    for action in actions:
        if action.row is None:
            free.append(action)
        else:
            named.setdefault(action.row, []).append(action)
    rows = [named[row][:BUTTONS_PER_ROW] for row in sorted(named)]
    rows += [free[i : i + BUTTONS_PER_ROW] for i in range(0, len(free), BUTTONS_PER_ROW)]
    return rows


def buttons(actions: Sequence[Action], menu: Menu | None = None) -> discord.ui.View | None:
    """Buttons in rows (at most five of five) and a drop-down in a row of its own. The view is
    never listened to: every custom_id is built by its intent's `IntentButton` (or the menu's
    `IntentMenu`), whose template routes the click, after a restart too."""
    from bot.adapters.discord.ids import custom_id, menu_id  # ids.py renders via interact.py

    if not actions and menu is None:
        return None
    view = discord.ui.View(timeout=None)
    rows = _rows(actions)[: ROWS_MAX - (menu is not None)]
    for index, row in enumerate(rows):
        for action in row:
            view.add_item(
                discord.ui.Button(
                    label=_plain(action.label, LABEL_MAX),
                    custom_id=custom_id(action.intent),
                    style=STYLES[action.style],
                    disabled=action.disabled,
                    row=index,
                )
            )
    if menu is not None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=menu_id(),
            placeholder=_plain(menu.placeholder, SELECT_PLACEHOLDER_MAX),
            options=[
                discord.SelectOption(
                    label=_plain(option.label, OPTION_MAX),
                    value=custom_id(option.intent),
                    description=_plain(option.description, OPTION_MAX) or None,
                )
                for option in menu.options[:SELECT_OPTIONS_MAX]
            ],
            row=len(rows),
        )
        view.add_item(select)
    view.stop()  # nothing to store: no per-message state, so no growth with every reply
    return view


def _button(action: Action) -> discord.ui.Button[Any]:
    from bot.adapters.discord.ids import custom_id

    return discord.ui.Button(
        label=_plain(action.label, LABEL_MAX),
        custom_id=custom_id(action.intent),
        style=STYLES[action.style],
        disabled=action.disabled,
    )


def layout_for(card: Card, attached: set[str]) -> discord.ui.LayoutView:
    """A long-form card as Components v2: one container in the card's colour holding the title,
    the body, the fields, a gallery of its images, its other files, a small footer line and its
    buttons. Discord shows a v2 message's attachments only where a component points at them."""
    container: discord.ui.Container[Any] = discord.ui.Container(accent_colour=COLOURS[card.tone])
    title = f"### {_plain(card.title, TITLE_MAX)}"
    footer = f"-# {_plain(card.footer, 200)}" if card.footer else ""
    fields = [
        f"**{_plain(f.name, FIELD_NAME_MAX)}**\n{fit(f.value, FIELD_VALUE_MAX)}"
        for f in card.fields[:FIELDS_MAX]
    ]
    room = LAYOUT_TEXT_MAX - len(title) - len(footer) - sum(map(len, fields)) - 8
    container.add_item(discord.ui.TextDisplay(title))
    if card.body:
        container.add_item(discord.ui.TextDisplay(fit(card.body, max(64, room))))
    for text in fields:
        container.add_item(discord.ui.TextDisplay(text))
    images = [image for image in card.images if image.name in attached][:GALLERY_MAX]
    if images:
        container.add_item(
            discord.ui.MediaGallery(
                *(
                    discord.MediaGalleryItem(
                        f"attachment://{image.name}",
                        description=image.alt[:DESCRIPTION_ALT_MAX] or None,
                    )
                    for image in images
                )
            )
        )
    for other in card.files:
        if other.name in attached:
            container.add_item(discord.ui.File(f"attachment://{other.name}"))
    if footer:
        container.add_item(discord.ui.TextDisplay(footer))
    rows = _rows(card.actions)[:ROWS_MAX]
    if rows:
        container.add_item(discord.ui.Separator())
        for row in rows:
            container.add_item(discord.ui.ActionRow(*(_button(action) for action in row)))
    view = discord.ui.LayoutView(timeout=None)
    view.add_item(container)
    view.stop()  # as with `buttons`: the ids route the clicks, the view keeps no state
    return view


def render(*cards: Card) -> Rendered:
    """One message from one or more cards (feedback + next question, say): an embed each, the
    buttons of all of them, their images as attachments; private if any card is."""
    cards = cards[:EMBEDS_MAX]
    budget = EMBED_TOTAL_MAX // max(1, len(cards))
    files: list[discord.File] = []
    names: set[str] = set()
    for card in cards:
        for attachment in (*card.files, *card.images):  # the full output before a 10th plot
            if len(files) < FILES_MAX and attachment.name not in names:
                names.add(attachment.name)
                files.append(
                    discord.File(
                        io.BytesIO(attachment.data),
                        filename=attachment.name,
                        description=attachment.alt[:DESCRIPTION_ALT_MAX] or None,
                    )
                )
    if len(cards) == 1 and cards[0].layout:
        return Rendered(view=layout_for(cards[0], names), files=files, ephemeral=cards[0].ephemeral)
    menu = next((card.menu for card in cards if card.menu is not None), None)
    return Rendered(
        embeds=[embed_for(card, budget) for card in cards],
        view=buttons([action for card in cards for action in card.actions], menu),
        files=files,
        ephemeral=any(card.ephemeral for card in cards),
    )
