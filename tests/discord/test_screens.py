"""What members see in Discord, through the real bot and the fake: a quiz is one private
message that updates, lessons read as pages, answers sit on the buttons, /run is a code-help
card; and every main screen's payload is within Discord's limits."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest

from bot.adapters.discord.ids import MENU_ID, custom_id
from bot.intents import EditRun, LessonNotebook, LessonPage, MarkDone, OpenLesson, StartQuiz
from tests.discord.conftest import Harness, answer_question, menu_values
from tests.fakediscord import Reply, limits
from tests.fakediscord.interactions import MODAL, UPDATE_MESSAGE
from tests.fakediscord.models import EPHEMERAL, SEND_MESSAGES, walk_components

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]


def within_limits(reply: Reply) -> None:
    """The message as Discord stores it passes every limit Discord checks."""
    assert reply.message is not None
    payload: dict[str, Any] = {
        "content": reply.message.content or None,
        "embeds": reply.embeds,
        "components": reply.components,
        "flags": reply.flags,
    }
    assert limits.message_problems(payload, files=0, creating=True) == [], payload
    total = sum(
        len(e.get("title", ""))
        + len(e.get("description", ""))
        + len(e.get("footer", {}).get("text", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
        for e in reply.embeds
    )
    assert total <= 6000 and all(len(e.get("description", "")) <= 4096 for e in reply.embeds)
    rows = [c for c in walk_components(reply.components) if c["type"] == 1]
    assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
    for component in walk_components(reply.components):
        assert len(component.get("label", "")) <= 80
        assert len(component.get("custom_id", "")) <= 100
    for embed in reply.embeds:
        footer = embed.get("footer", {}).get("text", "")
        assert "`" not in footer and "**" not in footer  # chat shows no Markdown in footers


async def test_a_five_question_quiz_is_one_private_message(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("quiet")
    general = harness.study.general
    before = len(fake.channel_messages(general))
    reply = await fake.slash("quiz", {"topic": "numpy", "count": 5}, user=member)
    assert reply.ephemeral
    within_limits(reply)
    first = reply.message
    for _ in range(5):
        reply, _how = await answer_question(harness, reply, member, right=False)
        assert reply.type == UPDATE_MESSAGE and reply.message is not None
        assert reply.message.id == first.id
        within_limits(reply)
    _feedback, summary = reply.embeds
    assert summary["title"] == "🏁 Quiz done: 0 of 5 right"
    assert "**Missed:**" in summary["description"] and "/review" in summary["description"]
    line = f"🏁 {member.user.username} finished a NumPy quiz: 0/5"
    await fake.wait_until(lambda: len(fake.channel_messages(general)) > before, what="the line")
    [public] = fake.channel_messages(general)[before:]
    assert public.content == line and not public.flags & EPHEMERAL
    # The bot's own message, not a follow-up: a follow-up would read as a reply to a private
    # message that everyone else sees as missing.
    assert public.interaction_metadata is None and public.message_reference is None

    general.deny(fake.bot, SEND_MESSAGES)  # without Send Messages the follow-up carries it
    try:
        again = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
        done, _how = await answer_question(harness, again, member, right=False)
        carried = await done.followup(0)
        assert carried.content == line.replace("0/5", "0/1") and not carried.flags & EPHEMERAL
    finally:
        general.clear(fake.bot)
    before = len(fake.channel_messages(general))

    await fake.slash("admin setup", {"announce_quizzes": False}, user=harness.study.moderator)
    try:
        again = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
        done, _how = await answer_question(harness, again, member)
        assert done.embeds[1]["title"].startswith("🏁 Quiz done")
        assert fake.channel_messages(general)[before:] == []  # the server opted out
    finally:
        await fake.slash("admin setup", {"announce_quizzes": True}, user=harness.study.moderator)


async def test_wrong_answers_are_echoed_as_typed_and_stay_private(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("typist")
    for _ in range(15):  # a typed question
        reply = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
        opener = next((cid for cid in reply.custom_ids if cid.startswith("quiz:o:")), None)
        if opener:
            break
    assert opener is not None
    opened = await fake.click(reply, opener, user=member)
    assert opened.type == MODAL and opened.modal is not None
    answered = await fake.submit_modal(
        opened.modal["custom_id"], {"answer": "__init__ 1000.4219"}, user=member
    )
    assert answered.type == UPDATE_MESSAGE and answered.ephemeral
    description = answered.embeds[0]["description"]
    assert "__init__ 1000.4219" in description or r"\_\_init\_\_ 1000.4219" in description
    assert "**__init__" not in description  # escaped: it would render underlined


async def test_choice_buttons_carry_their_options(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("thumb")
    for _ in range(20):
        reply = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
        labels = [
            c["label"]
            for row in reply.components or []
            for c in row["components"]
            if c.get("custom_id", "").startswith("quiz:a:")
        ]
        if labels or menu_values(reply):
            break
    assert labels or menu_values(reply)
    if labels:
        assert [label[:4] for label in labels] == [
            f"{letter} · " for letter in "ABCD"[: len(labels)]
        ]
        assert all(len(label) <= 80 for label in labels)
    assert "Difficulty" not in [f["name"] for f in reply.embeds[0].get("fields", [])]
    assert reply.embeds[0]["description"].startswith("-# ★")


async def test_a_lesson_reads_as_pages_with_its_buttons_on_each(harness: Harness) -> None:
    fake, member, other = harness.fake, harness.new_member("reader"), harness.new_member("peek")
    lesson = max(harness.app.curriculum.lessons_in_order(), key=lambda x: len(x.body))
    pages = harness.app.services.lessons.chat_pages(lesson)
    assert len(pages) >= 2
    reply = await fake.slash("lesson", {"lesson": lesson.id}, user=member)
    assert not reply.ephemeral
    message_id = reply.message.id if reply.message else None
    for page in range(1, len(pages) + 1):
        within_limits(reply)
        intents = harness.intents(reply)
        assert MarkDone(lesson=lesson.id) in intents
        assert any(isinstance(i, StartQuiz) for i in intents)
        assert LessonNotebook(lesson=lesson.id) in intents
        assert f"{page} / {len(pages)}" in [
            c.get("label") for row in reply.components or [] for c in row["components"]
        ]
        assert "|---" not in reply.embeds[0]["description"]  # tables are shown as text
        if page < len(pages):
            turn = LessonPage(viewer=member.user.id, lesson=lesson.id, page=page + 1, via="next")
            reply = await fake.click(reply, custom_id(turn), user=member)
            assert reply.type == UPDATE_MESSAGE and reply.message is not None
            assert reply.message.id == message_id  # the same message, turned
    back = LessonPage(viewer=member.user.id, lesson=lesson.id, page=len(pages) - 1, via="prev")
    peeked = await fake.click(reply, custom_id(back), user=other)
    assert peeked.ephemeral and f"{len(pages) - 1} / {len(pages)}" in str(peeked.components)
    assert (await fake.click(reply, custom_id(back), user=member)).type == UPDATE_MESSAGE

    notebook = await fake.click(reply, custom_id(LessonNotebook(lesson=lesson.id)), user=other)
    assert notebook.ephemeral  # the presser's copy, not a post in the channel
    [attached] = notebook.files
    assert attached.filename == f"{lesson.id}.ipynb"
    nbformat.validate(nbformat.reads(attached.data.decode(), as_version=4))


async def test_the_roadmap_opens_lessons(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("walker")
    roadmap = await fake.slash("roadmap", user=member)
    within_limits(roadmap)
    assert OpenLesson() in harness.intents(roadmap)
    started = await fake.click(roadmap, custom_id(OpenLesson()), user=member)
    first = harness.app.curriculum.lessons_in_order()[0]
    assert started.ephemeral and started.embeds[0]["title"] == f"📖 {first.title}"
    third = harness.app.curriculum.lessons_in_order()[2]
    chosen = await fake.select(
        roadmap, MENU_ID, [custom_id(OpenLesson(lesson=third.id))], user=member
    )
    assert chosen.ephemeral and chosen.embeds[0]["title"] == f"📖 {third.title}"


async def test_run_is_a_code_help_card(harness: Harness) -> None:
    fake, coder = harness.fake, harness.new_member("debugger")
    failing = "a = 1\nb = 2\nc = 3\nd = 0\nprint(a / d)\n"
    reply = await fake.slash("run", {"code": failing}, user=coder)
    await reply.followup(0)
    within_limits(reply)
    assert reply.flags & limits.COMPONENTS_V2_FLAG and reply.embeds == []
    [card] = reply.components
    assert card["type"] == 17 and card["accent_color"] == 0xED4245  # one red container
    assert reply.title == "❌ ZeroDivisionError on line 5"
    assert "```python\na = 1\nb = 2" in reply.text
    assert "ZeroDivisionError: division by zero" in reply.text
    assert " | " not in reply.text  # no line numbers beside the traceback's own

    long = await fake.slash(
        "run", {"code": "for n in range(400):\n    print('line', n)"}, user=coder
    )
    await long.followup(0)
    within_limits(long)
    assert long.title.startswith("✅ Ran in ")
    assert "line 0" in long.text and "line 399" in long.text and "not shown" in long.text
    [attached] = [f for f in long.files if f.filename == "output.txt"]
    assert attached.data.decode().count("\n") == 400
    shown = [c for c in walk_components(long.components) if c["type"] == 13]  # a file component
    assert [c["file"]["url"] for c in shown] == ["attachment://output.txt"]

    plots = await fake.slash(
        "run",
        {
            "code": "import matplotlib.pyplot as plt\n"
            "for k in (1, 2, 3):\n    plt.figure(); plt.plot([x**k for x in range(5)])\n"
        },
        user=coder,
    )
    await plots.followup(0)
    within_limits(plots)
    [gallery] = [c for c in walk_components(plots.components) if c["type"] == 12]
    assert (
        len(gallery["items"]) == 3 == len([f for f in plots.files if f.filename.endswith(".png")])
    )
    assert all(item["description"].startswith("Plot ") for item in gallery["items"])  # alt text

    edit = next(i for i in harness.intents(reply) if isinstance(i, EditRun))
    assert edit.owner == coder.user.id
    refused = await fake.click(reply, custom_id(edit), user=harness.new_member("nosy"))
    assert refused.ephemeral and "start your own" in refused.content
    opened = await fake.click(reply, custom_id(edit), user=coder)
    assert opened.type == MODAL and opened.modal is not None
    field = opened.modal["components"][0]["components"][0]
    assert field["value"] == failing.rstrip("\n") or field["value"] == failing
    fixed = await fake.submit_modal(
        opened.modal["custom_id"], {"answer": failing.replace("d = 0", "d = 2")}, user=coder
    )
    await fixed.followup(0)
    assert fixed.title.startswith("✅ Ran in ") and "0.5" in fixed.text


async def test_the_leaderboard_and_daily_screens(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("ranked")
    quiz = await fake.slash("quiz", {"topic": "numpy", "count": 1}, user=member)
    await answer_question(harness, quiz, member)
    board = await fake.slash("leaderboard", {"period": "week"}, user=member)
    within_limits(board)
    assert f"<@{member.user.id}>" in board.text and "← you" in board.text
    daily = await fake.slash("daily", user=member)
    within_limits(daily)
    assert "so far" not in daily.text  # no count that is wrong a minute later
