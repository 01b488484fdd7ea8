"""Transport-neutral replies: services return Cards; Discord renders embeds, the console Rich."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.intents import Intent


class Style(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


class Tone(StrEnum):
    """What the card means to the reader; adapters pick colours from it."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class CardField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Action:
    """A button: what pressing it means (a typed intent), and how it is labelled."""

    intent: Intent
    label: str
    style: Style = Style.SECONDARY


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


class UserError(Exception):
    """Something the member asked for cannot be done; the message is one short sentence."""


def not_yours(owner: str) -> str:
    """What anyone but the owner reads when they press someone else's question."""
    return f"This is {owner}'s question — start your own with /quiz."
