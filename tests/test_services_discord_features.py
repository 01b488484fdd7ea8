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
from bot.domain.values import MemberRef
from bot.services.admin import AdminService, ContentProblems, SetupChanges
from bot.settings import ROOT, Settings
from bot.storage.db import Database
from bot.storage.models import XpEvent
from tests.support import RIGHT_TEXT, WRONG_TEXT, answer_item, make_services, typed

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
GUILD = 10**17
ADA = MemberRef(guild_id=GUILD, user_id=2**62 + 5, display_name="ada")
BOB = MemberRef(guild_id=GUILD, user_id=42, display_name="bob")


async def test_review_serves_due_cards_most_overdue_first(database: Database) -> None:
    """FSRS-6 with one-day steps: a miss is due the next day, a first right answer in two,
    then the intervals grow; /review asks what is due, most overdue first."""
    services, clock = make_services(database, START)
    reviews = services.reviews

    async def session(who: MemberRef = ADA) -> tuple[str, list[tuple[str, int]]]:
        step = await reviews.start(who)
        if step.pending is None:
            return step.cards[0].title, []
        run = await services.ctx.store.run(step.pending.run)
        assert run is not None and run.kind == "review"
        return step.cards[0].title, list(run.plan)

    assert await session() == ("Nothing to review", [])
    await answer_item(services, ADA, "alg-number", 1, right=False)  # wrong on Monday
    await answer_item(services, ADA, "alg-choice", 1)  # right on Monday
    empty = await reviews.start(ADA)
    assert "next review is due **Tue 24 Nov, 09:00**" in empty.cards[0].body
    clock.advance(timedelta(days=1))
    await answer_item(services, ADA, "alg-word", 1, right=False)  # wrong on Tuesday
    title, plan = await session()
    assert title == "🔁 Review · Algebra" and [item for item, _ in plan] == ["alg-number"]
    clock.advance(timedelta(days=1))
    step = await reviews.start(ADA)
    assert step.pending is not None and step.cards[0].title == "🔁 Review · Algebra"
    assert "review 1 of 3" in step.cards[0].body.splitlines()[0]
    assert step.cards[0].footer.startswith("3 due today")
    run = await services.ctx.store.run(step.pending.run)
    assert run is not None
    assert [item for item, _ in run.plan] == ["alg-number", "alg-choice", "alg-word"]
    (_, number_seed), _choice, (_, word_seed) = run.plan
    assert number_seed != 1  # a new question, so the answer is recorded and pays again
    answered = await services.quizzes.answer(ADA, run.id, 0, "2.5")
    feedback, following = answered.cards
    assert feedback.title == "✅ Right" and feedback.footer.startswith("+5 XP")  # a review
    assert "review 2 of 3" in following.body.splitlines()[0]  # counts up, not what is left
    choice = typed(services, ADA, "alg-choice", run.plan[1][1], "four")
    await services.quizzes.answer(ADA, run.id, 1, choice)
    # A wrong review answer sends the item back to tomorrow; the session sums up.
    last = await services.quizzes.answer(ADA, run.id, 2, "matrix")
    assert last.cards[1].title == "🏁 Review done: 2 of 3 right" and last.pending is None
    assert (await session())[0] == "Nothing to review"
    clock.advance(timedelta(days=1))
    title, plan = await session()
    assert title == "🔁 Review · Algebra" and [item for item, _ in plan] == ["alg-word"]
    assert plan[0][1] != word_seed
    cards = dict(await services.ctx.store.memory_cards(ADA))
    # Right twice in a row: the second interval is longer than the first (2 days).
    assert cards["alg-choice"].due - cards["alg-choice"].last_review > timedelta(days=2)  # type: ignore[operator]
    assert (await session(BOB))[0] == "Nothing to review"


async def test_new_cards_come_from_finished_lessons_within_the_daily_allowance(
    database: Database,
) -> None:
    services, clock = make_services(database, START)
    await services.admin.setup(GUILD, SetupChanges(new_per_day=1))
    assert (await services.reviews.start(ADA)).cards[0].title == "Nothing to review"
    await services.lessons.mark_done(ADA, "first")  # its quiz: alg-choice
    await services.lessons.mark_done(ADA, "second")  # alg-number
    step = await services.reviews.start(ADA)
    assert step.pending is not None and "1 new" in step.cards[0].footer
    run = await services.ctx.store.run(step.pending.run)
    assert run is not None and [item for item, _ in run.plan] == ["alg-choice"]
    again = await services.reviews.start(ADA)  # today's one new card is still due
    run = await services.ctx.store.run(again.pending.run)  # type: ignore[union-attr]
    assert run is not None and [item for item, _ in run.plan] == ["alg-choice"]
    clock.advance(timedelta(days=1))
    tomorrow = await services.reviews.start(ADA)
    run = await services.ctx.store.run(tomorrow.pending.run)  # type: ignore[union-attr]
    assert run is not None and [item for item, _ in run.plan] == ["alg-choice", "alg-number"]


async def test_daily_challenge_is_one_per_guild_day_and_one_answer_each(
    database: Database,
) -> None:
    services, clock = make_services(database, START)
    other, _ = make_services(database, START, seed=99)  # another process, say
    racing = await asyncio.gather(*(s.challenges.today(GUILD) for s in (services, other) * 3))
    assert len({c.id for c, _count in racing}) == 1
    challenge, _count = racing[0]
    card = await services.challenges.card(ADA)
    assert card.title == f"📅 Daily challenge · {START.date().isoformat()}"
    assert "so far" not in card.footer  # a posted count would be wrong a minute later
    assert all(getattr(a.intent, "day", None) == START.date() for a in card.actions)
    assert {a.intent.owner for a in card.actions} == {None}  # anyone answers for themselves

    def typed_answer(text: str) -> str:
        question = services.challenges.shown(challenge)
        return str(question.choices.index(text) + 1) if text in question.choices else text

    right = typed_answer(RIGHT_TEXT[challenge.item_id])
    solved = await services.challenges.answer(ADA, START.date(), right)
    assert solved.title == "✅ Challenge solved" and solved.ephemeral
    # 30 XP and the whole speed bonus shrunk by the 9 hours of the day gone: 7 * 15 // 24.
    assert solved.body.startswith("+34 XP") and solved.footer.startswith("34 XP in all")
    with pytest.raises(UserError, match="already answered today's challenge"):
        await other.challenges.answer(ADA, START.date(), right)
    missed = await services.challenges.answer(
        BOB, START.date(), typed_answer(WRONG_TEXT[challenge.item_id])
    )
    assert missed.title == "❌ Not this time" and missed.footer.startswith("0 XP in all")
    assert await services.ctx.store.challenge_results(challenge.id) == (2, 1)
    events = database.run_sync(
        lambda s: s.exec(select(XpEvent).where(XpEvent.reason == "challenge")).all()
    )
    assert [(e.user_id, e.ref, e.amount) for e in events] == [(ADA.user_id, str(challenge.id), 34)]
    streak = await services.progress.streak(BOB)
    assert streak.current == 1  # answering the daily counts the day, right or wrong

    clock.advance(timedelta(days=1))
    with pytest.raises(UserError, match="challenge of 2026-11-23; today's is on `/daily`"):
        await services.challenges.answer(ADA, START.date(), "1")
    tomorrow, _count = await services.challenges.today(GUILD)
    assert tomorrow.id != challenge.id and tomorrow.day == START.date() + timedelta(days=1)


async def test_daily_challenge_day_follows_the_guild_zone(database: Database) -> None:
    late = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # already Tuesday at UTC+14
    services, _ = make_services(database, late)
    assert (await services.challenges.today(GUILD))[0].day.isoformat() == "2026-11-23"
    await services.admin.setup(GUILD, SetupChanges(timezone="Pacific/Kiritimati"))
    assert (await services.challenges.today(GUILD))[0].day.isoformat() == "2026-11-24"
    with pytest.raises(UserError, match="not an IANA time zone"):
        await services.admin.setup(GUILD, SetupChanges(timezone="Moon/Base"))


async def test_profile_sums_up_a_member(database: Database) -> None:
    services, _ = make_services(database, START)
    await services.progress.set_timezone(ADA, "Asia/Kolkata")
    await services.lessons.mark_done(ADA, "first")
    await answer_item(services, ADA, "alg-choice", 1)
    await answer_item(services, ADA, "alg-number", 1, right=False)
    card = await services.progress.profile_card(ADA)
    assert card.title == "👤 ada"
    assert {f.name: f.value for f in card.fields} == {
        "XP": "30",  # the lesson 20, a right answer 10 (difficulty 1), a wrong one nothing
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
    shipped = load_curriculum(content, quizzes)
    assert done.title == "Content reloaded"
    assert done.body.startswith(f"{len(shipped.lessons)} lessons in {len(shipped.tracks)} tracks")
    assert f"{len(shipped.exercises)} exercises" in done.body
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
