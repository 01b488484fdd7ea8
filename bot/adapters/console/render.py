"""Cards as Rich renderables, the console's counterpart of the Discord embed renderer."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cards import Card, Tone

_BORDER = {Tone.INFO: "cyan", Tone.SUCCESS: "green", Tone.WARNING: "yellow", Tone.ERROR: "red"}


def render_card(card: Card) -> RenderableType:
    parts: list[RenderableType] = []
    if card.body:
        parts.append(Markdown(card.body))
    if card.fields:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for field in card.fields:
            table.add_row(field.name, Markdown(field.value))
        parts.append(table)
    for image in card.images:
        parts.append(Text(f"[image {image.name}, {len(image.data)} bytes]", style="dim"))
    return Panel(
        Group(*parts),
        title=Text(card.title, style="bold"),
        title_align="left",
        subtitle=Text(card.footer, style="dim") if card.footer else None,
        subtitle_align="left",
        border_style=_BORDER[card.tone],
    )


def print_card(console: Console, card: Card) -> None:
    console.print(render_card(card))
