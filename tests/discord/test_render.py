"""Cards as Discord messages: whatever a card holds, the message stays within Discord's limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.adapters.discord.ids import custom_id, intent_of
from bot.adapters.discord.render import CUT_NOTE, fit, render
from bot.cards import Action, Card, CardField, Image, Style, Tone
from bot.intents import (
    AnswerChoice,
    DailyChoice,
    Intent,
    MarkDone,
    OpenAnswer,
    StartQuiz,
    StartReview,
)
from tests.fakediscord import limits
from tests.fakediscord.models import walk_components


def _payload(card_count: int, card: Card) -> dict[str, Any]:
    rendered = render(*([card] * card_count))
    assert rendered.view is not None
    return {
        "embeds": [embed.to_dict() for embed in rendered.embeds],
        "components": rendered.view.to_components(),
    }


async def test_an_oversized_card_is_cut_to_fit() -> None:
    card = Card(
        title="T" * 300,
        body="word " * 2000 + "\n```python\n" + "x = 1\n" * 500 + "```",
        fields=tuple(CardField(f"field {n}" * 40, "v" * 2000, inline=True) for n in range(40)),
        footer="f" * 3000,
        actions=tuple(
            Action(AnswerChoice(owner=2**63 - 1, run=10**9, step=9, choice=n % 25 + 1), "x" * 99)
            for n in range(30)
        ),
        tone=Tone.WARNING,
    )
    for count in (1, 2):
        payload = _payload(count, card)
        assert limits.message_problems(payload, files=0, creating=True) == []
        total = sum(
            len(e.get("title", ""))
            + len(e.get("description", ""))
            + len(e.get("footer", {}).get("text", ""))
            + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
            for e in payload["embeds"]
        )
        assert total <= 6000
    rows = payload["components"]
    assert len(rows) == 5 and all(len(row["components"]) <= 5 for row in rows)


async def test_an_oversized_layout_card_is_cut_to_fit() -> None:
    """A code-help card laid out with Components v2 keeps v2's limits: 4,000 characters of
    text, 40 components, a gallery of at most 10, and every attachment shown by a component."""
    card = Card(
        title="❌ " + "E" * 300,
        body="```python\n" + "x = 1\n" * 2000 + "```",
        fields=tuple(CardField(f"f{n}", "v" * 900) for n in range(3)),
        footer="f" * 3000,
        images=tuple(Image(f"plot-{n}.png", b"\x89PNG", alt="a" * 2000) for n in range(12)),
        files=(Image("output.txt", b"x", "text/plain", "The whole output"),),
        actions=tuple(Action(MarkDone(lesson=f"l{n}"), "x" * 99, row=n % 7) for n in range(40)),
        tone=Tone.ERROR,
        layout=True,
    )
    rendered = render(card)
    assert rendered.layout and rendered.embeds == [] and "embeds" not in rendered.send_kwargs()
    payload = {"components": rendered.view.to_components(), "flags": limits.COMPONENTS_V2_FLAG}
    assert limits.message_problems(payload, files=len(rendered.files)) == []
    texts = [c["content"] for c in walk_components(payload["components"]) if c["type"] == 10]
    assert texts[0].startswith("### ❌ E") and texts[1].endswith(CUT_NOTE)
    assert texts[1].count("```") % 2 == 0  # the code block is closed where it was cut
    [gallery] = [c for c in walk_components(payload["components"]) if c["type"] == 12]
    assert len(gallery["items"]) == 9 and len(gallery["items"][0]["description"]) <= 1024
    shown = [c["file"]["url"] for c in walk_components(payload["components"]) if c["type"] == 13]
    assert shown == ["attachment://output.txt"]
    assert {f.filename for f in rendered.files} >= {"output.txt", "plot-0.png"}


async def test_a_plain_card_is_rendered_as_it_is() -> None:
    card = Card(
        title="✅ Correct",
        body="Because.",
        fields=(CardField("XP", "5", inline=True),),
        footer="+5 XP",
        images=(Image("plot-1.png", b"\x89PNG..."),),
        actions=(Action(StartQuiz(topic="numpy", count=3), "Another quiz", Style.PRIMARY),),
        tone=Tone.SUCCESS,
        ephemeral=True,
    )
    rendered = render(card)
    embed = rendered.embeds[0].to_dict()
    assert embed["title"] == "✅ Correct" and embed["description"] == "Because."
    assert embed["fields"] == [{"name": "XP", "value": "5", "inline": True}]
    assert embed["image"]["url"] == "attachment://plot-1.png"
    assert [f.filename for f in rendered.files] == ["plot-1.png"]
    assert rendered.ephemeral
    assert rendered.view is not None and rendered.view.is_finished()  # never stored per message
    [button] = rendered.view.children
    assert intent_of(button.custom_id) == StartQuiz(topic="numpy", count=3)  # type: ignore[attr-defined]
    assert rendered.send_kwargs()["allowed_mentions"].to_dict()["parse"] == []


def test_fit_closes_a_code_block_it_cuts() -> None:
    text = "Output:\n```\n" + "\n".join(f"{n:03d} | line" for n in range(400)) + "\n```"
    cut = fit(text, 500)
    assert len(cut) <= 500 and cut.endswith(CUT_NOTE)
    assert cut.count("```") % 2 == 0
    assert fit("short", 500) == "short"


@pytest.mark.parametrize(
    "intent",
    [
        AnswerChoice(owner=2**63 - 1, run=2**31, step=9, choice=25),
        OpenAnswer(owner=1, run=2, step=0),
        StartQuiz(lesson="x" * 64, count=10),
        StartQuiz(topic="linear-algebra", count=1),
        StartReview(),
        MarkDone(lesson="derivatives-and-gradient-descent"),
        DailyChoice(day=date(2026, 11, 23), choice=4),
    ],
)
def test_every_intent_survives_its_custom_id(intent: Intent) -> None:
    encoded = custom_id(intent)
    assert len(encoded) <= 100 and intent_of(encoded) == intent


@pytest.mark.parametrize(
    "forged",
    [
        "quiz:a:1:2:3:99",  # a 99th choice
        "quiz:a:-1:2:3:1",  # a negative owner
        "quiz:a:x:2:3:1",
        "daily:a:2026-13-45:1",
        "lesson:done:",
        "quiz:new:a:b:0",
        "nobody:knows:this",
    ],
)
def test_a_forged_or_broken_custom_id_decodes_to_nothing(forged: str) -> None:
    assert intent_of(forged) is None


def test_an_intent_that_cannot_fit_a_custom_id_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        custom_id(MarkDone(lesson="a:b"))
