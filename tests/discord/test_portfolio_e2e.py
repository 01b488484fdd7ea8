"""The portfolio board end to end: the real bot and discord.py against the fake Discord.

One member submits a project through the modal, a second reviews it through the radio-group
modal, the author marks the review helpful (the reviewer is paid once), and everyone else's
presses and the bad inputs are refused privately with nothing saved. Then a moderator's weekly
showcase posts the project in the channel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.adapters.discord.ids import custom_id, intent_of
from bot.domain.portfolio import XP_HELPFUL_REVIEW
from bot.domain.values import MemberRef
from bot.intents import Intent
from bot.services.portfolio import EditProject, MarkHelpful, RateProject, ReviewProject
from tests.discord.conftest import Harness
from tests.fakediscord import Reply
from tests.fakediscord.interactions import MODAL
from tests.fakediscord.models import FakeMessage, walk_components

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]

PROJECT = {
    "title": "Bus delays in Leeds",
    "problem": "Commuters cannot tell which buses will be late. @everyone <@&1> should know.",
    "data": "Two years of GTFS-realtime feeds, cleaned of duplicate pings.",
    "link": "https://github.com/ada/bus-delays",
    "evaluation": "MAE 2.1 min against 3.4 for the timetable; fails on match days.",
}
MARKS = {"problem": "4", "end_to_end": "3", "evaluation": "2", "code": "3"}


def intents_on(message: FakeMessage | Reply) -> list[Intent]:
    ids = [c["custom_id"] for c in walk_components(message.components) if "custom_id" in c]
    return [i for i in (intent_of(x) for x in ids) if i is not None]


def mentions_allowed(reply: Reply) -> list[Any]:
    """What each message the bot sent for `reply` let Discord ping (a callback's is in data)."""
    bodies = [r.json for r in reply.requests if r.method in ("POST", "PATCH") and r.json]
    messages = [b.get("data", b) for b in bodies]
    return [m.get("allowed_mentions") for m in messages if "embeds" in m or "content" in m]


async def xp_of(harness: Harness, member: Any) -> int:
    who = MemberRef(harness.study.guild.id, member.user.id)
    return (await harness.app.services.ctx.store.member(who)).xp_total


async def test_a_submission_reviewed_by_a_second_member(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    portfolio = harness.app.services.portfolio
    ada, bob = harness.new_member("author"), harness.new_member("reviewer")
    cy = harness.new_member("bystander")
    guild = study.guild.id

    # Ada submits through the form; a link that is not http(s) saves nothing.
    opened = await fake.slash("portfolio submit", user=ada)
    assert opened.type == MODAL and opened.modal is not None
    inputs = [c for c in walk_components(opened.modal["components"]) if c["type"] == 4]
    assert [c["custom_id"] for c in inputs] == ["title", "problem", "data", "link", "evaluation"]
    assert [c["max_length"] for c in inputs] == [100, 1000, 1000, 300, 1000]
    form_id = opened.modal["custom_id"]
    assert intent_of(form_id) is None  # the form's id is not a button's
    refused = await fake.submit_modal(form_id, {**PROJECT, "link": "ftp://ada.dev/x"}, user=ada)
    assert refused.ephemeral
    assert refused.content == "The link must be an http:// or https:// address."
    assert await portfolio.store.count_of(MemberRef(guild, ada.user.id)) == 0

    saved = await fake.submit_modal(form_id, PROJECT, user=ada)
    assert saved.ephemeral and saved.embeds[0]["title"] == "✅ Bus delays in Leeds"
    assert "@everyone" not in saved.text and "<@&" not in saved.text
    assert "＠everyone @role should know" in saved.text
    assert mentions_allowed(saved) == [{"parse": []}]
    [board] = await portfolio.store.boards_of(guild, ada.user.id)
    project_id = board.project.id

    # Bob is given it to review; Cy pressing Bob's button is refused.
    given = await fake.slash("portfolio review", user=bob)
    assert given.ephemeral and given.embeds[0]["title"] == "📝 Review: Bus delays in Leeds"
    rate = RateProject(owner=bob.user.id, project=project_id)
    assert intents_on(given) == [rate]
    snatched = await fake.click(given, custom_id(rate), user=cy)
    assert snatched.ephemeral and snatched.content == (
        f"This project was given to <@{bob.user.id}> to review; get your own with "
        "/portfolio review."
    )

    form = await fake.click(given, custom_id(rate), user=bob)
    assert form.type == MODAL and form.modal is not None
    radios = [c for c in walk_components(form.modal["components"]) if c["type"] == 21]
    assert [r["custom_id"] for r in radios] == ["problem", "end_to_end", "evaluation", "code"]
    assert [o["value"] for o in radios[0]["options"]] == ["1", "2", "3", "4"]
    assert radios[0]["options"][0]["label"].startswith("1 — A textbook dataset")
    before = len(fake.channel_messages(study.general))
    reviewed = await fake.submit_modal(
        form.modal["custom_id"],
        {**MARKS, "comment": "Clear problem. Add a naive baseline; say why match days fail."},
        user=bob,
    )
    assert reviewed.ephemeral
    assert reviewed.embeds[0]["title"] == "✅ Review saved: Bus delays in Leeds"
    await fake.wait_until(
        lambda: len(fake.channel_messages(study.general)) > before, what="the review notice"
    )
    [notice] = fake.channel_messages(study.general)[before:]
    assert notice.embeds[0]["title"] == "📝 New review: Bus delays in Leeds"
    assert [(f["name"], f["value"]) for f in notice.embeds[0]["fields"][:4]] == [
        ("Real problem", "4/4"),
        ("End to end", "3/4"),
        ("Honest evaluation", "2/4"),
        ("Clean code", "3/4"),
    ]
    [helpful] = intents_on(notice)
    assert isinstance(helpful, MarkHelpful) and helpful.owner == ada.user.id

    # Only Ada may mark it helpful; Bob is paid once, however often she presses.
    for other in (cy, bob):
        no = await fake.click(notice, custom_id(helpful), user=other)
        assert no.ephemeral and no.content == (
            f"Only <@{ada.user.id}>, the project's author, can mark this review helpful."
        )
    assert await xp_of(harness, bob) == 0
    marked = await fake.click(notice, custom_id(helpful), user=ada)
    assert marked.ephemeral and marked.embeds[0]["title"] == "👍 Marked helpful"
    assert f"+{XP_HELPFUL_REVIEW} XP" in marked.text
    assert await xp_of(harness, bob) == XP_HELPFUL_REVIEW
    again = await fake.click(notice, custom_id(helpful), user=ada)
    assert again.ephemeral and again.content == "You have already marked this review helpful."
    assert await xp_of(harness, bob) == XP_HELPFUL_REVIEW

    # Ada's board, as Bob sees it: a Review button that refuses Ada (her own) and Bob (again).
    shown = await fake.slash("portfolio show", {"member": ada}, user=bob)
    assert not shown.ephemeral
    assert shown.embeds[0]["title"] == f"🗂️ {ada.user.username}'s portfolio"
    assert "1 review · real problem 4.0 · end to end 3.0" in shown.text
    review_it = ReviewProject(project=project_id)
    assert intents_on(shown) == [review_it]
    own = await fake.click(shown, custom_id(review_it), user=ada)
    assert own.ephemeral and own.content == "You cannot review your own project."
    twice = await fake.click(shown, custom_id(review_it), user=bob)
    assert twice.ephemeral and twice.content == "You have already reviewed this project."
    [board] = await portfolio.store.boards_of(guild, ada.user.id)
    assert board.summary.reviews == 1  # nothing more was saved

    # Ada's own view: Edit, and her reviews with the helpful mark.
    mine = await fake.slash("portfolio show", user=ada)
    assert [e["title"] for e in mine.embeds] == [
        f"🗂️ {ada.user.username}'s portfolio",
        "💬 Reviews of your projects",
    ]
    assert "👍 helpful" in mine.text
    assert intents_on(mine) == [EditProject(owner=ada.user.id, project=project_id)]


async def test_edit_the_cap_and_someone_elses_edit_button(harness: Harness) -> None:
    fake = harness.fake
    ada, cy = harness.new_member("writer"), harness.new_member("meddler")
    opened = await fake.slash("portfolio submit", user=ada)
    assert opened.modal is not None
    await fake.submit_modal(opened.modal["custom_id"], PROJECT, user=ada)
    choices = await fake.autocomplete("portfolio edit", "project", "bus", user=ada)
    assert [c["name"] for c in choices] == [f"#{choices[0]['value']} · Bus delays in Leeds"]
    edit = await fake.slash("portfolio edit", {"project": choices[0]["value"]}, user=ada)
    assert edit.modal is not None
    inputs = [c for c in walk_components(edit.modal["components"]) if c["type"] == 4]
    defaults = {c["custom_id"]: c.get("value") for c in inputs}
    assert defaults["link"] == PROJECT["link"]
    long = await fake.submit_modal(
        edit.modal["custom_id"], {**PROJECT, "title": "Bus delays   in\nLeeds, v2"}, user=ada
    )
    assert long.embeds[0]["title"] == "✅ Bus delays in Leeds, v2" and "updated" in long.text

    board = await fake.slash("portfolio show", user=ada)
    [edit_it] = intents_on(board)
    meddled = await fake.click(board, custom_id(edit_it), user=cy)
    assert meddled.ephemeral
    assert meddled.content == f"This is <@{ada.user.id}>'s project; only they can edit it."
    nobody = await fake.slash("portfolio edit", {"project": "nope"}, user=cy)
    assert nobody.ephemeral and "not one of your projects" in nobody.content

    for n in range(2, 5):
        form = await fake.slash("portfolio submit", user=ada)
        assert form.modal is not None
        await fake.submit_modal(form.modal["custom_id"], {**PROJECT, "title": f"P{n}"}, user=ada)
    full = await fake.slash("portfolio submit", user=ada)
    assert full.ephemeral and full.modal is None  # refused before the form opens
    assert full.content.startswith("You have 4 projects, the most a portfolio holds here")


async def test_the_weekly_showcase_is_posted_with_review_buttons(harness: Harness) -> None:
    fake, study = harness.fake, harness.study
    dispatcher = harness.bot.dispatcher
    assert dispatcher is not None
    await dispatcher.stop()  # real-time jobs off: this test moves the clock itself
    saved = await fake.slash(
        "admin schedule showcase",
        {"channel": study.general, "day": "fri", "time": "17:00"},
        user=study.moderator,
    )
    assert saved.ephemeral and "the portfolio showcase" in saved.text
    author, reviewer = harness.new_member("shower"), harness.new_member("critic")
    opened = await fake.slash("portfolio submit", user=author)
    assert opened.modal is not None
    await fake.submit_modal(
        opened.modal["custom_id"], {**PROJECT, "title": "Showcased"}, user=author
    )
    project = next(
        b.project
        for b in await harness.app.services.portfolio.store.boards_of(
            study.guild.id, author.user.id
        )
    )
    await harness.app.services.portfolio.review(
        MemberRef(study.guild.id, reviewer.user.id, "critic"), project.id, MARKS, "Good work."
    )
    before = len(fake.channel_messages(study.general))
    start = harness.clock.now()
    await dispatcher.tick(start, start + timedelta(days=7))
    posted = [
        m
        for m in fake.channel_messages(study.general)[before:]
        if m.embeds and m.embeds[0]["title"].startswith("🏆 Portfolio showcase")
    ]
    [showcase] = posted  # earlier stories' reviewed projects compete in the same week
    assert any(f["name"].endswith(" Showcased") for f in showcase.embeds[0]["fields"])
    assert ReviewProject(project=project.id) in intents_on(showcase)
    own = await fake.click(showcase, custom_id(ReviewProject(project=project.id)), user=author)
    assert own.ephemeral and own.content == "You cannot review your own project."
