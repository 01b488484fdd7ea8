"""The command payload `studybot sync` sends: the issue's command surface, within Discord's limits.

Discord rejects a whole bulk overwrite for one bad name or a 101-character description, and only
when the bot syncs; so the payload is checked here, from the same tree the bot syncs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.bot import StudyBot, load_features
from bot.app import build_app
from bot.settings import load_settings
from tests.fakediscord import limits

CHAT_INPUT, MESSAGE_MENU = 1, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


@pytest.fixture
async def payload(tmp_path: Path) -> AsyncIterator[list[dict[str, Any]]]:
    app = build_app(load_settings(database_url=f"sqlite:///{tmp_path / 'studybot.db'}"))
    bot = StudyBot(app.services, scheduler=False)
    try:
        await load_features(bot)
        yield [command.to_dict(bot.tree) for command in bot.tree._get_all_commands()]
    finally:
        await bot.close()
        await app.aclose()


def _name_ok(name: str) -> bool:
    """Discord's `^[-_\\p{L}\\p{N}]{1,32}$`, lowercase where a letter has a lowercase form."""
    return (
        1 <= len(name) <= 32
        and all(c.isalpha() or c.isnumeric() or c in "-_" for c in name)
        and name == name.lower()
    )


def _walk(options: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for option in options:
        yield option
        yield from _walk(option.get("options") or [])


def _characters(command: dict[str, Any]) -> int:
    """What Discord counts towards a command's 4,000: names, descriptions, choice names and
    values, of the command and all its options."""
    total = len(command["name"]) + len(command.get("description") or "")
    for option in _walk(command.get("options") or []):
        total += len(option["name"]) + len(option.get("description") or "")
        for choice in option.get("choices") or []:
            total += len(choice["name"]) + len(str(choice["value"]))
    return total


def _surface(command: dict[str, Any]) -> list[str]:
    """`/admin content reload`, `/quiz [topic] [count]`: the shape the issue names."""

    def lines(prefix: str, options: list[dict[str, Any]]) -> list[str]:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if subs:
            return [x for sub in subs for x in lines(f"{prefix} {sub['name']}", sub["options"])]
        shown = [o["name"] if o.get("required") else f"[{o['name']}]" for o in options]
        return [" ".join([prefix, *shown])]

    if command["type"] == MESSAGE_MENU:
        return [f"menu: {command['name']}"]
    return lines(f"/{command['name']}", command.get("options") or [])


async def test_the_command_surface_is_the_issues(payload: list[dict[str, Any]]) -> None:
    surface = sorted(line for command in payload for line in _surface(command))
    assert surface == [
        "/admin content reload",
        "/admin leaderboard [period] [channel]",
        "/admin schedule challenge channel time",
        "/admin schedule leaderboard channel day time period",
        "/admin schedule lessons channel time [days] [track]",
        "/admin schedule off kind",
        "/admin schedule show",
        "/admin schedule showcase channel day time",
        "/admin setup [lessons] [challenges] [leaderboards] [timezone] [moderator_role]"
        " [grace_hours] [announce_quizzes] [retention] [new_cards]",
        "/admin stats",
        "/daily",
        "/exercise [exercise]",
        "/leaderboard [period] [chart]",
        "/lesson [lesson]",
        "/portfolio edit project",
        "/portfolio review",
        "/portfolio show [member]",
        "/portfolio submit",
        "/profile [member]",
        "/quiz [topic] [count]",
        "/remind switch",
        "/review",
        "/roadmap",
        "/run [code]",
        "/streak [member]",
        "/streakmode mode [days]",
        "/timezone zone",
        "menu: Run code",
    ]
    by_name = {c["name"]: c for c in payload}
    assert int(by_name["admin"]["default_member_permissions"]) == 1 << 5  # Manage Server
    assert all(c["contexts"] == [0] for c in payload)  # servers only
    periods = by_name["leaderboard"]["options"][0]["choices"]
    assert [p["value"] for p in periods] == ["week", "month", "rolling", "all"]
    count = by_name["quiz"]["options"][1]
    assert (count["min_value"], count["max_value"]) == (1, 10)
    autocompleted = {
        (c["name"], o["name"])
        for c in payload
        for o in _walk(c.get("options") or [])
        if o.get("autocomplete")
    }
    assert autocompleted == {
        ("lesson", "lesson"),
        ("exercise", "exercise"),
        ("quiz", "topic"),
        ("timezone", "zone"),
        ("admin", "timezone"),
        ("admin", "track"),
        ("portfolio", "project"),
    }


async def test_the_payload_is_within_discords_limits(payload: list[dict[str, Any]]) -> None:
    chat = [c for c in payload if c["type"] == CHAT_INPUT]
    menus = [c for c in payload if c["type"] != CHAT_INPUT]
    assert len(chat) <= 100 and len(menus) <= 15
    assert len({c["name"] for c in chat}) == len(chat)
    for command in payload:
        assert _characters(command) <= 4000, command["name"]
        if command["type"] != CHAT_INPUT:
            assert 1 <= len(command["name"]) <= 32 and not command.get("description")
            continue
        assert _name_ok(command["name"]), command["name"]
        assert 1 <= len(command["description"]) <= 100, command["name"]
        assert len(command.get("options") or []) <= 25
        for option in _walk(command.get("options") or []):
            where = f"/{command['name']} {option['name']}"
            assert _name_ok(option["name"]), where
            assert 1 <= len(option["description"]) <= 100, where
            assert len(option.get("options") or []) <= 25, where
            choices = option.get("choices") or []
            assert len(choices) <= 25, where
            assert all(1 <= len(c["name"]) <= 100 for c in choices), where
    # The fake checks bulk overwrites the way Discord does; it must agree.
    assert limits.command_problems(payload) == []
