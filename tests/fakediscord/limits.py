"""Discord's documented payload limits, checked by the fake the way Discord checks them.

A bot that posts 2,001 characters or a 26th option passes every mock and fails in production;
the fake answers such requests with Discord's 400 "Invalid Form Body" instead. The checkers return
`Problem`s, so the bot's own tests can also assert "the synced payload is within the limits".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
V2_COMPONENTS_MAX = 40
V2_TEXT_MAX = 4000  # all text displays of one message together
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
FILES_MAX = 10
FILE_SIZE_MAX = 10 * 1024 * 1024
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_STRING_VALUE_MAX = 100
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
OPTIONS_MAX = 25
COMMAND_TOTAL_CHARS_MAX = 4000
CHAT_INPUT_COMMANDS_MAX = 100
CONTEXT_MENU_COMMANDS_MAX = 15
NONCE_MAX = 25
THREAD_NAME_MAX = 100
AUTO_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)

COMPONENTS_V2_FLAG = 1 << 15

# Discord's pattern for chat-input and option names: 1-32 word characters, '-' or '_' (Unicode
# letters and digits included), and lowercase where a lowercase form exists.
_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


@dataclass(frozen=True)
class Problem:
    """One violated limit: where in the payload, Discord's error code, and a readable message."""

    path: tuple[str | int, ...]
    code: str
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<payload>"
        return f"{where}: {self.message}"


def error_body(problems: Iterable[Problem]) -> dict[str, Any]:
    """Discord's 50035 "Invalid Form Body" JSON, nested the way discord.py flattens it."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _too_long(path: tuple[str | int, ...], value: Any, limit: int) -> Iterator[Problem]:
    if isinstance(value, str) and len(value) > limit:
        yield Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _length_between(
    path: tuple[str | int, ...], value: Any, low: int, high: int
) -> Iterator[Problem]:
    if not isinstance(value, str) or not low <= len(value) <= high:
        yield Problem(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


# -- messages ---------------------------------------------------------------------------------


def embed_problems(embeds: list[dict[str, Any]]) -> Iterator[Problem]:
    if len(embeds) > EMBEDS_MAX:
        yield Problem(("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer.")
    total = 0
    for i, embed in enumerate(embeds):
        at = ("embeds", i)
        yield from _too_long((*at, "title"), embed.get("title"), EMBED_TITLE_MAX)
        yield from _too_long((*at, "description"), embed.get("description"), EMBED_DESCRIPTION_MAX)
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        yield from _too_long((*at, "footer", "text"), footer, EMBED_FOOTER_MAX)
        yield from _too_long((*at, "author", "name"), author, EMBED_AUTHOR_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            yield Problem(
                (*at, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {EMBED_FIELDS_MAX} or fewer."
            )
        for j, fld in enumerate(fields):
            yield from _length_between(
                (*at, "fields", j, "name"), fld.get("name"), 1, EMBED_FIELD_NAME_MAX
            )
            yield from _length_between(
                (*at, "fields", j, "value"), fld.get("value"), 1, EMBED_FIELD_VALUE_MAX
            )
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        for text in (embed.get("title"), embed.get("description"), footer, author):
            total += len(text or "")
    if total > EMBED_TOTAL_MAX:
        yield Problem(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )


def _button_problems(path: tuple[str | int, ...], button: dict[str, Any]) -> Iterator[Problem]:
    yield from _too_long((*path, "label"), button.get("label"), BUTTON_LABEL_MAX)
    style = button.get("style")
    if style == 5:
        if not button.get("url"):
            yield Problem((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
    elif style != 6 and not button.get("custom_id"):
        yield Problem((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")


def component_problems(components: list[dict[str, Any]], *, v2: bool = False) -> Iterator[Problem]:
    """Rows, buttons, selects and custom ids; v2 layouts are checked for count and ids only."""
    if not v2 and len(components) > ACTION_ROWS_MAX:
        yield Problem(
            ("components",),
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {ACTION_ROWS_MAX} or fewer in length.",
        )
    seen: set[str] = set()
    count = 0
    text = 0

    def visit(items: list[dict[str, Any]], path: tuple[str | int, ...]) -> Iterator[Problem]:
        nonlocal count, text
        for i, item in enumerate(items):
            at = (*path, i)
            count += 1
            if item.get("type") == 10:
                text += len(item.get("content") or "")
            custom_id = item.get("custom_id")
            if custom_id is not None:
                yield from _length_between((*at, "custom_id"), custom_id, 1, CUSTOM_ID_MAX)
                if custom_id in seen:
                    yield Problem(
                        (*at, "custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                seen.add(custom_id)
            kind = item.get("type")
            if kind == 1:
                children = item.get("components") or []
                buttons = [c for c in children if c.get("type") == 2]
                selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
                if len(buttons) > ROW_BUTTONS_MAX or (selects and len(children) > 1):
                    yield Problem(
                        (*at, "components"),
                        "BASE_TYPE_MAX_LENGTH",
                        f"An action row holds up to {ROW_BUTTONS_MAX} buttons or one select.",
                    )
            elif kind == 2:
                yield from _button_problems(at, item)
            elif kind in (3, 5, 6, 7, 8):
                options = item.get("options") or []
                if len(options) > SELECT_OPTIONS_MAX:
                    yield Problem(
                        (*at, "options"),
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {SELECT_OPTIONS_MAX} or fewer in length.",
                    )
            yield from visit(item.get("components") or [], (*at, "components"))
            for key in ("component", "accessory"):
                if isinstance(item.get(key), dict):
                    yield from visit([item[key]], (*at, key))

    yield from visit(components, ("components",))
    if v2 and count > V2_COMPONENTS_MAX:
        yield Problem(
            ("components",),
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {V2_COMPONENTS_MAX} or fewer components in total.",
        )
    if v2 and text > V2_TEXT_MAX:
        yield Problem(
            ("components",),
            "MAX_TEXT_DISPLAY_LENGTH_EXCEEDED",
            f"Text displays may hold {V2_TEXT_MAX} characters in total.",
        )


def message_problems(
    payload: dict[str, Any], *, files: int = 0, creating: bool = True
) -> list[Problem]:
    """Limits on a message create or edit (channel message, interaction reply, follow-up)."""
    problems: list[Problem] = []
    content = payload.get("content")
    problems += _too_long(("content",), content, CONTENT_MAX)
    embeds = payload.get("embeds") or []
    problems += embed_problems(embeds)
    flags = payload.get("flags") or 0
    v2 = bool(flags & COMPONENTS_V2_FLAG)
    components = payload.get("components") or []
    problems += component_problems(components, v2=v2)
    if v2 and (content or embeds):
        problems.append(
            Problem(
                ("content",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using components v2",
            )
        )
    if files > FILES_MAX:
        problems.append(
            Problem(("files",), "BASE_TYPE_MAX_LENGTH", f"Must be {FILES_MAX} or fewer in length.")
        )
    if creating and not (content or embeds or components or files or payload.get("poll")):
        problems.append(Problem((), "EMPTY_MESSAGE", "Cannot send an empty message"))
    return problems


def nonce_problems(payload: dict[str, Any]) -> list[Problem]:
    """A message nonce is an integer or a string of up to 25 characters."""
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        return [
            Problem(("nonce",), "BASE_TYPE_MAX_LENGTH", f"Must be {NONCE_MAX} or fewer in length.")
        ]
    return []


def thread_problems(payload: dict[str, Any]) -> list[Problem]:
    """Starting a thread: a 1-100 character name and one of Discord's archive durations."""
    problems = list(_length_between(("name",), payload.get("name"), 1, THREAD_NAME_MAX))
    duration = payload.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE_DURATIONS:
        problems.append(
            Problem(
                ("auto_archive_duration",),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {set(AUTO_ARCHIVE_DURATIONS)}.",
            )
        )
    return problems


# -- modals and autocomplete --------------------------------------------------------------------


def modal_problems(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    problems += _length_between(("data", "title"), data.get("title"), 1, MODAL_TITLE_MAX)
    problems += _length_between(("data", "custom_id"), data.get("custom_id"), 1, CUSTOM_ID_MAX)
    rows = data.get("components") or []
    if not 1 <= len(rows) <= MODAL_COMPONENTS_MAX:
        problems.append(
            Problem(
                ("data", "components"),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {MODAL_COMPONENTS_MAX} in length.",
            )
        )
    for i, row in enumerate(rows):
        at: tuple[str | int, ...] = ("data", "components", i)
        if row.get("type") == 18:
            problems += _length_between((*at, "label"), row.get("label"), 1, TEXT_INPUT_LABEL_MAX)
            inner = [row.get("component") or {}]
        else:
            inner = row.get("components") or []
        for j, item in enumerate(inner):
            where = (*at, "components", j)
            if item.get("type") != 4:
                continue
            problems += _length_between(
                (*where, "custom_id"), item.get("custom_id"), 1, CUSTOM_ID_MAX
            )
            if item.get("label") is not None or row.get("type") != 18:  # a label names it
                problems += _length_between(
                    (*where, "label"), item.get("label"), 1, TEXT_INPUT_LABEL_MAX
                )
            problems += _too_long((*where, "placeholder"), item.get("placeholder"), 100)
            problems += _too_long((*where, "value"), item.get("value"), TEXT_INPUT_VALUE_MAX)
            for key in ("min_length", "max_length"):
                value = item.get(key)
                if value is not None and not 0 <= value <= TEXT_INPUT_VALUE_MAX:
                    problems.append(
                        Problem(
                            (*where, key),
                            "NUMBER_TYPE_MAX",
                            f"int value should be between 0 and {TEXT_INPUT_VALUE_MAX}.",
                        )
                    )
    return problems


def choice_problems(choices: list[dict[str, Any]], path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if len(choices) > CHOICES_MAX:
        problems.append(
            Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer in length.")
        )
    for i, choice in enumerate(choices):
        problems += _length_between((*path, i, "name"), choice.get("name"), 1, CHOICE_NAME_MAX)
        problems += _too_long((*path, i, "value"), choice.get("value"), CHOICE_STRING_VALUE_MAX)
    return problems


# -- application commands ---------------------------------------------------------------------


def _name_problems(path: tuple[str | int, ...], name: Any) -> Iterator[Problem]:
    if not isinstance(name, str) or not _NAME.match(name) or name != name.lower():
        yield Problem(
            (*path, "name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            f"Command name {name!r} is invalid (1-32 lowercase letters, digits, '-' or '_').",
        )


def _option_problems(
    options: list[dict[str, Any]], path: tuple[str | int, ...], depth: int
) -> Iterator[Problem]:
    if len(options) > OPTIONS_MAX:
        yield Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {OPTIONS_MAX} or fewer in length.")
    names = [o.get("name") for o in options]
    for name in {n for n in names if names.count(n) > 1}:
        yield Problem(path, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", f"{name!r} twice")
    kinds = {o.get("type") for o in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        yield Problem(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands and groups cannot be mixed with other options.",
        )
    optional_seen = False
    for i, option in enumerate(options):
        at = (*path, i)
        yield from _name_problems(at, option.get("name"))
        yield from _length_between(
            (*at, "description"), option.get("description"), 1, COMMAND_DESCRIPTION_MAX
        )
        kind = option.get("type")
        if kind in (1, 2):
            if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
                yield Problem(
                    at, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-commands nested too deep."
                )
            inner = option.get("options") or []
            if kind == 2 and any(o.get("type") != 1 for o in inner):
                yield Problem(
                    (*at, "options"),
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A sub-command group holds only sub-commands.",
                )
            yield from _option_problems(inner, (*at, "options"), depth + 1)
            continue
        if option.get("required"):
            if optional_seen:
                yield Problem(
                    at,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        yield from choice_problems(choices, (*at, "choices"))
        if choices and option.get("autocomplete"):
            yield Problem(
                (*at, "autocomplete"),
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                "Autocomplete cannot be set with choices.",
            )


def _characters(command: dict[str, Any]) -> int:
    """Discord's combined length: names, descriptions and choice names/values, all levels."""
    total = len(command.get("name") or "") + len(command.get("description") or "")
    for option in command.get("options") or []:
        total += _characters(option)
        for choice in option.get("choices") or []:
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total


def command_problems(commands: list[dict[str, Any]]) -> list[Problem]:
    """Everything Discord rejects in a bulk overwrite of application commands."""
    problems: list[Problem] = []
    by_type: dict[int, list[str]] = {}
    for i, command in enumerate(commands):
        at: tuple[str | int, ...] = (i,)
        kind = command.get("type", 1)
        by_type.setdefault(kind, []).append(command.get("name"))
        if kind == 1:
            problems += _name_problems(at, command.get("name"))
            problems += _length_between(
                (*at, "description"), command.get("description"), 1, COMMAND_DESCRIPTION_MAX
            )
            problems += _option_problems(command.get("options") or [], (*at, "options"), 0)
        else:
            problems += _length_between((*at, "name"), command.get("name"), 1, COMMAND_NAME_MAX)
            if command.get("description"):
                problems.append(
                    Problem(
                        (*at, "description"),
                        "APPLICATION_COMMAND_DESCRIPTION_INVALID",
                        "Context menu commands cannot have a description.",
                    )
                )
        if _characters(command) > COMMAND_TOTAL_CHARS_MAX:
            problems.append(
                Problem(
                    at,
                    "APPLICATION_COMMAND_TOO_LARGE",
                    f"Command exceeds maximum size ({COMMAND_TOTAL_CHARS_MAX})",
                )
            )
    for kind, names in by_type.items():
        for name in {n for n in names if names.count(n) > 1}:
            problems.append(
                Problem(
                    (),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({name!r})",
                )
            )
        limit = CHAT_INPUT_COMMANDS_MAX if kind == 1 else CONTEXT_MENU_COMMANDS_MAX
        if len(names) > limit:
            problems.append(
                Problem((), "BASE_TYPE_MAX_LENGTH", f"At most {limit} commands of type {kind}.")
            )
    return problems
