"""Cards as Rich renderables, the console's counterpart of the Discord renderer, and the one
place that turns a Card's intents into the commands a console member types."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.cards import Card, Tone
from bot.intents import (
    EditRun,
    Intent,
    LessonNotebook,
    MarkDone,
    OpenExercise,
    OpenLesson,
    StartQuiz,
    StartReview,
    SubmitExercise,
)
from bot.services.portfolio import EditProject, MarkHelpful, RateProject, ReviewProject

_BORDER = {
    Tone.INFO: "bright_black",
    Tone.SUCCESS: "green",
    Tone.WARNING: "yellow",
    Tone.ERROR: "red",
    Tone.LESSON: "blue",
    Tone.QUIZ: "cyan",
    Tone.CHALLENGE: "magenta",
    Tone.BOARD: "bright_yellow",
    Tone.RUN: "bright_blue",
    Tone.EXERCISE: "dark_orange",
}


def _line_breaks_kept(text: str) -> str:
    """Card text is Markdown as Discord reads it: a single newline is a line break.

    CommonMark (and so Rich) would join such lines into one paragraph, so end them with two
    spaces, its invisible hard break (a backslash would show in list items), leaving fenced
    code, headings and tables alone.
    """
    out: list[str] = []
    in_fence = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        following = lines[index + 1] if index + 1 < len(lines) else ""
        plain = not line.lstrip().startswith(("```", "#", "|"))
        if not in_fence and plain and line.strip() and following.strip():
            line = line.rstrip() + "  "
        out.append(line)
    return "\n".join(out)


_TIMESTAMP = re.compile(r"<t:(\d{1,12})(?::[tTdDfFR])?>")
_CHANNEL = re.compile(r"<#(\d+)>")


_MEMBER = re.compile(r"<@!?(\d+)>")
_SUBTEXT = re.compile(r"^-# (.+)$", re.MULTILINE)


def _console_text(text: str, names: dict[int, str] | None = None) -> str:
    """Chat-only Markdown as a terminal shows it: timestamps (UTC), channel and member
    mentions (#id, the member's name), `-#` subtext (italics)."""
    text = _TIMESTAMP.sub(
        lambda m: datetime.fromtimestamp(int(m[1]), UTC).strftime("%a %d %b %Y %H:%M UTC"), text
    )
    text = _MEMBER.sub(lambda m: (names or {}).get(int(m[1]), f"member {m[1]}"), text)
    text = _SUBTEXT.sub(lambda m: f"*{m[1]}*", text)
    return _CHANNEL.sub(lambda m: f"#{m[1]}", text)


def _markdown(text: str, names: dict[int, str] | None = None) -> Markdown:
    return Markdown(_line_breaks_kept(_console_text(text, names)))


def render_card(card: Card) -> RenderableType:
    names = dict(card.names)
    parts: list[RenderableType] = []
    if card.body:
        parts.append(_markdown(card.body, names))
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


def command_for(intent: Intent) -> str | None:
    """What to type in the console for a button a Discord member would press; None for
    answer buttons (the question says to type the answer)."""
    if isinstance(intent, MarkDone):
        return f"/done {intent.lesson}"
    if isinstance(intent, StartQuiz):
        target = intent.lesson or intent.topic
        if not target:
            return "/quiz"  # what the member studied; `/quiz` takes a count only after a target
        return f"/quiz {target} {intent.count}"
    if isinstance(intent, StartReview):
        return "/review"
    if isinstance(intent, OpenLesson):
        return f"/lesson {intent.lesson}".rstrip()
    if isinstance(intent, EditRun):
        return "/again"
    if isinstance(intent, LessonNotebook):
        return f"/notebook {intent.lesson}"
    if isinstance(intent, OpenExercise):
        return f"/exercise {intent.exercise}"
    if isinstance(intent, SubmitExercise):
        return f"/submit {intent.exercise}"
    if isinstance(intent, EditProject):
        return f"/portfolio edit {intent.project}" if intent.project else "/portfolio submit"
    if isinstance(intent, RateProject | ReviewProject):
        return f"/portfolio review {intent.project}"
    if isinstance(intent, MarkHelpful):
        return f"/portfolio helpful {intent.review}"
    return None  # answers (type them), pagers (a terminal shows the whole lesson)


def print_card(console: Console, card: Card) -> None:
    console.print(render_card(card))
    hints = [
        f"{action.label}: {command}"
        for action in card.actions
        if (command := command_for(action.intent)) is not None
    ]
    if card.menu is not None and any(
        isinstance(option.intent, OpenLesson) for option in card.menu.options
    ):
        hints.append(f"{card.menu.placeholder} /lesson ID or number")
    if card.menu is not None and any(
        isinstance(option.intent, OpenExercise) for option in card.menu.options
    ):
        hints.append(f"{card.menu.placeholder} /exercise ID")
    if hints:
        console.print(Text(" · ".join(hints), style="dim"), soft_wrap=True)
