"""Members' stories, end to end: the real bot and discord.py against the fake Discord.

Every command goes out as a real INTERACTION_CREATE on the gateway, every answer comes back as
real REST calls; the assertions are on what a member would see (embeds, buttons, files, flags)
and on what the fake recorded. Each test is one member (or moderator) doing one thing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

import pytest

from bot.adapters.discord.ids import custom_id
from bot.domain.values import MemberRef
from bot.domain.xp import DAILY_MAX_BONUS, quiz_xp
from bot.intents import AnswerChoice, DailyChoice, DailyOpen, MarkDone, OpenAnswer, StartQuiz
from tests.discord.conftest import Harness, answer_question, right_answer
from tests.fakediscord import Reply
from tests.fakediscord.interactions import DEFERRED_CHANNEL_MESSAGE, MODAL, UPDATE_MESSAGE
from tests.fakediscord.models import walk_components

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]


def field_value(embed: dict, name: str) -> str:
    return next(f["value"] for f in embed.get("fields", []) if f["name"] == name)


async def test_lesson_mark_done_quiz_streak_and_leaderboard(harness: Harness) -> None:
    fake, ada = harness.fake, harness.new_member("ada")
    first = harness.app.curriculum.lessons_in_order()[0]
    general = harness.study.general

    lesson = await fake.slash("lesson", user=ada)
    assert lesson.embeds[0]["title"] == f"📖 {first.title}" and not lesson.ephemeral
    assert MarkDone(lesson=first.id) in harness.intents(lesson)
    assert StartQuiz(lesson=first.id, count=min(5, len(first.quiz))) in harness.intents(lesson)
    assert lesson.latency is not None and lesson.latency < 3

    done = await fake.click(lesson, custom_id(MarkDone(lesson=first.id)), user=ada)
    assert done.embeds[0]["title"] == f"✅ {ada.user.username} finished {first.title}"
    assert "+20 XP" in done.text and not done.ephemeral  # the channel sees who finished

    public_before = len(fake.channel_messages(general))
    reply = await fake.slash("quiz", {"topic": "numpy", "count": 6}, user=ada)
    assert reply.ephemeral and reply.embeds[0]["title"] == "❓ NumPy"
    assert reply.embeds[0]["description"].startswith("-# ") and "question 1 of 6" in reply.text
    session = reply.message
    ways = []
    for number in range(1, 7):
        reply, how = await answer_question(harness, reply, ada)
        ways.append(how)
        assert reply.message is not None and reply.message.id == session.id  # edited in place
        feedback, following = reply.embeds
        assert feedback["title"] == "✅ Right", reply.text
        if number < 6:
            assert f"question {number + 1} of 6" in following["description"]
    assert following["title"] == "🏁 Quiz done: 6 of 6 right"
    assert harness.intents(reply) == [StartQuiz(topic="numpy", count=6)]
    assert {"button", "modal"} <= set(ways), ways
    await fake.wait_until(
        lambda: len(fake.channel_messages(general)) > public_before, what="the public line"
    )
    public = fake.channel_messages(general)[public_before:]
    assert [m.content for m in public] == [f"🏁 {ada.user.username} finished a NumPy quiz: 6/6"]

    streak = await fake.slash("streak", user=ada)
    assert field_value(streak.embeds[0], "Current") == "1 day"
    xp = int(field_value(streak.embeds[0], "XP"))
    assert xp > 20
    board = await fake.slash("leaderboard", {"period": "week"}, user=ada)
    assert board.embeds[0]["title"] == "🏆 Leaderboard — this week"
    assert f"<@{ada.user.id}> — **{xp} XP** ← you" in board.text  # a mention: Discord names it

    profile = await fake.slash("profile", {"member": ada}, user=harness.new_member("friend"))
    assert field_value(profile.embeds[0], "Lessons").startswith("1/")
    assert field_value(profile.embeds[0], "Quiz accuracy") == "100% (6 of 6 right)"
    [picture] = profile.files  # the study calendar and XP over time, with its alt text
    assert picture.filename == "profile.png" and picture.data.startswith(b"\x89PNG")
    assert picture.description is not None and "Study calendar" in picture.description


async def test_run_prints_plots_and_takes_a_modal(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("coder")
    printed = await fake.slash("run", {"code": "print(6*7)"}, user=member)
    assert printed.type == DEFERRED_CHANNEL_MESSAGE  # acknowledged first, answered when done
    assert "```\n42\n```" in printed.text and not printed.ephemeral
    assert printed.title.startswith("✅ Ran in ")
    assert "```python\nprint(6*7)\n```" in printed.text  # the code is shown
    [body] = [r.json for r in printed.requests if r.method == "POST" and "/webhooks/" in r.path]
    assert body["allowed_mentions"]["parse"] == []

    plot = await fake.slash(
        "run",
        {"code": "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nprint('drawn')"},
        user=member,
    )
    assert "drawn" in plot.text
    [png] = plot.files
    assert png.filename.endswith(".png") and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    [gallery] = [c for c in walk_components(plot.components) if c["type"] == 12]
    assert gallery["items"][0]["media"]["url"] == f"attachment://{png.filename}"

    opened = await fake.slash("run", user=member)
    assert opened.type == MODAL and opened.modal is not None
    lines = "for n in range(3):\n    print(n * n)"
    ran = await fake.submit_modal(opened.modal["custom_id"], {"answer": lines}, user=member)
    assert "```\n0\n1\n4\n```" in ran.text


async def test_run_code_context_menu(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("poster")
    general = harness.study.general
    message = await fake.post_message(
        general, member, "Why does this print 45?\n```python\nprint(sum(range(10)))\n```"
    )
    ran = await fake.context_menu_message("Run code", message, user=harness.new_member("helper"))
    assert "```\n45\n```" in ran.text
    chat = await fake.post_message(general, member, "no code here, @everyone")
    refused = await fake.context_menu_message("Run code", chat, user=member)
    assert refused.ephemeral and "no ```python code block" in refused.content


async def test_admin_is_for_moderators(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    plain = harness.new_member("plain")
    assert not fake.command_visible_to("admin", plain)  # hidden by default_member_permissions…
    refused = await fake.slash("admin leaderboard", user=plain)  # …and refused if shown anyway
    assert refused.ephemeral and "Manage Server permission or the moderator role" in refused.content
    assert fake.channel_messages(study.lessons) == []

    posted = await fake.slash(
        "admin leaderboard", {"period": "all", "channel": study.lessons}, user=study.moderator
    )
    assert posted.ephemeral and f"Posted the leaderboard in <#{study.lessons.id}>" in posted.text
    [board] = fake.channel_messages(study.lessons)
    assert board.embeds[0]["title"] == "🏆 Leaderboard — all time"

    mentor_role = study.guild.role("Mentor")
    mentor = harness.new_member("mentor", roles=(mentor_role,))
    assert (await fake.slash("admin setup", user=mentor)).ephemeral  # refused: not yet a role
    setup = await fake.slash(
        "admin setup",
        {"moderator_role": mentor_role, "leaderboards": study.general, "timezone": "UTC"},
        user=study.owner,
    )
    assert setup.embeds[0]["title"] == "Server settings saved" and setup.ephemeral
    assert field_value(setup.embeds[0], "Moderator role") == f"<@&{mentor_role.id}>"
    again = await fake.slash("admin leaderboard", user=mentor)
    assert f"<#{study.general.id}>" in again.text
    assert fake.channel_messages(study.general)[-1].embeds[0]["title"].endswith("this week")

    zones = await fake.autocomplete("admin setup", "timezone", "berl", user=study.owner)
    assert zones[0]["value"] == "Europe/Berlin"


async def test_content_reload_keeps_old_content_on_errors(harness: Harness) -> None:
    fake, moderator = harness.fake, harness.study.moderator
    quizzes = harness.settings.quizzes_dir
    numpy_bank = quizzes / "numpy.yaml"
    good = numpy_bank.read_text()
    ok = await fake.slash("admin content reload", user=moderator)
    assert ok.ephemeral and ok.embeds[0]["title"] == "Content reloaded"
    numpy_bank.write_text(good.replace("difficulty: 1", "difficulty: 9", 1))
    try:
        broken = await fake.slash("admin content reload", user=moderator)
    finally:
        numpy_bank.write_text(good)
    assert broken.ephemeral and "the old content stays in use" in broken.text
    assert f"{numpy_bank}:" in broken.text
    still = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=moderator)
    assert still.embeds[0]["title"] == "❓ NumPy"


async def test_timezone_is_checked_and_completed(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("traveller")
    bad = await fake.slash("timezone", {"zone": "Mars/Olympus"}, user=member)
    assert bad.ephemeral and "`Mars/Olympus` is not an IANA time zone" in bad.content
    good = await fake.slash("timezone", {"zone": "Asia/Kolkata"}, user=member)
    assert good.ephemeral and "Asia/Kolkata" in good.text
    choices = await fake.autocomplete("timezone", "zone", "kolk", user=member)
    assert [c["value"] for c in choices] == ["Asia/Kolkata"]
    assert len(await fake.autocomplete("timezone", "zone", "", user=member)) == 25
    assert (await fake.autocomplete("timezone", "zone", "new york", user=member))[0][
        "value"
    ] == "America/New_York"


async def test_lesson_autocomplete_and_unknown_lesson(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("reader")
    everything = await fake.autocomplete("lesson", "lesson", "", user=member)
    assert len(everything) == min(25, len(harness.app.curriculum.lessons))  # Discord's most
    gradient = await fake.autocomplete("lesson", "lesson", "slope of a", user=member)
    assert [c["value"] for c in gradient] == ["derivatives-and-gradient-descent"]
    number = harness.app.curriculum.lessons_in_order().index(
        harness.app.curriculum.lessons["derivatives-and-gradient-descent"]
    )
    assert gradient[0]["name"].startswith(f"{number + 1}. Derivatives")
    shown = await fake.slash("lesson", {"lesson": gradient[0]["value"]}, user=member)
    assert shown.embeds[0]["title"].startswith("📖 Derivatives")
    unknown = await fake.slash("lesson", {"lesson": "numpy-aray"}, user=member)
    assert unknown.ephemeral and "Did you mean `numpy-arrays`?" in unknown.content
    topics = await fake.autocomplete("quiz", "topic", "lin", user=member)
    assert [c["value"] for c in topics] == ["linear-algebra"]


async def test_daily_challenge_counts_once(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("daily")
    daily = await fake.slash("daily", user=member)
    assert daily.embeds[0]["title"] == "📅 Daily challenge · 2026-11-23"
    challenge, _count = await harness.app.services.challenges.today(harness.study.guild.id)
    question = harness.app.services.challenges.shown(challenge)
    given = right_answer(question)
    opener = DailyOpen(day=challenge.day)
    assert all(isinstance(i, DailyChoice | DailyOpen) for i in harness.intents(daily))

    async def answer() -> Reply:
        if opener in harness.intents(daily):
            opened = await fake.click(daily, custom_id(opener), user=member)
            assert opened.modal is not None
            return await fake.submit_modal(
                opened.modal["custom_id"], {"answer": given}, user=member
            )
        return await harness.press(daily, DailyChoice(day=challenge.day, choice=int(given)), member)

    first = await answer()
    assert first.ephemeral and first.embeds[0]["title"] == "✅ Challenge solved"
    second = await answer()
    assert second.ephemeral and "already answered today's challenge" in second.content
    paid = re.match(r"\+(\d+) XP", first.embeds[0]["description"])
    assert paid is not None and 30 <= int(paid[1]) <= 30 + DAILY_MAX_BONUS  # base + speed bonus
    profile = await fake.slash("profile", user=member)
    assert field_value(profile.embeds[0], "XP") == paid[1]


async def test_review_brings_back_a_missed_question(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("reviewer")
    quiz = await fake.slash("quiz", {"topic": "pandas", "count": 1}, user=member)
    missed, _intent = await harness.question(quiz, member)
    wrong, _how = await answer_question(harness, quiz, member, right=False)
    assert wrong.embeds[0]["title"] == "❌ Not quite"
    assert wrong.embeds[1]["title"] == "🏁 Quiz done: 0 of 1 right"

    nothing = await fake.slash("review", user=member)
    assert nothing.ephemeral and nothing.embeds[0]["title"] == "Nothing to review"
    harness.clock.advance(timedelta(days=1))
    review = await fake.slash("review", user=member)
    assert review.embeds[0]["title"].startswith("🔁 Review · ") and "review 1 of 1" in review.text
    assert missed.prompt in review.embeds[0]["description"]
    reviewed, _how = await answer_question(harness, review, member)
    assert [e["title"] for e in reviewed.embeds] == ["✅ Right", "🏁 Review done: 1 of 1 right"]
    assert (await fake.slash("review", user=member)).embeds[0]["title"] == "Nothing to review"


async def test_an_unexpected_error_is_logged_and_answered_briefly(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("the streak table caught fire")

    monkeypatch.setattr(harness.app.services.progress, "streak_card", broken)
    with caplog.at_level(logging.ERROR):
        reply = await harness.fake.slash("streak", user=harness.new_member("unlucky"))
    assert reply.ephemeral and reply.content == "Something went wrong; it has been logged."
    [record] = [r for r in caplog.records if r.exc_info]
    assert "/streak" in record.getMessage() and "caught fire" in str(record.exc_info[1])


async def test_buttons_and_modals_survive_a_restart(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("patient")
    lesson = await fake.slash("lesson", {"lesson": "vectors-and-matrices"}, user=member)
    quiz = await fake.slash("quiz", {"topic": "numpy", "count": 2}, user=member)
    typed = None
    for _ in range(10):  # a typed question, answered in a modal opened before the restart
        single = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
        opener = next((i for i in harness.intents(single) if isinstance(i, OpenAnswer)), None)
        if opener:
            question, _intent = await harness.question(single, member)
            typed = (await fake.click(single, custom_id(opener), user=member), question)
            break
    assert typed is not None, "no typed question in ten tries"

    await harness.restart()

    done = await fake.click(lesson, custom_id(MarkDone(lesson="vectors-and-matrices")), user=member)
    vectors = harness.app.curriculum.lessons["vectors-and-matrices"]
    assert done.embeds[0]["title"].endswith(f"finished {vectors.title}")
    answered, _how = await answer_question(harness, quiz, member)
    assert answered.embeds[0]["title"] == "✅ Right"
    assert "question 2 of 2" in answered.embeds[1]["description"]
    opened, question = typed
    assert opened.modal is not None
    submitted = await fake.submit_modal(
        opened.modal["custom_id"], {"answer": right_answer(question)}, user=member
    )
    assert [e["title"] for e in submitted.embeds] == ["✅ Right", "🏁 Quiz done: 1 of 1 right"]


async def test_only_the_member_who_started_a_quiz_can_answer_it(harness: Harness) -> None:
    """A quiz is private, but a forged press by another member is refused privately, and a
    double click (two presses before the message moves on) answers once: the second press is
    told the question is closed. Nothing is recorded twice or for anyone else."""
    fake = harness.fake
    ada, bob = harness.new_member("owner"), harness.new_member("snatcher")
    services = harness.app.services
    for _ in range(10):  # a choice question, so there is a button to press twice
        quiz = await fake.slash("quiz", {"topic": "numpy", "count": 2}, user=ada)
        question, first = await harness.question(quiz, ada)
        if isinstance(first, AnswerChoice):
            break
    assert isinstance(first, AnswerChoice) and first.owner == ada.user.id
    right = first.model_copy(update={"choice": int(right_answer(question))})

    refused = await harness.press(quiz, right, bob)
    assert refused.ephemeral
    assert refused.content == f"This is <@{ada.user.id}>'s question — start your own with /quiz."
    bob_ref = MemberRef(harness.study.guild.id, bob.user.id)
    assert (await services.ctx.store.member(bob_ref)).xp_total == 0
    run = await services.ctx.store.run(first.run)
    assert run is not None and run.step == 0  # the owner's run did not move

    ada_ref = MemberRef(harness.study.guild.id, ada.user.id)
    xp_before = (await services.ctx.store.member(ada_ref)).xp_total
    both = await asyncio.gather(harness.press(quiz, right, ada), harness.press(quiz, right, ada))
    moved = [r for r in both if r.type == UPDATE_MESSAGE]
    closed = [r for r in both if r.type != UPDATE_MESSAGE]
    assert len(moved) == 1 and moved[0].embeds[0]["title"] == "✅ Right"
    assert len(closed) == 1 and closed[0].ephemeral
    assert "This question is closed" in closed[0].content
    run = await services.ctx.store.run(first.run)
    assert run is not None and run.step == 1 and run.results == "1"
    gained = (await services.ctx.store.member(ada_ref)).xp_total - xp_before
    assert gained == quiz_xp(question.difficulty, True)  # once, not twice
