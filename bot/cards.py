"""Transport-neutral replies: services return Cards; Discord renders embeds, the console Rich."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    """A button. `id` carries its own state (e.g. `quiz:answer:<item>:<seed>:<n>`)."""

    id: str
    label: str
    style: Style = Style.SECONDARY


@dataclass(frozen=True)
class Image:
    name: str
    data: bytes
    mime: str = "image/png"


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
