"""Transport-neutral replies: services return Cards; Discord renders embeds, the console Rich."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.intents import Intent


class Style(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


class Tone(StrEnum):
    """What the card is, or means to the reader; adapters pick one colour per tone, so every
    card of a kind looks the same (a lesson is always blurple, a right answer always green)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"
    LESSON = "lesson"
    QUIZ = "quiz"
    CHALLENGE = "challenge"
    BOARD = "board"
    RUN = "run"
    EXERCISE = "exercise"


@dataclass(frozen=True)
class CardField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Action:
    """A button: what pressing it means (a typed intent), and how it is labelled. A disabled
    action is shown but cannot be pressed (a pager's "2 / 6")."""

    intent: Intent
    label: str
    style: Style = Style.SECONDARY
    disabled: bool = False
    row: int | None = None  # a row of its own (long labels read better one to a line)


@dataclass(frozen=True)
class MenuOption:
    intent: Intent
    label: str
    description: str = ""


@dataclass(frozen=True)
class Menu:
    """A drop-down of intents ("Open a lesson…"): choosing an option acts like a button."""

    placeholder: str
    options: tuple[MenuOption, ...]


@dataclass(frozen=True)
class Image:
    name: str
    data: bytes
    mime: str = "image/png"
    alt: str = ""  # what the picture shows, for screen readers (Discord's description)


@dataclass(frozen=True)
class Card:
    title: str
    body: str = ""
    fields: tuple[CardField, ...] = ()
    footer: str = ""
    images: tuple[Image, ...] = ()
    actions: tuple[Action, ...] = ()
    ephemeral: bool = False
    tone: Tone = Tone.INFO
    files: tuple[Image, ...] = ()  # other attachments: the full output of a run, say
    menu: Menu | None = None
    # Display names of the members the text mentions as <@id>: Discord shows mentions itself,
    # a terminal needs the names.
    names: tuple[tuple[int, str], ...] = ()
    # A long-form card (a code-help card): its parts read top to bottom and its images form a
    # gallery. Discord lays it out with Components v2; other transports print it as usual.
    layout: bool = False


class UserError(Exception):
    """Something the member asked for cannot be done; the message is one short sentence."""


def not_yours(owner: str) -> str:
    """What anyone but the owner reads when they press someone else's question."""
    return f"This is {owner}'s question — start your own with /quiz."


_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()-])")


def escape_markdown(text: str) -> str:
    """Member input shown inside Markdown, as typed: `__init__` stays `__init__`."""
    return _MARKDOWN.sub(r"\\\1", text)
