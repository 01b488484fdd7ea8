"""A member's story through the real bot and the fake Discord, on a real PostgreSQL.

The same `build_app` as `studybot run`, pointed at a migrated PostgreSQL database: a lesson,
a quiz answered by button and by form, someone else's press refused, the leaderboard, a
restart, the daily challenge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
import pytest_asyncio

from bot.adapters.discord.ids import custom_id
from bot.domain.values import MemberRef
from bot.intents import MarkDone
from bot.storage import migrate
from tests.discord.conftest import Harness, answer_question, running_harness
from tests.pg import PostgresServer

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> AsyncIterator[Harness]:
    name = f"e2e_{uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    try:
        migrate.upgrade(url)
        async with running_harness(tmp_path_factory.mktemp("discord-pg"), url) as started:
            assert started.app.db.sqlite is False
            yield started
    finally:
        postgres_server.drop_database(name)


async def test_a_study_story_on_postgresql(harness: Harness) -> None:
    fake = harness.fake
    ada, bob = harness.new_member("ada"), harness.new_member("bob")
    first = harness.app.curriculum.lessons_in_order()[0]
    lesson = await fake.slash("lesson", user=ada)
    done = await fake.click(lesson, custom_id(MarkDone(lesson=first.id)), user=ada)
    assert done.embeds[0]["title"].endswith(f"finished {first.title}")

    quiz = await fake.slash("quiz", {"topic": "numpy", "count": 3}, user=ada)
    _question, intent = await harness.question(quiz, ada)
    refused = await harness.press(quiz, intent, bob)
    assert refused.ephemeral and refused.content.startswith(f"This is <@{ada.user.id}>'s")
    reply = quiz
    for _ in range(3):
        reply, _how = await answer_question(harness, reply, ada)
        assert reply.embeds[0]["title"] == "✅ Right"
    assert reply.embeds[1]["title"] == "🏁 Quiz done: 3 of 3 right"

    await harness.restart()  # the same PostgreSQL database, a new bot
    board = await fake.slash("leaderboard", {"period": "week"}, user=bob)
    xp = (
        await harness.app.services.ctx.store.member(MemberRef(harness.study.guild.id, ada.user.id))
    ).xp_total
    assert f"<@{ada.user.id}> — {xp} XP" in board.text and xp > 20
    again = await fake.click(lesson, custom_id(MarkDone(lesson=first.id)), user=ada)
    assert again.embeds[0]["title"].startswith("Already done")
