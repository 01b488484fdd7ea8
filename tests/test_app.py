"""The whole app, as `studybot console` builds it, on SQLite and on a real PostgreSQL.

Layers tested alone once hid a start-up crash on PostgreSQL; so here `build_app` builds the app
from settings exactly as the CLI does, and a console story runs through it on both databases,
then the real `studybot` process starts on PostgreSQL, migrated and not.
"""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot.adapters.console.session import ConsoleSession
from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef
from bot.settings import load_settings
from bot.storage import migrate
from tests.test_cli import studybot

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADA = MemberRef(guild_id=1, user_id=7, display_name="ada")


def right_answer(question: Question) -> str:
    if question.kind is Kind.CHOICE:
        return str(question.choices.index(str(question.answer)) + 1)
    return question.expected_text


class Story:
    """A console session on a built app, answering whatever it is asked correctly."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.buffer = io.StringIO()
        out = Console(file=self.buffer, width=100, color_system=None, highlight=False)
        self.session = ConsoleSession(app.services, ADA, out, interactive=False)

    async def say(self, *lines: str) -> str:
        start = len(self.buffer.getvalue())
        for line in lines:
            await self.session.handle(line)
        return self.buffer.getvalue()[start:]

    async def answer_all(self) -> str:
        """Answer the open run's questions right until it sums up."""
        said = ""
        while (pending := self.session.pending) is not None:
            run = await self.app.services.ctx.store.run(pending.run)
            assert run is not None
            question = self.app.services.quizzes.shown(ADA, *run.plan[pending.step])
            said += await self.say(right_answer(question))
        return said


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


async def test_a_console_story_on_each_database(db_url: str, clock: FrozenClock) -> None:
    app = build_app(load_settings(database_url=db_url, runner_url=""), clock, random.Random(3))
    try:
        story = Story(app)
        assert "lesson 1 of" in await story.say("/lesson")
        assert "+20 XP" in await story.say("/done")
        quiz = await story.say("/quiz 3 3")
        assert "question 1 of 3" in quiz
        summary = await story.answer_all()
        assert "🏁 Quiz done: 3 of 3 right" in summary
        fresh = await story.say("/review")  # new cards from the lesson just finished
        assert "🔁 Review" in fresh and "0 due today" in fresh and " new" in fresh
        assert "🏁 Review done" in await story.answer_all()
        assert "Nothing to review" in await story.say("/review")
        wrong = await story.say("/quiz 2 1")
        assert story.session.pending is not None
        run = await app.services.ctx.store.run(story.session.pending.run)
        assert run is not None and wrong
        question = app.services.quizzes.shown(ADA, *run.plan[0])
        bad = "1" if question.kind is Kind.CHOICE and right_answer(question) != "1" else "2"
        if question.kind is not Kind.CHOICE:
            bad = "certainly not this" if question.kind is not Kind.NUMERIC else "123456"
        assert "❌ Not quite" in await story.say(bad)
        clock.advance(timedelta(days=1))
        review = await story.say("/review")
        assert "🔁 Review" in review and "1 due today" in review  # the miss, a day later
        assert "review 1 of 3" in review and "2 new" in review  # the lesson's last new cards
        assert "🏁 Review done: 3 of 3 right" in await story.answer_all()
        daily = await story.say("/daily")
        assert "📅 Daily challenge · 2026-11-24" in daily
        challenge, _count = await app.services.challenges.today(ADA.guild_id)
        answered = await story.say(right_answer(app.services.challenges.shown(challenge)))
        assert "✅ Challenge solved" in answered
        profile = await story.say("/profile")
        assert "Lessons        1/" in profile and "Quiz accuracy  94% (16 of 17 right)" in profile
        streak = await story.say("/streak")
        assert "Current  2 days" in streak
        assert "Traceback" not in story.buffer.getvalue()
        assert "Something went wrong" not in story.buffer.getvalue()
    finally:
        await app.aclose()


def test_a_server_database_behind_head_is_refused_in_one_line(pg_url: str) -> None:
    with pytest.raises(migrate.MigrationError, match=r"run `studybot db upgrade` first$"):
        build_app(load_settings(database_url=pg_url, runner_url=""))
    migrate.upgrade(pg_url, "0001")
    with pytest.raises(migrate.MigrationError, match="is at revision 0001, the latest is"):
        build_app(load_settings(database_url=pg_url, runner_url=""))


def test_the_real_console_starts_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE_URL": pg_url}
    refused = studybot("console", stdin="/help\n", env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert line.endswith("run `studybot db upgrade` first")
    upgraded = studybot("db", "upgrade", env=env)
    assert upgraded.returncode == 0 and upgraded.stdout.strip() == f"at revision {migrate.heads()}"
    story = studybot(
        "console", "--user", "ada", stdin="/lesson\n/done\n/quiz 1 2\n/profile\n", env=env
    )
    assert story.returncode == 0, story.stderr
    assert "✅ ada finished" in story.stdout and "question 1 of 2" in story.stdout
    assert "👤 ada" in story.stdout
    assert "Traceback" not in story.stdout + story.stderr


def test_the_zone_set_in_a_session_stays_for_the_next(tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "TZ": "America/New_York"}
    first = studybot("console", "--user", "ada", stdin="/timezone Europe/Berlin\n/quit\n", env=env)
    assert first.returncode == 0 and "Your days now follow Europe/Berlin" in first.stdout
    second = studybot("console", "--user", "ada", stdin="/streak\n", env=env)
    assert "Days are counted in Europe/Berlin" in second.stdout
    moved = studybot(
        "console", "--user", "ada", "--timezone", "Asia/Tokyo", stdin="/streak\n", env=env
    )
    assert "Days are counted in Asia/Tokyo" in moved.stdout
    newcomer = studybot("console", "--user", "bob", "--timezone", "Nowhere/Land", env=env)
    assert newcomer.returncode == 2 and "not an IANA time zone" in newcomer.stderr


async def test_three_reviews_on_their_due_days_space_out(
    db_url: str, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A member answers a question right, then reviews it on each day it comes back: each
    right answer sends it further away (FSRS-6 at 0.9: 2, 11, 46, then 163 days)."""
    app = build_app(load_settings(database_url=db_url, runner_url=""), clock, random.Random(5))
    try:
        story = Story(app)
        transcript = [f"== {clock.now():%a %d %b %Y}", await story.say("/quiz numpy 1")]
        transcript.append(await story.answer_all())
        waits = [int(m) for m in re.findall(r"Back in `?/review`? in (\d+) day", transcript[-1])]
        for _round in range(3):
            cards = await app.services.ctx.store.memory_cards(ADA)
            [(_item, card)] = cards
            clock.set(card.due)  # the day it comes back
            transcript += [f"== {clock.now():%a %d %b %Y}", await story.say("/review")]
            transcript.append(await story.answer_all())
            waits += [int(m) for m in re.findall(r"review`? in (\d+) day", transcript[-1])]
        assert len(waits) == 4 and waits == sorted(waits) and len(set(waits)) == 4, waits
        with capsys.disabled():
            if db_url.startswith("sqlite"):
                print("\n" + "\n".join(transcript))
    finally:
        await app.aclose()
