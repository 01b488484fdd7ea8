"""The one home of every custom_id: an `IntentButton` per intent builds and parses its own id.

A subclass names its intent, a prefix and the intent's fields in id order; from that it gets
its `DynamicItem` template (discord.py routes clicks by it, after restarts too), `encode()`
to build an id, and an owner check: a click by anyone but the intent's owner is answered
privately and goes no further. A button that opens a form (`FormButton`) also owns the form's
id, so the submission is decoded, owner-checked and handled by the same class.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

import discord
from discord.ui import DynamicItem, Item
from pydantic import ValidationError

from bot.adapters.discord.interact import guarded, send_text, text_modal
from bot.cards import not_yours
from bot.intents import Intent
from bot.services.quizzes import AnswerForm

if TYPE_CHECKING:
    from bot.adapters.discord.bot import StudyBot

log = logging.getLogger(__name__)

CUSTOM_ID_MAX = 100
BROKEN = "That button no longer works; run the command again."

BUTTONS: dict[type[Intent], type[IntentButton]] = {}


def _template(prefix: str, fields: tuple[str, ...]) -> str:
    return re.escape(prefix) + "".join(f":(?P<{name}>[^:]*)" for name in fields)


def _encode(prefix: str, fields: tuple[str, ...], intent: Intent) -> str:
    values = []
    for name in fields:
        value = getattr(intent, name)
        values.append("" if value is None else str(value))
    custom_id = ":".join([prefix, *values])
    if len(custom_id) > CUSTOM_ID_MAX or any(":" in value for value in values):
        raise ValueError(f"{type(intent).__name__} cannot be encoded in a custom_id: {custom_id!r}")
    return custom_id


def _decode(kind: type[Intent], match: re.Match[str]) -> Intent | None:
    """The intent an id names, or None for an id that does not validate (forged or old)."""
    try:
        return kind.model_validate({name: value for name, value in match.groupdict().items()})
    except ValidationError:
        log.info("custom_id %r does not decode as %s", match.string, kind.__name__)
        return None


async def owner_allows(interaction: discord.Interaction[Any], intent: Intent | None) -> bool:
    """True when the presser may act on `intent`; otherwise they have been answered."""
    if intent is None:
        await send_text(interaction, BROKEN)
        return False
    if intent.owner is not None and interaction.user.id != intent.owner:
        await send_text(interaction, not_yours(f"<@{intent.owner}>"))
        return False
    return True


class IntentButton(DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button that stands for one kind of intent; subclasses implement `handle`."""

    intent_type: ClassVar[type[Intent]]
    prefix: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    def __init_subclass__(
        cls,
        *,
        intent: type[Intent] | None = None,
        prefix: str = "",
        fields: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        if intent is None:  # an abstract layer (FormButton): no template of its own
            super().__init_subclass__(template=r"(?!)", **kwargs)
            return
        super().__init_subclass__(template=_template(prefix, fields), **kwargs)
        cls.intent_type, cls.prefix, cls.fields = intent, prefix, fields
        BUTTONS[intent] = cls

    def __init__(self, item: discord.ui.Button[Any], intent: Intent | None) -> None:
        super().__init__(item)
        self.intent = intent

    @classmethod
    def encode(cls, intent: Intent) -> str:
        """The custom_id that stands for `intent` (`DynamicItem.custom_id` is the live one)."""
        return _encode(cls.prefix, cls.fields, intent)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Item[Any], match: re.Match[str], /
    ) -> IntentButton:
        return cls(cast("discord.ui.Button[Any]", item), _decode(cls.intent_type, match))

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await owner_allows(interaction, self.intent)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.intent is not None  # interaction_check refused the undecodable
        await guarded(interaction, self.handle(interaction, self.intent))

    async def handle(self, interaction: discord.Interaction[Any], intent: Any) -> None:
        raise NotImplementedError


class FormButton(IntentButton):
    """A button that opens a form (modal) whose submission carries the same intent."""

    form_prefix: ClassVar[str]

    @classmethod
    def form_id(cls, intent: Intent) -> str:
        return _encode(cls.form_prefix, cls.fields, intent)

    @classmethod
    def form_pattern(cls) -> re.Pattern[str]:
        return re.compile(_template(cls.form_prefix, cls.fields))

    async def handle(self, interaction: discord.Interaction[Any], intent: Any) -> None:
        form = await self.form(interaction, intent)
        modal = text_modal(self.form_id(intent), form.title, form.label, paragraph=form.multiline)
        await interaction.response.send_modal(modal)

    async def form(self, interaction: discord.Interaction[Any], intent: Any) -> AnswerForm:
        raise NotImplementedError

    @classmethod
    async def submitted(
        cls, interaction: discord.Interaction[Any], intent: Any, values: Mapping[str, str]
    ) -> None:
        raise NotImplementedError

    @classmethod
    async def route(
        cls, interaction: discord.Interaction[Any], match: re.Match[str], values: dict[str, str]
    ) -> None:
        """A submission of this class's form: decoded and owner-checked like a click."""
        intent = _decode(cls.intent_type, match)
        if await owner_allows(interaction, intent):
            await cls.submitted(interaction, intent, values)


def custom_id(intent: Intent) -> str:
    """The custom_id of the button that stands for `intent`."""
    button = BUTTONS.get(type(intent))
    if button is None:
        _import_features()  # buttons register themselves when their feature is imported
        button = BUTTONS.get(type(intent))
    if button is None:
        raise LookupError(f"no button is registered for {type(intent).__name__}")
    return button.encode(intent)


def _import_features() -> None:
    package = importlib.import_module(__package__ or "bot.adapters.discord")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def register_forms(bot: StudyBot, *buttons: type[FormButton]) -> None:
    for button in buttons:
        bot.add_modal_route(button.form_pattern().pattern, button.route)


def intent_of(custom_id: str) -> Intent | None:
    """The intent a button's custom_id stands for (None: no button of ours, or forged)."""
    _import_features()
    for button in BUTTONS.values():
        match = button.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is not None:
            return _decode(button.intent_type, match)
    return None


MENU_ID = "menu:pick"


def menu_id() -> str:
    """Every drop-down has this id; what each option means is its value (an intent's id)."""
    return MENU_ID


class IntentMenu(DynamicItem[discord.ui.Select[Any]], template=re.escape(MENU_ID)):
    """A drop-down whose options are intents: choosing one is pressing that intent's button
    (decoded, owner-checked and handled by the same class)."""

    def __init__(self, item: discord.ui.Select[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Item[Any], match: re.Match[str], /
    ) -> IntentMenu:
        return cls(cast("discord.ui.Select[Any]", item))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        data: Mapping[str, Any] = interaction.data or {}
        values = data.get("values") or []
        chosen = str(values[0]) if values else ""
        intent = intent_of(chosen)
        if not await owner_allows(interaction, intent):
            return
        assert intent is not None
        button = BUTTONS[type(intent)]
        stand_in = button(discord.ui.Button(custom_id=chosen), intent)
        await guarded(interaction, stand_in.handle(interaction, intent))
