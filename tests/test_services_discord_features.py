"""Reviews, the daily challenge, profiles and moderator setup, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import reload_curriculum
from bot.cards import UserError
from bot.curriculum.loader import load_curriculum
from bot.services.admin import AdminService, ContentProblems, SetupChanges
from bot.services.challenges import pick_daily
from bot.settings import ROOT, Settings
from bot.storage.db import Database
from bot.storage.models import XpEvent
from bot.storage.store import MemberRef
from tests.support import make_services

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
GUILD = 10**17
ADA = MemberRef(guild_id=GUILD, user_id=2**62 + 5, display_name="ada")
BOB = MemberRef(guild_id=GUILD, user_id=42, display_name="bob")
RIGHT = {"alg-choice": "2", "alg-number": "5/2", "alg-word": "vector"}
WRONG = {"alg-choice": "1", "alg-number": "3", "alg-word": "scalar"}


async def test_review_shows_missed_items_oldest_first_until_answered_right(
    database: Database,
) -> None:
    services, clock = make_services(database, START)
    nothing = await services.reviews.card(ADA)
    assert nothing.title == "Nothing to review" and nothing.ephemeral
    await services.quizzes.answer(ADA, "alg-number", 1, "3")  # wrong on Monday
    await services.quizzes.answer(ADA, "alg-choice", 1, "2")  # right: never reviewed
    assert (await services.reviews.card(ADA)).title == "Nothing to review"  # due tomorrow
    clock.advance(timedelta(days=1))
    await services.quizzes.answer(ADA, "alg-word", 1, "scalar")  # wrong on Tuesday
    card = await services.reviews.card(ADA)
    assert card.title == "Review 1 of 1 · Algebra"
    [action] = card.actions
    assert action.id.startswith("quiz:open:alg-number:")
    clock.advance(timedelta(days=1))
    card = await services.reviews.card(ADA)
    assert card.title == "Review 1 of 2 · Algebra" and "alg-number" in card.footer
    seed = int(card.actions[0].id.split(":")[3])
    assert seed != 1  # a new question, so the answer is recorded and pays again
    answered = await services.quizzes.answer(ADA, "alg-number", seed, "2.5")
    assert answered.title == "✅ Correct" and answered.footer.startswith("+15 XP")
    card = await services.reviews.card(ADA)
    assert card.title == "Review 1 of 1 · Algebra" and card.actions[0].id.startswith(
        "quiz:open:alg-word:"
    )
    # A wrong review answer sends the item back to tomorrow.
    seed = int(card.actions[0].id.split(":")[3])
    await services.quizzes.answer(ADA, "alg-word", seed, "matrix")
    assert (await services.reviews.card(ADA)).title == "Nothing to review"
    clock.advance(timedelta(days=1))
    again = await services.reviews.card(ADA)
    assert again.title == "Review 1 of 1 · Algebra" and "missed 2 times" in again.footer
    assert int(again.actions[0].id.split(":")[3]) != seed
    assert (await services.reviews.card(BOB)).title == "Nothing to review"


def test_daily_pick_depends_only_on_guild_and_day() -> None:
    items = ["b", "a", "c"]
    day = START.date()
    assert pick_daily(GUILD, day, items) == pick_daily(GUILD, day, list(reversed(items)))
    picks = {pick_daily(GUILD, day + timedelta(days=n), items) for n in range(10)}
    assert len(picks) == 10  # the seed changes every day, and so the question
    with pytest.raises(UserError):
        pick_daily(GUILD, day, [])


async def test_daily_challenge_is_one_per_guild_day_and_one_answer_each(
    database: Database,
) -> None:
    services, clock = make_services(database, START)
    other, _ = make_services(database, START, seed=99)  # another process, say
    racing = await asyncio.gather(*(s.challenges.today(GUILD) for s in (services, other) * 3))
    assert len({c.id for c in racing}) == 1
    challenge = racing[0]
    card = await services.challenges.card(ADA)
    assert card.title == f"📅 Daily challenge · {START.date().isoformat()}"
    assert card.footer.endswith("0 answers so far")
    assert all(a.id.startswith(f"daily:{a.id.split(':')[1]}:2026-11-23") for a in card.actions)

    solved = await services.challenges.answer(ADA, START.date(), RIGHT[challenge.item_id])
    assert solved.title == "✅ Challenge solved" and solved.ephemeral
    assert solved.body.startswith("+25 XP") and solved.footer.startswith("25 XP in all")
    with pytest.raises(UserError, match="already answered today's challenge"):
        await other.challenges.answer(ADA, START.date(), RIGHT[challenge.item_id])
    missed = await services.challenges.answer(BOB, START.date(), WRONG[challenge.item_id])
    assert missed.title == "❌ Not this time" and missed.footer.startswith("0 XP in all")
    assert (await services.challenges.card(ADA)).footer.endswith("2 answers so far")
    events = database.run_sync(
        lambda s: s.exec(select(XpEvent).where(XpEvent.reason == "challenge")).all()
    )
    assert [(e.user_id, e.ref, e.amount) for e in events] == [(ADA.user_id, str(challenge.id), 25)]
    streak = await services.progress.streak_card(BOB)
    assert streak.fields[0].value == "1 day"  # answering counts as studying, right or wrong

    clock.advance(timedelta(days=1))
    with pytest.raises(UserError, match="challenge of 2026-11-23; today's is on `/daily`"):
        await services.challenges.answer(ADA, START.date(), "1")
    tomorrow = await services.challenges.today(GUILD)
    assert tomorrow.id != challenge.id and tomorrow.day == START.date() + timedelta(days=1)


async def test_daily_challenge_day_follows_the_guild_zone(database: Database) -> None:
    late = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # already Tuesday at UTC+14
    services, _ = make_services(database, late)
    assert (await services.challenges.today(GUILD)).day.isoformat() == "2026-11-23"
    await services.admin.setup(GUILD, SetupChanges(timezone="Pacific/Kiritimati"))
    assert (await services.challenges.today(GUILD)).day.isoformat() == "2026-11-24"
    with pytest.raises(UserError, match="not an IANA time zone"):
        await services.admin.setup(GUILD, SetupChanges(timezone="Moon/Base"))


async def test_profile_sums_up_a_member(database: Database) -> None:
    services, _ = make_services(database, START)
    await services.progress.set_timezone(ADA, "Asia/Kolkata")
    await services.lessons.mark_done(ADA, "first")
    await services.quizzes.answer(ADA, "alg-choice", 1, "2")
    await services.quizzes.answer(ADA, "alg-number", 1, "3")
    card = await services.progress.profile_card(ADA)
    assert card.title == "👤 ada"
    assert {f.name: f.value for f in card.fields} == {
        "XP": "26",
        "Streak": "1 (best 1 day)",
        "Lessons": "1/3 done",
        "Quiz accuracy": "50% (1 of 2 right)",
        "Time zone": "Asia/Kolkata",
    }
    fresh = await services.progress.profile_card(BOB)
    assert {f.name: f.value for f in fresh.fields}["Quiz accuracy"] == "no answers yet"


async def test_setup_saves_only_what_is_given(database: Database) -> None:
    services, _ = make_services(database, START)
    shown = await services.admin.setup(GUILD)
    assert shown.title == "Server settings" and shown.fields[3].value == "UTC"
    assert await services.admin.moderator_role(GUILD) is None
    saved = await services.admin.setup(
        GUILD, SetupChanges(lesson_channel_id=11, moderator_role_id=77, timezone=" Europe/Berlin ")
    )
    assert saved.title == "Server settings saved" and saved.ephemeral
    values = {f.name: f.value for f in saved.fields}
    assert values["Lessons"] == "<#11>" and values["Time zone"] == "Europe/Berlin"
    assert values["Challenges"] == "not set" and values["Moderator role"] == "<@&77>"
    await services.admin.setup(GUILD, SetupChanges(leaderboard_channel_id=33))
    assert await services.admin.moderator_role(GUILD) == 77
    assert await services.admin.leaderboard_channel(GUILD) == 33
    settings = await services.ctx.store.guild_settings(GUILD)
    assert settings is not None and settings.lesson_channel_id == 11
    assert settings.timezone == "Europe/Berlin"


async def test_content_reload_keeps_the_old_content_on_errors(
    database: Database, tmp_path: Path
) -> None:
    content, quizzes = tmp_path / "content", tmp_path / "quizzes"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "quizzes", quizzes)
    settings = Settings(content_dir=content, quizzes_dir=quizzes)
    services, _ = make_services(database, START, load_curriculum(content, quizzes))
    admin = AdminService(services.ctx, partial(reload_curriculum, settings, services.ctx))
    before = services.ctx.curriculum
    done = await admin.reload_content()
    assert done.title == "Content reloaded" and "8 lessons" in done.body
    assert services.ctx.curriculum is not before

    loaded = services.ctx.curriculum
    broken = quizzes / "numpy.yaml"
    broken.write_text(broken.read_text().replace("difficulty: 1", "difficulty: 9", 1))
    with pytest.raises(ContentProblems) as caught:
        await admin.reload_content()
    lines = str(caught.value).splitlines()
    assert lines and all(line.startswith(f"{broken}:") for line in lines)
    assert ":" in lines[0].removeprefix(f"{broken}:")  # path:line: message
    assert services.ctx.curriculum is loaded
    with pytest.raises(UserError, match="not available"):
        await AdminService(services.ctx).reload_content()
