"""Timed posts through the real bot and discord.py against the fake Discord, on an injected
clock: moderators set schedules, the dispatcher posts lessons (with a thread), challenges
(with the previous answer revealed under them) and a leaderboard message it edits; a broken
channel stops its schedule and tells the moderator once; reminders arrive as DMs.

The bot's own APScheduler runs on real time, so this module stops it and moves the dispatcher
itself (`tick`, `catch_up`, `remind`): the same calls its jobs make.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.discord.ids import custom_id
from bot.domain.values import MemberRef
from bot.intents import MarkDone, MyRank
from bot.scheduling.dispatcher import Dispatcher
from tests.discord.conftest import Harness
from tests.fakediscord.models import SEND_MESSAGES

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


async def dispatcher_of(harness: Harness) -> Dispatcher:
    dispatcher = harness.bot.dispatcher
    assert dispatcher is not None
    await dispatcher.stop()  # real-time jobs off: this module moves the clock itself
    return dispatcher


async def test_moderators_set_schedules_and_bad_input_saves_nothing(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    moderator = study.moderator
    general = study.general
    general.deny(harness.fake.bot, SEND_MESSAGES)
    try:
        closed = await fake.slash(
            "admin schedule challenge", {"channel": general, "time": "09:00"}, user=moderator
        )
    finally:
        general.clear(harness.fake.bot)
    assert closed.ephemeral and f"I cannot post in <#{general.id}>" in closed.content
    late = await fake.slash(
        "admin schedule lessons",
        {"channel": study.lessons, "time": "25:00", "days": "weekdays"},
        user=moderator,
    )
    assert late.ephemeral and late.content.startswith("`25:00` is not a time")
    odd = await fake.slash(
        "admin schedule lessons",
        {"channel": study.lessons, "time": "08:00", "days": "mon,funday"},
        user=moderator,
    )
    assert odd.ephemeral and "`funday` is not a day" in odd.content
    shown = await fake.slash("admin schedule show", user=moderator)
    assert shown.ephemeral and "Nothing is scheduled yet" in shown.text
    refused = await fake.slash("admin schedule show", user=harness.new_member("curious"))
    assert refused.ephemeral and "Manage Server permission or the moderator role" in refused.content


async def test_a_scheduled_week_posts_each_thing_once(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    dispatcher = await dispatcher_of(harness)
    moderator = study.moderator
    harness.clock.set(MONDAY)
    saved = await fake.slash(
        "admin schedule lessons",
        {"channel": study.lessons, "time": "08:00", "days": "weekdays"},
        user=moderator,
    )
    assert saved.ephemeral and saved.embeds[0]["title"] == "🗓️ Schedule saved"
    assert "<t:" in saved.text and "times are UTC" in saved.text
    await fake.slash(
        "admin schedule challenge", {"channel": study.general, "time": "09:00"}, user=moderator
    )
    await fake.slash(
        "admin schedule leaderboard",
        {"channel": study.general, "day": "daily", "time": "18:00", "period": "week"},
        user=moderator,
    )
    before_lessons = len(fake.channel_messages(study.lessons))
    before_general = len(fake.channel_messages(study.general))
    await dispatcher.tick(MONDAY, MONDAY + timedelta(days=2))  # Monday and Tuesday
    await dispatcher.tick(MONDAY, MONDAY + timedelta(days=2))  # again: nothing more
    lessons = fake.channel_messages(study.lessons)[before_lessons:]
    ordered = harness.app.curriculum.lessons_in_order()
    assert [m.embeds[0]["title"] for m in lessons] == [
        f"📖 {ordered[0].title}",
        f"📖 {ordered[1].title}",
    ]
    [thread] = [t for t in fake.threads_of(study.lessons) if t.name.endswith(ordered[0].title)]
    pages = [m for m in fake.channel_messages(thread) if m.embeds]  # not the starter
    assert pages and all(len(p.embeds[0].get("description", "")) <= 4096 for p in pages)

    general = fake.channel_messages(study.general)[before_general:]
    titles = [m.embeds[0]["title"] for m in general]
    assert titles.count("📅 Daily challenge · 2026-11-23") == 1
    assert titles.count("📅 Daily challenge · 2026-11-24") == 1
    [reveal] = [m for m in general if m.embeds[0]["title"].startswith("🔓")]
    monday = next(m for m in general if m.embeds[0]["title"].endswith("2026-11-23"))
    assert reveal.reply_to is not None and reveal.reply_to.id == monday.id
    assert "||" in reveal.embeds[0]["description"]
    boards = [m for m in general if m.embeds[0]["title"] == "🏆 Leaderboard — this week"]
    assert len(boards) == 1  # Monday's message, edited on Tuesday
    assert boards[0].edits >= 1

    member = harness.new_member("reader")
    done = await fake.click(lessons[0], custom_id(MarkDone(lesson=ordered[0].id)), user=member)
    assert done.embeds[0]["title"].endswith(f"finished {ordered[0].title}")
    rank = await fake.click(boards[0], custom_id(MyRank(period="week")), user=member)
    assert rank.ephemeral and rank.embeds[0]["title"] == "🏆 Your rank"
    assert "You are **#" in rank.text


async def test_a_lost_channel_stops_its_schedule_and_tells_the_moderator_once(
    harness: Harness,
) -> None:
    fake, study = harness.fake, harness.study
    dispatcher = await dispatcher_of(harness)
    moderator = study.moderator
    doomed = study.lessons
    harness.clock.set(MONDAY + timedelta(days=3))
    await fake.slash(
        "admin schedule lessons",
        {"channel": doomed, "time": "08:00", "days": "daily"},
        user=moderator,
    )
    before = len(fake.channel_messages(doomed))
    doomed.deny(fake.bot, SEND_MESSAGES)  # the bot loses the permission
    await fake.settle()
    harness.clock.set(MONDAY + timedelta(days=4, hours=8, minutes=1))
    try:
        await dispatcher.catch_up()
        await dispatcher.catch_up()
    finally:
        doomed.clear(fake.bot)
    told = [m for m in fake.dm_messages(moderator) if "switched off" in m.content]
    assert len(told) == 1 and "lessons schedule" in told[0].content
    shown = await fake.slash("admin schedule show", user=moderator)
    assert "⚠️ off: cannot post in" in shown.text
    assert len(fake.channel_messages(doomed)) == before


async def test_reminders_arrive_once_and_a_closed_inbox_turns_them_off(harness: Harness) -> None:
    fake = harness.fake
    dispatcher = await dispatcher_of(harness)
    keen, private = harness.new_member("keen"), harness.new_member("private")
    for member in (keen, private):
        answer = await fake.slash("remind", {"switch": "on"}, user=member)
        assert answer.ephemeral and answer.embeds[0]["title"] == "🔔 Reminders on"
    private.user.dms_closed = True
    harness.clock.set(datetime(2026, 11, 30, 20, 5, tzinfo=UTC))  # 20:05 UTC, nothing studied
    await dispatcher.remind()
    await dispatcher.remind()
    assert len(fake.dm_messages(keen)) == 1
    assert fake.dm_messages(keen)[0].embeds[0]["title"] == "🔥 Your streak is waiting"
    targets = await harness.app.services.ctx.store.timed.reminder_targets(harness.clock.now())
    guild = harness.study.guild.id
    assert MemberRef(guild, private.user.id).user_id not in {t.user_id for t in targets}
