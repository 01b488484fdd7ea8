"""Cards as Rich renderables, the console's counterpart of the Discord embed renderer."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cards import Card, Tone

_BORDER = {Tone.INFO: "cyan", Tone.SUCCESS: "green", Tone.WARNING: "yellow", Tone.ERROR: "red"}


def _line_breaks_kept(text: str) -> str:
    """Card text is Markdown as Discord reads it: a single newline is a line break.

    CommonMark (and so Rich) would join such lines into one paragraph, so mark them as hard
    breaks, leaving fenced code alone.
    """
    out: list[str] = []
    in_fence = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not in_fence and line.strip() and following.strip():
            line += "\\" if not line.lstrip().startswith(("```", "#", "|")) else ""
        out.append(line)
    return "\n".join(out)


def _markdown(text: str) -> Markdown:
    return Markdown(_line_breaks_kept(text))


def render_card(card: Card) -> RenderableType:
    parts: list[RenderableType] = []
    if card.body:
        parts.append(_markdown(card.body))
    inline = [f for f in card.fields if f.inline]
    for field in card.fields:
        if not field.inline:
            parts.append(Text(field.name, style="bold"))
            parts.append(_markdown(field.value))
    if inline:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for field in inline:
            table.add_row(field.name, field.value)
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


def _console_command(action_id: str) -> str | None:
    """What to type in the console for a button a Discord member would press."""
    kind, _, rest = action_id.partition(":")
    verb, _, target = rest.partition(":")
    if kind == "lesson" and verb == "done":
        return f"/done {target}"
    if kind == "lesson" and verb == "quiz":
        return f"/quiz {target}"
    if kind == "quiz" and verb == "next":
        return f"/quiz {target}"
    return None  # answer buttons: the footer already says to type the answer


def print_card(console: Console, card: Card) -> None:
    console.print(render_card(card))
    hints = [
        f"{action.label}: {command}"
        for action in card.actions
        if (command := _console_command(action.id)) is not None
    ]
    if hints:
        console.print(Text(" · ".join(hints), style="dim"), soft_wrap=True)
