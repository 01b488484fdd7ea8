"""The console, driven by piped input: in-process on a frozen clock, and as a real subprocess."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from bot.adapters.console.render import command_for, render_card
from bot.adapters.console.session import ConsoleSession, PipeLines
from bot.cards import Action, Card
from bot.domain.values import MemberRef
from bot.intents import AnswerChoice, MarkDone, StartQuiz, StartReview
from bot.services import Services
from bot.storage.db import Database
from tests.support import WRONG_TEXT, make_services, typed

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ME = MemberRef(guild_id=1, user_id=7, display_name="ada")


def session_of(services: Services) -> tuple[ConsoleSession, io.StringIO]:
    buffer = io.StringIO()
    out = Console(file=buffer, width=100, color_system=None, highlight=False)
    return ConsoleSession(services, ME, out, interactive=False), buffer


async def drive(database: Database, script: str) -> str:
    services, _ = make_services(database, NOW)
    session, buffer = session_of(services)
    await session.run(PipeLines(io.StringIO(script)))
    return buffer.getvalue()


async def test_a_study_session_through_piped_input(database: Database) -> None:
    text = await drive(
        database,
        "/help\n/roadmap\n/lesson\n/done\n/quiz algebra 1\n/streak\n/leaderboard all\n/quit\n"
        "/help\n",
    )
    assert "/quiz [topic, lesson or number] [count]" in text
    assert "Next up: First" in text
    assert "Body of first." in text
    assert "✅ ada finished First" in text and "+20 XP" in text
    assert "❓ Algebra" in text and "question 1 of 1" in text
    assert "Current  1 day" in text
    assert "🥇 ada — 20 XP" in text
    assert text.count("Commands") == 1  # nothing runs after /quit
    assert "studybot>" not in text  # no prompt decorations without a terminal
    assert "\\" not in text  # no forced-break markers leak into the output


async def test_answers_by_choice_number_and_bad_input_keeps_the_session(
    database: Database,
) -> None:
    text = await drive(
        database,
        "/nonsense\n/lesson nowhere\n42\n/quiz geometry\n/lesson 2\n/leaderboard year\n"
        "/timezone Mars/Base\n/quiz algebra many\n/streak\n",
    )
    lines = text.splitlines()
    assert "Unknown command `/nonsense`. Type /help for the commands." in lines
    assert "There is no lesson `nowhere`. See /roadmap for lesson ids." in lines
    assert "There is no open question. Type /quiz for one, or /help." in lines
    assert any(line.startswith("There is no topic `geometry`.") for line in lines)
    assert "Second" in text  # /lesson 2 still worked after the errors
    assert any(line.startswith("Unknown period `year`") for line in lines)
    assert any("not an IANA time zone" in line for line in lines)
    assert "The count is a number of questions, e.g. `/quiz numpy 3`." in lines
    assert "Traceback" not in text


async def test_a_whole_quiz_run_with_retries_and_a_summary(database: Database) -> None:
    services, _ = make_services(database, NOW)
    session, buffer = session_of(services)
    await session.handle("/quiz 2 1")  # lesson number 2: its one question, alg-number
    assert session.pending is not None and session.pending.step == 0
    await session.handle("two and a half")
    assert "not a number" in buffer.getvalue()
    assert session.pending is not None and session.pending.step == 0  # still open
    await session.handle("2,5")
    out = buffer.getvalue()
    assert "✅ Right" in out and "🏁 Quiz done: 1 of 1 right" in out
    assert session.pending is None
    await session.handle("quiz algebra 3")  # without the slash: not understood as an answer
    assert "There is no open question" in buffer.getvalue()
    await session.handle("/quiz algebra 3")
    run = await services.ctx.store.run(session.pending.run)  # type: ignore[union-attr]
    assert run is not None
    for step, (item_id, seed) in enumerate(run.plan):
        assert session.pending is not None and session.pending.step == step
        await session.handle(typed(services, ME, item_id, seed, WRONG_TEXT[item_id]))
    assert "🏁 Quiz done: 0 of 3 right" in buffer.getvalue() and "Missed:" in buffer.getvalue()


async def test_review_daily_and_profile_in_the_console(database: Database) -> None:
    services, clock = make_services(database, NOW)
    session, buffer = session_of(services)
    await session.handle("/review")
    assert "Nothing to review" in buffer.getvalue()
    await session.handle("/quiz second 1")
    await session.handle("3")  # wrong: 2.5 is right
    clock.advance(timedelta(days=1))
    await session.handle("/review")
    assert "🔁 Review · Algebra" in buffer.getvalue() and "review 1 of 1" in buffer.getvalue()
    await session.handle("2.5")
    assert "🏁 Review done: 1 of 1 right" in buffer.getvalue()
    await session.handle("/daily")
    assert "📅 Daily challenge · 2026-11-24" in buffer.getvalue()
    assert session.daily is not None
    await session.handle("1")
    assert "Challenge solved" in buffer.getvalue() or "Not this time" in buffer.getvalue()
    await session.handle("/profile")
    assert "👤 ada" in buffer.getvalue() and "Quiz accuracy" in buffer.getvalue()


async def test_buttons_are_shown_as_console_commands(database: Database) -> None:
    text = await drive(database, "/lesson first\n/quiz first\n")
    assert "✅ Mark done: /done first · ❓ Quiz me on this: /quiz first 1" in text
    assert "❓ Algebra" in text and "Prompt of alg-choice" in text


def test_intents_become_the_commands_to_type() -> None:
    assert command_for(MarkDone(lesson="first")) == "/done first"
    assert command_for(StartQuiz(topic="numpy", count=3)) == "/quiz numpy 3"
    assert command_for(StartQuiz(count=5)) == "/quiz"
    assert command_for(StartReview()) == "/review"
    assert command_for(AnswerChoice(owner=1, run=2, step=0, choice=1)) is None


def test_line_breaks_show_without_markers() -> None:
    buffer = io.StringIO()
    out = Console(file=buffer, width=80, color_system=None)
    card = Card(
        title="t",
        body="First line\nsecond line\n\n1. one\n2. two\n- a\n- b",
        actions=(Action(MarkDone(lesson="x"), "Mark done"),),
    )
    out.print(render_card(card))
    text = buffer.getvalue()
    assert "\\" not in text
    assert "First line" in text and "second line" in text
    assert text.index("First line") < text.index("second line")
    assert text.splitlines()[1].strip("│ ").startswith("First line")
    assert "second line" not in text.splitlines()[1]
