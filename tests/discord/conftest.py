"""One fake Discord and one real Studybot per test module, built the way `studybot run` builds it.

Starting the bot (build_app on a temp SQLite, the gateway handshake, the command sync) and the
snippet runner's warm parent take a few seconds, so a module shares them; each test acts as its
own new member, and a test that restarts the bot leaves the new one for the tests after it.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord.bot import StudyBot
from bot.adapters.discord.ids import MENU_ID, custom_id, intent_of
from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef
from bot.intents import AnswerChoice, Intent, OpenAnswer
from bot.settings import ROOT, Settings, load_settings
from tests.fakediscord import FakeDiscord, FakeMember, Reply
from tests.fakediscord.fixtures import (
    GUILD_READY_TIMEOUT,
    StudyServer,
    fake_discord,
    seed_study_server,
    study_server,
)
from tests.fakediscord.models import SEND_MESSAGES, VIEW_CHANNEL

__all__ = ["fake_discord", "study_server"]  # the fake's own fixtures, for the CLI tests

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class Harness:
    fake: FakeDiscord
    study: StudyServer
    settings: Settings
    clock: FrozenClock
    app: App = field(init=False)
    bot: StudyBot = field(init=False)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _names: int = 0

    async def connect(self) -> None:
        self.app = build_app(self.settings, self.clock, random.Random(7))
        self.bot = StudyBot.from_settings(
            self.app.services, self.settings, guild_ready_timeout=GUILD_READY_TIMEOUT
        )
        await self._stack.enter_async_context(self.fake.connected(self.bot))

    async def close(self) -> None:
        await self._stack.aclose()
        await self.app.aclose()

    async def restart(self) -> None:
        """Stop the bot and its app (memory, runner, DB threads), then start anew on the same
        database and fake: only what Discord and the database keep survives."""
        await self.close()
        self._stack = AsyncExitStack()
        await self.connect()

    def new_member(self, prefix: str, *, roles: tuple[Any, ...] = ()) -> FakeMember:
        """A member nobody else's test has touched (their own XP, streak and answers)."""
        self._names += 1
        return self.study.guild.add_member(f"{prefix}{self._names}", roles=roles)

    def intents(self, reply: Reply) -> list[Intent]:
        """What the buttons (and a drop-down's options) on a message stand for, decoded by
        the adapter's own codec."""
        ids = [i for i in reply.custom_ids if i != MENU_ID] + menu_values(reply)
        decoded = [intent_of(custom_id) for custom_id in ids]
        assert all(i is not None for i in decoded), ids
        return [i for i in decoded if i is not None]

    async def question(self, reply: Reply, member: FakeMember) -> tuple[Question, Intent]:
        """The question on a message as `member` sees it, and its first answer intent."""
        answers = [i for i in self.intents(reply) if isinstance(i, AnswerChoice | OpenAnswer)]
        assert answers, f"no question on the message: {reply.custom_ids}"
        first = answers[0]
        assert isinstance(first, AnswerChoice | OpenAnswer)
        run = await self.app.services.ctx.store.run(first.run)
        assert run is not None
        item_id, seed = run.plan[first.step]
        who = MemberRef(self.study.guild.id, member.user.id)
        return self.app.services.quizzes.shown(who, item_id, seed), first

    async def press(self, reply: Reply, intent: Intent, member: FakeMember) -> Reply:
        """Press the button (or choose the drop-down option) that stands for `intent`."""
        chosen = custom_id(intent)
        if chosen in menu_values(reply):
            return await self.fake.select(reply, MENU_ID, [chosen], user=member)
        return await self.fake.click(reply, chosen, user=member)

    def fake_press(self, reply: Reply, intent: Intent, question: Question) -> str:
        """The custom_id of the right answer's button (or the form opener) on `reply`."""
        if isinstance(intent, AnswerChoice):
            return custom_id(intent.model_copy(update={"choice": int(right_answer(question))}))
        return custom_id(intent)


def menu_values(reply: Reply) -> list[str]:
    """The option values of the message's drop-downs (each an intent's id)."""
    values: list[str] = []

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            walk(component.get("components") or [])
            if component.get("type") == 3:
                values.extend(option["value"] for option in component.get("options") or [])

    walk(list(reply.components or []))
    return values


def right_answer(question: Question) -> str:
    if question.kind is Kind.CHOICE:
        return str(question.choices.index(str(question.answer)) + 1)
    return question.expected_text


def wrong_answer(question: Question) -> str:
    if question.kind is Kind.CHOICE:
        wrong = next(c for c in question.choices if c != question.answer)
        return str(question.choices.index(wrong) + 1)
    if question.kind is Kind.NUMERIC:
        return str(float(question.answer) + 1000)  # type: ignore[arg-type]
    return "certainly not this"


async def answer_question(
    harness: Harness, reply: Reply, member: FakeMember, *, right: bool = True
) -> tuple[Reply, str]:
    """Answer the question on `reply` as a member would: a button for a choice, else the
    "Answer" button and the modal it opens. Returns the answer's reply and how it was given."""
    question, first = await harness.question(reply, member)
    given = right_answer(question) if right else wrong_answer(question)
    if isinstance(first, AnswerChoice):
        chosen = custom_id(first.model_copy(update={"choice": int(given)}))
        if chosen in menu_values(reply):
            return await harness.fake.select(reply, MENU_ID, [chosen], user=member), "menu"
        return await harness.fake.click(reply, chosen, user=member), "button"
    opened = await harness.fake.click(reply, custom_id(first), user=member)
    assert opened.modal is not None, opened.describe()
    modal_id = opened.modal["custom_id"]
    return await harness.fake.submit_modal(modal_id, {"answer": given}, user=member), "modal"


@asynccontextmanager
async def running_harness(folder: Path, database_url: str | None = None) -> AsyncIterator[Harness]:
    """The fake, with a Mentor role (no permissions) besides the study server's own, and the
    bot connected to it through its settings (`STUDYBOT_DISCORD_*`), commands synced on start,
    on a SQLite file in `folder` unless another database is named."""
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    fake = FakeDiscord(timeout=30)
    study = seed_study_server(fake)
    study.guild.add_role("Mentor", VIEW_CHANNEL | SEND_MESSAGES)
    await fake.start()
    # A copy of the content, so the reload story can break a file without touching the repo.
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copytree(ROOT / "quizzes", folder / "quizzes")
    settings = load_settings(
        content_dir=folder / "content",
        quizzes_dir=folder / "quizzes",
        database_url=database_url or f"sqlite:///{folder / 'studybot.db'}",
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        sync_on_start=f"guild:{study.guild.id}",
        runner_url="",
    )
    clock = FrozenClock(START)
    harness = Harness(fake, study, settings, clock)
    try:
        await harness.connect()
        assert harness.app.runner is not None
        warm = asyncio.create_task(harness.app.runner.health())  # the runner starts meanwhile
        yield harness
        if not warm.done():
            warm.cancel()
    finally:
        await harness.close()
        await fake.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with running_harness(tmp_path_factory.mktemp("discord-e2e")) as started:
        yield started


@pytest.fixture(autouse=True)
def morning(harness: Harness) -> None:
    """Every story starts on Monday morning; a story that needs tomorrow moves the clock."""
    harness.clock.set(START)
