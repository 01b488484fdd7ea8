"""Every service on SQLite and on a real PostgreSQL (the `database` fixture runs both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cards import UserError
from bot.storage.db import Database
from bot.storage.store import MemberRef
from tests.support import make_services

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ADA = MemberRef(guild_id=10**17, user_id=2**62 + 5, display_name="ada")
BOB = MemberRef(guild_id=10**17, user_id=42, display_name="bob")
BERLIN = ZoneInfo("Europe/Berlin")
OTHER_GUILD = MemberRef(guild_id=99, user_id=2**62 + 5, display_name="ada elsewhere")


async def test_next_lesson_follows_roadmap_order_and_prerequisites(database: Database) -> None:
    services, _ = make_services(database, START)
    lessons = services.lessons
    assert (await lessons.next_lesson_for(ADA)).id == "first"  # type: ignore[union-attr]
    card = await lessons.show(ADA)
    assert card.title == "First" and "lesson:done:first" in [a.id for a in card.actions]
    done = await lessons.mark_done(ADA)
    assert done.title == "Done: First" and "+20 XP" in done.body
    assert (await lessons.next_lesson_for(ADA)).id == "second"  # type: ignore[union-attr]
    # Marking a later lesson by name is allowed; the next one still respects prerequisites.
    await lessons.mark_done(ADA, "third")
    assert (await lessons.next_lesson_for(ADA)).id == "second"  # type: ignore[union-attr]
    again = await lessons.mark_done(ADA, "first")
    assert again.title.startswith("Already done") and again.footer == "40 XP in all"
    roadmap = await lessons.roadmap(ADA)
    assert roadmap.footer == "2 of 3 lessons done"
    assert "▶️ 2. Second" in roadmap.fields[0].value
    # Another guild is another world.
    assert (await lessons.next_lesson_for(OTHER_GUILD)).id == "first"  # type: ignore[union-attr]


async def test_unknown_lesson_is_a_user_error_with_a_suggestion(database: Database) -> None:
    services, _ = make_services(database, START)
    with pytest.raises(UserError, match="Did you mean `second`"):
        await services.lessons.show(ADA, "secnd")
    assert (await services.lessons.show(ADA, "3")).title == "Third"


async def test_quiz_grades_records_once_and_pays_xp(database: Database) -> None:
    services, _ = make_services(database, START)
    quizzes = services.quizzes
    asked = await quizzes.ask(ADA, topic="algebra")
    assert asked.item_id in {"alg-choice", "alg-number", "alg-word"}
    right = {"alg-choice": "2", "alg-number": "5/2", "alg-word": "Vector"}[asked.item_id]
    card = await quizzes.answer(ADA, asked.item_id, asked.seed, right)
    assert card.title == "✅ Correct"
    xp = int(card.footer.split("+")[1].split(" ")[0])
    assert xp in (5, 10, 15)
    replay = await quizzes.answer(ADA, asked.item_id, asked.seed, right)
    assert "no new XP" in replay.footer and replay.footer.endswith(f"{xp} XP in all")


async def test_quiz_prefers_items_not_yet_answered(database: Database) -> None:
    services, _ = make_services(database, START)
    seen = set()
    for _ in range(3):
        asked = await services.quizzes.ask(BOB, topic="algebra")
        assert asked.item_id not in seen
        seen.add(asked.item_id)
        await services.quizzes.answer(BOB, asked.item_id, asked.seed, "1")
    assert seen == {"alg-choice", "alg-number", "alg-word"}


async def test_wrong_and_unreadable_answers(database: Database) -> None:
    services, _ = make_services(database, START)
    with pytest.raises(UserError, match="not a number"):
        await services.quizzes.answer(ADA, "alg-number", 1, "two and a half")
    wrong = await services.quizzes.answer(ADA, "alg-number", 1, "3")
    assert wrong.title == "❌ Not quite" and "the answer is **2.5**" in wrong.body
    assert wrong.footer == "+1 XP · 1 XP in all"
    with pytest.raises(UserError, match="no topic `geometry`"):
        await services.quizzes.ask(ADA, topic="geometry")
    with pytest.raises(UserError, match="no longer in the quiz bank"):
        await services.quizzes.answer(ADA, "gone", 1, "1")


async def test_concurrent_answers_lose_no_xp(database: Database) -> None:
    services, _ = make_services(database, START)
    # 40 different questions (distinct seeds) answered at once, plus each answered twice.
    answers = [services.quizzes.answer(ADA, "alg-choice", seed, "2") for seed in range(40)]
    answers += [services.quizzes.answer(ADA, "alg-choice", seed, "2") for seed in range(40)]
    await asyncio.gather(*answers)
    card = await services.progress.streak_card(ADA)
    assert card.fields[2].value == str(40 * 5)


async def test_streak_moves_with_the_member_day(database: Database) -> None:
    services, clock = make_services(database, START)
    await services.progress.set_timezone(ADA, "Pacific/Kiritimati")  # UTC+14
    for offset_hours in (0, 24, 48):
        clock.set(START + timedelta(hours=offset_hours))
        await services.quizzes.answer(ADA, "alg-choice", offset_hours, "2")
    card = await services.progress.streak_card(ADA)
    assert [f.value for f in card.fields[:2]] == ["3 days", "3 days"]
    assert card.footer == "Days are counted in Pacific/Kiritimati"
    clock.set(START + timedelta(days=2, hours=6))  # 05:00 the next local day
    at_risk = await services.progress.streak_card(ADA)
    assert at_risk.fields[0].value == "3 days" and "keep your streak" in at_risk.body
    clock.set(START + timedelta(days=5))
    assert (await services.progress.streak_card(ADA)).fields[0].value == "0 days"


async def test_streak_across_dst_in_the_guild_zone(database: Database) -> None:
    berlin_night = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin (CET)
    services, clock = make_services(database, berlin_night)
    await services.ctx.store.update_guild_settings(
        BOB.guild_id, {"timezone": "Europe/Berlin"}, berlin_night
    )
    for day in range(4):  # 23:30 local each night, across the spring-forward night
        clock.set(datetime(2026, 3, 27 + day, 23, 30, tzinfo=BERLIN))
        await services.quizzes.answer(BOB, "alg-choice", 100 + day, "2")
    card = await services.progress.streak_card(BOB)
    assert card.fields[0].value == "4 days" and card.footer.endswith("Europe/Berlin")


async def test_timezone_is_validated(database: Database) -> None:
    services, _ = make_services(database, START)
    with pytest.raises(UserError, match="not an IANA time zone"):
        await services.progress.set_timezone(ADA, "Mars/Olympus")
    card = await services.progress.set_timezone(ADA, "Asia/Kolkata")
    assert "14:30" in card.body and card.ephemeral


async def test_leaderboard_week_and_all_time(database: Database) -> None:
    services, clock = make_services(database, START - timedelta(days=3))  # last week
    await services.lessons.mark_done(BOB, "first")  # 20 XP last week
    clock.set(START + timedelta(hours=1))
    await services.quizzes.answer(ADA, "alg-number", 1, "2.5")  # 15 XP this week
    await services.quizzes.answer(BOB, "alg-choice", 1, "2")  # 5 XP this week
    await services.quizzes.answer(OTHER_GUILD, "alg-number", 1, "2.5")  # another guild
    week = await services.leaderboard.card(ADA.guild_id, "week")
    assert week.body.splitlines() == ["🥇 ada — 15 XP", "🥈 bob — 5 XP"]
    alltime = await services.leaderboard.card(ADA.guild_id, "all")
    assert alltime.body.splitlines() == ["🥇 bob — 25 XP", "🥈 ada — 15 XP"]
    empty = await services.leaderboard.card(12345, "month")
    assert "Nobody has earned XP" in empty.body
    with pytest.raises(UserError, match="Unknown period"):
        await services.leaderboard.card(ADA.guild_id, "decade")


async def test_quiz_without_topic_asks_about_lessons_studied(database: Database) -> None:
    services, _ = make_services(database, START)
    asked = await services.quizzes.ask(ADA)
    assert asked.item_id == "alg-choice"  # the quiz of the first lesson, the one being studied
    await services.lessons.mark_done(ADA, "first")
    drawn = {(await services.quizzes.ask(ADA)).item_id for _ in range(12)}
    assert drawn == {"alg-choice", "alg-number"}  # lesson one done, lesson two under way


async def test_streak_cache_follows_the_activity_days(database: Database) -> None:
    """The cached streak in `members` (for leaderboards and rebuilds) matches the facts."""
    from sqlmodel import select

    from bot.storage.models import Member

    services, clock = make_services(database, START)
    for day in (0, 1, 2, 4, 4, 5):  # three days, a gap, then two (the same answer sent twice)
        clock.set(START + timedelta(days=day))
        await services.quizzes.answer(BOB, "alg-choice", 1000 + day, "2")
    member = database.run_sync(
        lambda s: s.exec(select(Member).where(Member.user_id == BOB.user_id)).one()
    )
    assert (member.streak_current, member.streak_best) == (2, 3)
    assert member.last_active_day == (START + timedelta(days=5)).date()
    assert member.xp_total == 5 * 5  # the replayed answer paid once
