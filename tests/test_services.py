"""Every service on SQLite and on a real PostgreSQL (the `database` fixture runs both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cards import UserError
from bot.domain.streaks import rebuild
from bot.domain.values import MemberRef
from bot.intents import AnswerChoice, LessonNotebook, MarkDone, OpenAnswer, StartQuiz
from bot.services import Services
from bot.storage.db import Database
from tests.support import answer_item, make_services, one_question, typed

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
ADA = MemberRef(guild_id=10**17, user_id=2**62 + 5, display_name="ada")
BOB = MemberRef(guild_id=10**17, user_id=42, display_name="bob")
BERLIN = ZoneInfo("Europe/Berlin")
OTHER_GUILD = MemberRef(guild_id=99, user_id=2**62 + 5, display_name="ada elsewhere")


async def xp_of(services, who: MemberRef) -> int:  # type: ignore[no-untyped-def]
    return (await services.ctx.store.member(who)).xp_total


async def test_next_lesson_follows_roadmap_order_and_prerequisites(database: Database) -> None:
    services, _ = make_services(database, START)
    lessons = services.lessons
    assert (await lessons.next_lesson_for(ADA)).id == "first"  # type: ignore[union-attr]
    card = await lessons.show(ADA)
    assert card.title == "📖 First"
    assert [a.intent for a in card.actions] == [
        MarkDone(lesson="first"),
        StartQuiz(lesson="first", count=1),
        LessonNotebook(lesson="first"),
    ]
    done = await lessons.mark_done(ADA)
    assert done.title == "✅ ada finished First" and "+20 XP" in done.body
    assert await xp_of(services, ADA) == 20
    assert (await lessons.next_lesson_for(ADA)).id == "second"  # type: ignore[union-attr]
    # Prerequisites are advice: a later lesson opens with a note and can be marked done.
    third = await lessons.show(ADA, "third")
    assert third.body.startswith("*This lesson builds on **Second**")
    await lessons.mark_done(ADA, "third")
    assert (await lessons.next_lesson_for(ADA)).id == "second"  # type: ignore[union-attr]
    again = await lessons.mark_done(ADA, "first")
    assert again.title.startswith("Already done") and await xp_of(services, ADA) == 40
    roadmap = await lessons.roadmap(ADA)
    assert roadmap.footer == "2 of 3 lessons done"
    assert "▶️ 2. Second" in roadmap.fields[0].value
    assert "🔒" not in "".join(f.value for f in roadmap.fields)
    # Another guild is another world.
    assert (await lessons.next_lesson_for(OTHER_GUILD)).id == "first"  # type: ignore[union-attr]


async def test_unknown_lesson_is_a_user_error_with_a_suggestion(database: Database) -> None:
    services, _ = make_services(database, START)
    with pytest.raises(UserError, match="Did you mean `second`"):
        await services.lessons.show(ADA, "secnd")
    assert (await services.lessons.show(ADA, "3")).title == "📖 Third"


async def test_a_quiz_run_asks_grades_records_and_sums_up(database: Database) -> None:
    services, _ = make_services(database, START)
    step = await services.quizzes.start(ADA, topic="algebra", count=3)
    [question] = step.cards
    assert question.title == "❓ Algebra" and step.pending is not None
    assert question.body.startswith("-# ") and "question 1 of 3" in question.body.splitlines()[0]
    run = await services.ctx.store.run(step.pending.run)
    assert run is not None and len({item for item, _seed in run.plan}) == 3
    earned = 0
    for number, (item_id, seed) in enumerate(run.plan):
        assert step.pending is not None and step.pending.step == number
        right = number != 1  # the second one wrong
        text = typed(services, ADA, item_id, seed, _answer(item_id, right))
        step = await services.quizzes.answer(ADA, run.id, number, text)
        feedback = step.cards[0]
        assert feedback.title == ("✅ Right" if right else "❌ Not quite")
        gained = {"alg-choice": 10, "alg-number": 30, "alg-word": 20}[item_id] if right else 0
        earned += gained
        assert feedback.footer == f"+{gained} XP · {earned} XP in all"
        assert await xp_of(services, ADA) == earned
    summary = step.cards[1]
    assert step.pending is None
    assert summary.title == "🏁 Quiz done: 2 of 3 right"
    assert "**Missed:**" in summary.body and f"Prompt of {run.plan[1][0]}" in summary.body
    assert [a.intent for a in summary.actions] == [StartQuiz(topic="algebra", count=3)]


def _answer(item_id: str, right: bool) -> str:
    right_text = {"alg-choice": "four", "alg-number": "5/2", "alg-word": "Vector"}
    wrong_text = {"alg-choice": "three", "alg-number": "3", "alg-word": "scalar"}
    return (right_text if right else wrong_text)[item_id]


async def test_a_question_answers_once_and_its_buttons_belong_to_its_member(
    database: Database,
) -> None:
    services, _ = make_services(database, START)
    run = await one_question(services, ADA, "alg-choice", 3)
    card = services.quizzes.question_card(ADA, run)
    assert {type(a.intent) for a in card.actions} == {AnswerChoice}
    assert {a.intent.owner for a in card.actions} == {ADA.user_id}
    right = typed(services, ADA, "alg-choice", 3, "four")
    with pytest.raises(UserError, match="This is ada's question — start your own with /quiz"):
        await services.quizzes.answer(BOB, run.id, 0, right)
    assert await xp_of(services, BOB) == 0
    with pytest.raises(UserError, match="This is ada's question"):
        await services.quizzes.form(BOB, run.id, 0)
    step = await services.quizzes.answer(ADA, run.id, 0, right)
    assert step.cards[0].title == "✅ Right" and await xp_of(services, ADA) == 10
    with pytest.raises(UserError, match="This question is closed"):
        await services.quizzes.answer(ADA, run.id, 0, right)  # a double click
    with pytest.raises(UserError, match="no longer exists"):
        await services.quizzes.answer(ADA, run.id + 1000, 0, right)  # a forged run
    # The same question asked again (same item and seed) records nothing new.
    again = await answer_item(services, ADA, "alg-choice", 3)
    assert "no new XP" in again.cards[0].footer and await xp_of(services, ADA) == 10


async def test_typed_questions_open_a_form(database: Database) -> None:
    services, _ = make_services(database, START)
    run = await one_question(services, ADA, "alg-number", 1)
    [action] = services.quizzes.question_card(ADA, run).actions
    assert action.intent == OpenAnswer(owner=ADA.user_id, run=run.id, step=0)
    form = await services.quizzes.form(ADA, run.id, 0)
    assert form.label == "Your answer (a number)" and not form.multiline


async def test_choices_are_shuffled_per_member_and_stay_put(database: Database) -> None:
    services, _ = make_services(database, START)
    members = [MemberRef(1, n) for n in range(40)]
    orders = {services.quizzes.shown(m, "alg-choice", 1).choices for m in members}
    assert len(orders) > 1  # not everyone sees the author's order
    assert services.quizzes.shown(ADA, "alg-choice", 1) == services.quizzes.shown(
        ADA, "alg-choice", 1
    )
    firsts = {services.quizzes.shown(m, "alg-choice", 1).choices[0] for m in members}
    assert "four" in firsts and len(firsts) == 3


async def test_quiz_prefers_items_not_yet_answered(database: Database) -> None:
    services, _ = make_services(database, START)
    seen = []
    for _ in range(3):
        step = await services.quizzes.start(BOB, topic="algebra", count=1)
        assert step.pending is not None
        run = await services.ctx.store.run(step.pending.run)
        assert run is not None
        [(item_id, _seed)] = run.plan
        assert item_id not in seen
        seen.append(item_id)
        await services.quizzes.answer(BOB, run.id, 0, "1")
    assert set(seen) == {"alg-choice", "alg-number", "alg-word"}


async def test_wrong_and_unreadable_answers(database: Database) -> None:
    services, _ = make_services(database, START)
    run = await one_question(services, ADA, "alg-number", 1)
    with pytest.raises(UserError, match="not a number"):
        await services.quizzes.answer(ADA, run.id, 0, "two and a half")
    assert await xp_of(services, ADA) == 0  # nothing recorded, the question still open
    wrong = await services.quizzes.answer(ADA, run.id, 0, "3")
    assert wrong.cards[0].title == "❌ Not quite"
    assert "the answer is **2.5**" in wrong.cards[0].body
    assert await xp_of(services, ADA) == 0  # a wrong answer pays nothing
    decimal_comma = await answer_item(services, BOB, "alg-number", 2, right=True)
    assert decimal_comma.cards[0].title == "✅ Right"
    run = await one_question(services, BOB, "alg-number", 3)
    assert (await services.quizzes.answer(BOB, run.id, 0, "2,5")).cards[0].title == "✅ Right"
    with pytest.raises(UserError, match="no topic `geometry`"):
        await services.quizzes.start(ADA, topic="geometry")
    gone = await services.ctx.store.start_run(ADA, "topic", "x", [("gone", 1)], START)
    with pytest.raises(UserError, match="no longer in the quiz bank"):
        await services.quizzes.answer(ADA, gone.id, 0, "1")


async def test_concurrent_answers_lose_no_xp(database: Database) -> None:
    services, _ = make_services(database, START)
    runs = [await one_question(services, ADA, "alg-choice", seed) for seed in range(40)]
    replays = [await one_question(services, ADA, "alg-choice", seed) for seed in range(40)]

    async def answer(run_id: int, seed: int) -> object:
        return await services.quizzes.answer(
            ADA, run_id, 0, typed(services, ADA, "alg-choice", seed, "four")
        )

    # 40 different questions answered at once, each also answered in a second run.
    await asyncio.gather(*(answer(r.id, r.plan[0][1]) for r in runs + replays))
    assert await xp_of(services, ADA) == 40 * 10


async def study_day(services: Services, who: MemberRef, seed: int) -> None:
    """A qualifying day by answers alone: three quiz answers (docs/rules.md)."""
    for n in range(3):
        await answer_item(services, who, "alg-choice", seed * 10 + n)


async def test_streak_moves_with_the_member_day(database: Database) -> None:
    services, clock = make_services(database, START)
    await services.progress.set_timezone(ADA, "Pacific/Kiritimati")  # UTC+14
    for offset_hours in (0, 24, 48):
        clock.set(START + timedelta(hours=offset_hours))
        await study_day(services, ADA, offset_hours)
    streak = await services.progress.streak(ADA)
    assert (streak.current, streak.best, streak.studied_today) == (3, 3, True)
    card = await services.progress.streak_card(ADA)
    assert card.footer.startswith("Days are counted in Pacific/Kiritimati")
    clock.set(START + timedelta(days=2, hours=6))  # 05:00 the next local day
    at_risk = await services.progress.streak(ADA)
    assert (at_risk.current, at_risk.at_risk) == (3, True)
    assert "keep it" in (await services.progress.streak_card(ADA)).body
    clock.set(START + timedelta(days=5))  # two days missed, no freeze held
    assert (await services.progress.streak(ADA)).current == 0


async def test_streak_across_dst_in_the_guild_zone(database: Database) -> None:
    berlin_night = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin (CET)
    services, clock = make_services(database, berlin_night)
    await services.ctx.store.update_guild_settings(
        BOB.guild_id, {"timezone": "Europe/Berlin"}, berlin_night
    )
    for day in range(4):  # 23:30 local each night, across the spring-forward night
        clock.set(datetime(2026, 3, 27 + day, 23, 30, tzinfo=BERLIN))
        await study_day(services, BOB, 100 + day)
    streak = await services.progress.streak(BOB)
    view = await services.ctx.store.member(BOB)
    assert streak.current == 4 and view.guild_timezone == "Europe/Berlin"


async def test_timezone_is_validated_and_read_in_any_case(database: Database) -> None:
    services, _ = make_services(database, START)
    with pytest.raises(UserError, match="not an IANA time zone"):
        await services.progress.set_timezone(ADA, "Mars/Olympus")
    card = await services.progress.set_timezone(ADA, "asia/KOLKATA")
    assert "14:30" in card.body and "Asia/Kolkata" in card.body and card.ephemeral
    assert (await services.ctx.store.member(ADA)).timezone == "Asia/Kolkata"


async def test_a_session_keeps_the_zone_the_member_chose(database: Database) -> None:
    services, _ = make_services(database, START)
    assert await services.progress.settle_zone(ADA, None, "America/New_York") == "America/New_York"
    await services.progress.set_timezone(ADA, "Europe/Berlin")
    # The next session on a computer in another zone keeps Berlin.
    assert await services.progress.settle_zone(ADA, None, "Asia/Tokyo") == "Europe/Berlin"
    assert await services.progress.settle_zone(ADA, "utc", "Asia/Tokyo") == "UTC"
    with pytest.raises(UserError):
        await services.progress.settle_zone(ADA, "Nowhere/Land", "Asia/Tokyo")


async def test_leaderboard_week_and_all_time(database: Database) -> None:
    services, clock = make_services(database, START - timedelta(days=3))  # last week
    await services.lessons.mark_done(BOB, "first")  # 20 XP last week
    clock.set(START + timedelta(hours=1))
    await answer_item(services, ADA, "alg-number", 1)  # 30 XP this week
    clock.set(START + timedelta(hours=2))
    await answer_item(services, BOB, "alg-choice", 1)  # 10 XP this week
    await answer_item(services, OTHER_GUILD, "alg-number", 1)  # another guild
    week = await services.leaderboard.card(ADA.guild_id, "week")
    assert week.body.splitlines() == [f"🥇 <@{ADA.user_id}> — 30 XP", "🥈 <@42> — 10 XP"]
    assert dict(week.names) == {ADA.user_id: "ada", 42: "bob"}  # for a terminal's sake
    alltime = await services.leaderboard.card(ADA.guild_id, "all", viewer=BOB)
    assert alltime.body.splitlines() == [
        f"🥇 <@{ADA.user_id}> — 30 XP",  # equal XP: ada got there an hour earlier
        "🥈 <@42> — **30 XP** ← you",
    ]
    rolling = await services.leaderboard.card(ADA.guild_id, "rolling")
    assert rolling.body.splitlines() == [f"🥇 <@{ADA.user_id}> — 30 XP", "🥈 <@42> — 30 XP"]
    carol = MemberRef(guild_id=ADA.guild_id, user_id=7, display_name="carol")
    outside = await services.leaderboard.card(ADA.guild_id, "all", limit=1, viewer=BOB)
    assert outside.body.splitlines()[-1] == "**You:** #2 of 2 with 30 XP"
    assert "You:" not in (await services.leaderboard.card(ADA.guild_id, viewer=carol)).body
    empty = await services.leaderboard.card(12345, "month")
    assert "Nobody has earned XP" in empty.body
    with pytest.raises(UserError, match="Unknown period"):
        await services.leaderboard.card(ADA.guild_id, "decade")


async def test_quiz_without_topic_asks_about_lessons_studied(database: Database) -> None:
    services, _ = make_services(database, START)

    async def drawn(count: int) -> set[str]:
        step = await services.quizzes.start(ADA, count=count)
        assert step.pending is not None
        run = await services.ctx.store.run(step.pending.run)
        assert run is not None and run.kind == "studied"
        return {item for item, _seed in run.plan}

    assert await drawn(5) == {"alg-choice"}  # the first lesson's quiz, the one being studied
    await services.lessons.mark_done(ADA, "first")
    assert await drawn(5) == {"alg-choice", "alg-number"}  # one done, the second under way


async def test_streak_cache_is_the_rebuild_of_the_days(database: Database) -> None:
    """The cache in `members` moves with each counted day and equals a rebuild from the facts,
    also when a zone change brings back an earlier date."""
    services, clock = make_services(database, START)
    store = services.ctx.store

    async def cache() -> tuple[int, int, object]:
        facts = await store.streak(BOB, clock.now())
        return facts.state.current, facts.state.best, facts.state.last

    for day in (0, 1, 2, 4, 4, 5):  # three days, a gap, then two (one twice)
        clock.set(START + timedelta(days=day, hours=day == 4))
        await study_day(services, BOB, day)
    days = await store.activity_days(BOB)
    rebuilt, _events = rebuild(days)
    assert (
        await cache()
        == (rebuilt.current, rebuilt.best, rebuilt.last)
        == (
            2,
            3,
            (START + timedelta(5)).date(),
        )
    )
    assert await xp_of(services, BOB) == 5 * 3 * 10  # the replayed answers paid once
    await services.progress.set_timezone(BOB, "Pacific/Pago_Pago")  # UTC-11, from midnight
    clock.set(START + timedelta(days=5, hours=20))  # 05:00 UTC: day 5 again in Pago Pago
    await study_day(services, BOB, 60)
    assert (await cache())[0] == 2
    assert await store.rebuild_stats(clock.now(), BOB.guild_id) == 1
    assert (await cache())[0] == 2 and await xp_of(services, BOB) == 6 * 3 * 10
