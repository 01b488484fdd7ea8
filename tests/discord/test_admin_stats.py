"""`/admin stats` end to end: the real bot and discord.py against the fake Discord.

The module's server starts empty (the first story sees that), then members study: one through
`/quiz` on the fake, and enough others through the services for the questions to be judged
(30 first answers each), among them a question that members who do well elsewhere get wrong.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.discord.admin import REFUSED
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef
from bot.services import Services
from bot.services.stats import NO_DATA
from tests.discord.conftest import START, Harness, answer_question
from tests.fakediscord.interactions import DEFERRED_CHANNEL_MESSAGE

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]

MEMBERS = 34
BACKWARDS = "np-stack-foundation"  # members n ≥ 15 answer it wrong: it discriminates backwards
THRESHOLDS = {"np-pandas-to-numpy": 8, "np-num-size": 14, "np-text-axis": 18, "np-out-shape": 22}


def given(question: Question, right: bool) -> str:
    """An answer as typed: a choice by its number as the member sees the choices."""
    if question.kind is Kind.CHOICE:
        wanted = (
            question.answer if right else next(c for c in question.choices if c != question.answer)
        )
        return str(question.choices.index(str(wanted)) + 1)
    if right:
        return question.expected_text
    return str(float(question.answer) + 7) if question.kind is Kind.NUMERIC else "not this"  # type: ignore[arg-type]


async def answer(services: Services, who: MemberRef, item_id: str, right: bool) -> None:
    now = services.ctx.clock.now()
    run = await services.ctx.store.start_run(who, "topic", "numpy", [(item_id, 1)], now)
    await services.quizzes.answer(
        who, run.id, 0, given(services.quizzes.shown(who, item_id, 1), right)
    )


async def test_stats_on_a_server_with_no_data_says_so(harness: Harness) -> None:
    reply = await harness.fake.slash("admin stats", user=harness.study.moderator)
    assert reply.type == DEFERRED_CHANNEL_MESSAGE and reply.ephemeral
    assert reply.title == "📊 Server stats"
    assert reply.embeds[0]["description"] == NO_DATA
    assert reply.files == [] and "image" not in reply.embeds[0]


async def test_stats_for_moderators_only(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    services = harness.app.services
    ada = harness.new_member("ada")
    quiz = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=ada)
    await answer_question(harness, quiz, ada)  # one member the real way
    for n in range(MEMBERS):
        harness.clock.set(START - timedelta(days=n % 4))
        who = MemberRef(study.guild.id, 9_000 + n, f"m{n}")
        for item_id, threshold in THRESHOLDS.items():
            await answer(services, who, item_id, right=n >= threshold)
        await answer(services, who, BACKWARDS, right=n < 15)
        if n % 2:
            await services.lessons.mark_done(who)
    harness.clock.set(START)

    plain = harness.new_member("plain")
    assert not fake.command_visible_to("admin", plain)
    refused = await fake.slash("admin stats", user=plain)
    assert refused.ephemeral and refused.content == REFUSED and refused.files == []

    reply = await fake.slash("admin stats", user=study.moderator)
    assert reply.type == DEFERRED_CHANNEL_MESSAGE and reply.ephemeral
    [embed] = reply.embeds
    assert embed["title"] == "📊 Server stats"
    assert f"**{MEMBERS + 1}** members have studied here" in embed["description"]
    [chart] = reply.files
    assert chart.filename == "activity.png" and chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert embed["image"]["url"] == "attachment://activity.png"
    assert chart.description is not None
    assert chart.description.startswith("Bar chart of active members per day")
    assert "20 Nov 8, 21 Nov 8, 22 Nov 9, 23 Nov 10." in chart.description  # ada on Monday

    fields = {f["name"]: f["value"] for f in embed["fields"]}
    [(name, flagged)] = [(k, v) for k, v in fields.items() if k.startswith("Questions to look")]
    assert name.endswith(" flagged)")
    first = flagged.splitlines()[:2]
    assert first[0].startswith(f"**{BACKWARDS}** — ")
    assert "negative discrimination" in first[1] and "check the answer key" in first[1]
    basics = next(v for k, v in fields.items() if k.startswith("Finished · "))
    assert basics.startswith(f"1. {harness.app.curriculum.lessons_in_order()[0].title[:29]}")
    assert f"**{MEMBERS // 2}**" in basics
    assert embed["footer"]["text"].endswith(f"studybot report --guild {study.guild.id}")
