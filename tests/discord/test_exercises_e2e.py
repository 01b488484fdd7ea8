"""Exercises end to end: the real bot, its real runner and discord.py against the fake Discord.

One member's story: `/exercise ID` posts the exercise, Submit opens a form filled with the
starter, a wrong submission is answered privately with what failed, the right one with the
explanation and XP privately and one public line. Another member's press on that Submit is
refused privately; "Run code" on a `# exercise:` block is a submission.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.discord.ids import MENU_ID, custom_id
from bot.domain.values import MemberRef
from bot.domain.xp import exercise_xp
from bot.intents import OpenExercise, SubmitExercise
from tests.discord.conftest import Harness
from tests.fakediscord.interactions import DEFERRED_CHANNEL_MESSAGE, MODAL
from tests.fakediscord.models import walk_components

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("morning")]

EXERCISE = "ex-np-rows-above"


def prefilled(modal: dict[str, Any]) -> str:
    """The text a form's code field opens with."""
    [field] = [c for c in walk_components(modal["components"]) if c.get("type") == 4]
    return str(field.get("value") or "")


async def test_exercise_submit_wrong_then_right_with_xp_and_a_public_line(
    harness: Harness,
) -> None:
    fake, general = harness.fake, harness.study.general
    ada, bob = harness.new_member("ada"), harness.new_member("bob")
    exercise = harness.app.curriculum.exercises[EXERCISE]

    posted = await fake.slash("exercise", {"exercise": EXERCISE}, user=ada)
    assert not posted.ephemeral and posted.embeds[0]["title"] == f"🧩 {exercise.title}"
    assert "```python\nimport numpy as np" in posted.text
    assert f"# exercise: {EXERCISE}" in posted.text  # how to submit with Run code
    submit = SubmitExercise(owner=ada.user.id, exercise=EXERCISE)
    assert submit in harness.intents(posted)

    refused = await fake.click(posted, custom_id(submit), user=bob)
    assert refused.ephemeral and refused.modal is None
    assert f"open your own with `/exercise {EXERCISE}`" in refused.content

    opened = await fake.click(posted, custom_id(submit), user=ada)
    assert opened.type == MODAL and opened.modal is not None
    assert prefilled(opened.modal).strip() == exercise.starter.strip()
    public_before = len(fake.channel_messages(general))
    wrong = await fake.submit_modal(opened.modal["custom_id"], {}, user=ada)  # the starter
    assert wrong.type == DEFERRED_CHANNEL_MESSAGE and wrong.ephemeral
    assert wrong.embeds[0]["title"] == f"❌ 1 of {len(exercise.cases)} cases pass"
    assert "case 1 of" in wrong.text and exercise.explanation[:30] not in wrong.text
    assert "Traceback" not in wrong.text

    again = await fake.click(wrong, custom_id(submit), user=ada)  # "Edit & resubmit"
    assert again.modal is not None and prefilled(again.modal).strip() == exercise.starter.strip()
    right = await fake.submit_modal(
        again.modal["custom_id"], {"answer": exercise.solution}, user=ada
    )
    assert right.ephemeral and right.embeds[0]["title"] == (
        f"✅ All {len(exercise.cases)} cases pass"
    )
    paid = exercise_xp(exercise.difficulty)
    assert exercise.explanation[:30] in right.text and f"+{paid} XP" in right.text
    await fake.wait_until(
        lambda: len(fake.channel_messages(general)) > public_before, what="the public line"
    )
    public = fake.channel_messages(general)[public_before:]
    assert [m.content for m in public] == [
        f"🧩 {ada.user.username} solved the exercise {exercise.title}"
    ]
    who = MemberRef(harness.study.guild.id, ada.user.id)
    assert (await harness.app.services.ctx.store.member(who)).xp_total == paid

    message = await fake.post_message(
        general, ada, f"Mine:\n```python\n# exercise: {EXERCISE}\n{exercise.solution}```"
    )
    ran = await fake.context_menu_message("Run code", message, user=ada)
    assert ran.ephemeral and ran.embeds[0]["title"].startswith("✅ All")
    assert "solved before: no new XP" in ran.text
    assert len(fake.channel_messages(general)) == public_before + 2  # the post, no new line


async def test_exercise_lists_next_ones_and_completes_names(harness: Harness) -> None:
    fake, member = harness.fake, harness.new_member("learner")
    listed = await fake.slash("exercise", user=member)
    assert listed.ephemeral and listed.embeds[0]["title"] == "🧩 Your next exercises"
    options = [i for i in harness.intents(listed) if isinstance(i, OpenExercise)]
    assert options and options[0].exercise == harness.app.services.exercises.ordered()[0].id
    opened = await fake.select(listed, MENU_ID, [custom_id(options[0])], user=member)
    assert opened.ephemeral and opened.embeds[0]["title"].startswith("🧩 ")
    assert SubmitExercise(owner=member.user.id, exercise=options[0].exercise) in (
        harness.intents(opened)
    )
    choices = await fake.autocomplete("exercise", "exercise", "one-hot", user=member)
    assert [c["value"] for c in choices] == ["ex-np-one-hot"]
    unknown = await fake.slash("exercise", {"exercise": "ex-np-one-hat"}, user=member)
    assert unknown.ephemeral and "Did you mean `ex-np-one-hot`?" in unknown.content
