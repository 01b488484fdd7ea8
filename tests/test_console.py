"""The console, driven by piped input: in-process on a frozen clock, and as a real subprocess."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from bot.adapters.console.session import ConsoleSession
from bot.storage.db import Database
from bot.storage.store import MemberRef
from tests.support import make_services

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ME = MemberRef(guild_id=1, user_id=7, display_name="ada")


async def drive(database: Database, script: str) -> str:
    services, _ = make_services(database, NOW)
    buffer = io.StringIO()
    out = Console(file=buffer, width=100, color_system=None, highlight=False)
    session = ConsoleSession(services, ME, out, interactive=False)
    await session.run(io.StringIO(script))
    return buffer.getvalue()


async def test_a_study_session_through_piped_input(database: Database) -> None:
    text = await drive(
        database,
        "/help\n/roadmap\n/lesson\n/done\n/quiz algebra\n/streak\n/leaderboard all\n/quit\n/help\n",
    )
    assert "/quiz [topic or lesson]" in text
    assert "Next up: First" in text
    assert "Body of first." in text
    assert "Done: First" in text and "+20 XP" in text
    assert "Quiz · Algebra" in text
    assert "Current  1 day" in text
    assert "🥇 ada — 20 XP" in text
    assert text.count("Commands") == 1  # nothing runs after /quit
    assert "studybot>" not in text  # no prompt decorations without a terminal


async def test_answers_by_choice_number_and_bad_input_keeps_the_session(
    database: Database,
) -> None:
    text = await drive(
        database,
        "/nonsense\n/lesson nowhere\n42\n/quiz geometry\n/lesson 2\n/leaderboard year\n"
        "/timezone Mars/Base\n/streak\n",
    )
    lines = text.splitlines()
    assert "Unknown command `/nonsense`. Type /help for the commands." in lines
    assert "There is no lesson `nowhere`. See /roadmap for lesson ids." in lines
    assert "There is no open question. Type /quiz for one, or /help." in lines
    assert any(line.startswith("There is no topic `geometry`.") for line in lines)
    assert "Second" in text  # /lesson 2 still worked after the errors
    assert any(line.startswith("Unknown period `year`") for line in lines)
    assert any("not an IANA time zone" in line for line in lines)
    assert "Traceback" not in text


async def test_a_numeric_answer_that_is_not_a_number_can_be_retried(database: Database) -> None:
    services, _ = make_services(database, NOW)
    buffer = io.StringIO()
    out = Console(file=buffer, width=100, color_system=None)
    session = ConsoleSession(services, ME, out, interactive=False)
    session.pending = None
    await session.handle("/quiz algebra")
    assert session.pending is not None
    session.pending.item_id, session.pending.seed = "alg-number", 3
    await session.handle("two and a half")
    assert "not a number" in buffer.getvalue()
    assert session.pending is not None  # the question stays open
    await session.handle("2.5")
    assert "✅ Correct" in buffer.getvalue() and session.pending is None


async def test_buttons_are_shown_as_console_commands(database: Database) -> None:
    text = await drive(database, "/lesson first\n/quiz first\n")
    assert "Mark done: /done first · Quiz me on this: /quiz first" in text
    assert "Quiz · Algebra" in text and "alg-choice" in text  # the lesson's own question
