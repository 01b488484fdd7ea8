"""Moderators' statistics through the services (both backends) and the console's `/stats`.

A small server: 32 members answer the six algebra questions of the code-built curriculum (three
more than tests/support.py has). Member n gets a question right once n reaches its threshold,
except `alg-word`, which behaves like a question with a wrong key: the members who do well
elsewhere are the ones marked wrong on it.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

from rich.console import Console

from bot.adapters.console.session import ConsoleSession, PipeLines
from bot.curriculum.model import Curriculum, QuizItem, Topic
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef
from bot.services import Services
from bot.services.charts import funnel_chart
from bot.services.stats import NO_DATA
from bot.storage.analytics import Analytics
from bot.storage.db import Database
from tests.support import RIGHT_TEXT, WRONG_TEXT, answer_item, make_services, one_question, typed
from tests.support import small_curriculum as support_curriculum

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
GUILD = 5
MEMBERS = 32
# Right from this member on; alg-word: right *below* it (a wrong key's pattern).
THRESHOLDS = {
    "alg-choice": 4,
    "alg-number": 8,
    "alg-sum": 12,
    "alg-root": 16,
    "alg-norm": 20,
    "alg-word": 12,
}
EXTRA = {"alg-sum": "ten", "alg-root": "three", "alg-norm": "five"}


def small_curriculum() -> Curriculum:
    """tests/support.py's curriculum with three more text questions in its topic."""
    base = support_curriculum()
    items = dict(base.items)
    for item_id, answer in EXTRA.items():
        question = Question(
            item_id=item_id,
            topic="algebra",
            kind=Kind.TEXT,
            prompt=f"Prompt of {item_id}",
            answer=(answer,),
            explanation="Because.",
        )
        items[item_id] = QuizItem(
            id=item_id,
            topic="algebra",
            difficulty=1,
            path=base.items["alg-word"].path,
            line=1,
            question=question,
        )
    topics = {"algebra": Topic("algebra", "Algebra", tuple(items))}
    return dataclasses.replace(base, items=MappingProxyType(items), topics=MappingProxyType(topics))


async def answer(services: Services, who: MemberRef, item_id: str, right: bool) -> None:
    """`item_id` asked on its own and answered right (or wrong), as the member would type it."""
    if right:
        text = EXTRA.get(item_id) or RIGHT_TEXT[item_id]
    else:
        text = WRONG_TEXT.get(item_id, "no idea")
    run = await one_question(services, who, item_id, 1)
    await services.quizzes.answer(who, run.id, 0, typed(services, who, item_id, 1, text))


def member(n: int, guild: int = GUILD) -> MemberRef:
    return MemberRef(guild_id=guild, user_id=1000 + n, display_name=f"m{n}")


async def study_server(services: Services) -> None:
    """Each member answers the six questions on one of the last three days (see the module's
    docstring); every second member finished the first lesson."""
    clock = services.ctx.clock
    for n in range(MEMBERS):
        clock.set(NOW - timedelta(days=n % 3))  # type: ignore[attr-defined]
        who = member(n)
        for item_id, threshold in THRESHOLDS.items():
            right = n < threshold if item_id == "alg-word" else n >= threshold
            await answer(services, who, item_id, right)
        if n % 2 == 0:
            await services.lessons.mark_done(who, "first")
    clock.set(NOW)  # type: ignore[attr-defined]


async def test_a_server_with_no_data_says_so(database: Database) -> None:
    services, _ = make_services(database, NOW, small_curriculum())
    card = await services.stats.card(GUILD)
    assert card.body == NO_DATA and card.images == () and card.fields == () and card.ephemeral
    report = await services.stats.report(GUILD)
    assert "Nothing to show yet" in report.html and "<img" not in report.html
    assert report.summary() == f"no data for server {GUILD} yet (the report says so)"


async def test_the_card_shows_activity_the_funnel_and_the_questions_to_fix(
    database: Database,
) -> None:
    services, _ = make_services(database, NOW, small_curriculum())
    await study_server(services)
    await answer_item(services, member(1, guild=GUILD + 1), "alg-word", 1)  # another server

    card = await services.stats.card(GUILD)
    assert card.title == "📊 Server stats" and card.ephemeral
    assert f"**{MEMBERS}** members have studied here" in card.body
    assert f"**{MEMBERS}** in the last 30 days" in card.body
    assert f"**{MEMBERS * 6}** first answers to **6** questions; 6 have the 30" in card.body
    [chart] = card.images
    assert chart.name == "activity.png" and chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.alt.startswith("Bar chart of active members per day from 25 Oct to 23 Nov")
    assert "21 Nov 10, 22 Nov 11, 23 Nov 11." in chart.alt  # the three days, in words

    fields = {f.name: f.value for f in card.fields}
    word, _, choice, _ = fields["Questions to look at (2 of 2 flagged)"].splitlines()
    assert word == "**alg-word** — Prompt of alg-word"  # the likely wrong key first
    assert choice == "**alg-choice** — Prompt of alg-choice"
    assert fields["Questions to look at (2 of 2 flagged)"].splitlines()[1] == (
        "-# 32 answers · negative discrimination (-0.90): check the answer key"
    )
    assert "too easy: 88% right (above 80%)" in fields["Questions to look at (2 of 2 flagged)"]
    assert fields["Finished · Basics"] == "1. First — **16**\n2. Second — **0**"
    assert fields["Finished · More"] == "1. Third — **0**"
    assert card.footer == f"Days in UTC · the full item table: studybot report --guild {GUILD}"


async def test_the_report_lists_every_question_and_the_wrong_answers(database: Database) -> None:
    services, _ = make_services(database, NOW, small_curriculum())
    await study_server(services)
    report = await services.stats.report(GUILD)
    html = report.html
    assert report.summary() == f"{MEMBERS} members, 6 questions analysed, 2 flagged"
    table = html[html.index('<section id="items">') : html.index('<section id="flagged">')]
    rows = table.split("<tr>")[2:]
    assert "alg-word" in rows[0] and "negative discrimination" in rows[0]  # worst first
    flagged = html[html.index('<article id="q-alg-word">') :]
    flagged = flagged[: flagged.index("</article>")]
    assert "<pre>Prompt of alg-word</pre>" in flagged
    assert "<dt>Answer key</dt><dd><code>vector</code></dd>" in flagged
    assert '<td><code>scalar</code></td><td class="n">20</td>' in flagged  # the 20 marked wrong
    assert html.count('<img src="data:image/png;base64,') == 3  # activity, funnel, scale
    assert "The Rasch model was fitted on 32 members and 6 questions." in html
    assert "without an ability" not in html  # nobody answered all right or all wrong


async def test_answers_come_from_quizzes_and_daily_challenges_oldest_first(
    database: Database,
) -> None:
    services, clock = make_services(database, NOW, small_curriculum())
    ada, bob = member(1), member(2)
    clock.set(NOW - timedelta(hours=3))
    today = await services.challenges.guild_today(GUILD)
    challenge, _ = await services.challenges.today(GUILD)
    await services.challenges.answer(ada, today, "not it")
    clock.set(NOW - timedelta(hours=2))
    await answer_item(services, ada, "alg-number", 4, right=False)
    await answer_item(services, bob, "alg-number", 4, right=False)
    clock.set(NOW - timedelta(hours=1))
    await answer_item(services, ada, "alg-number", 5, right=True)
    await answer_item(services, member(3, guild=GUILD + 1), "alg-number", 4, right=False)

    analytics = Analytics(database)
    facts = await analytics.guild_facts(GUILD, NOW)
    log = facts.answers
    assert list(zip(log.user_ids, log.item_ids, log.correct, strict=True)) == [
        (ada.user_id, challenge.item_id, False),
        (ada.user_id, "alg-number", False),
        (bob.user_id, "alg-number", False),
        (ada.user_id, "alg-number", True),
    ]
    assert facts.members == 2 and facts.active_members == 2 and not facts.empty
    assert facts.active_days == {date(2026, 11, 23): 2} and facts.today == date(2026, 11, 23)
    assert facts.zone == "UTC" and facts.lessons_finished == {}

    wrong = await analytics.wrong_answers(GUILD, ["alg-number", challenge.item_id])
    assert [(w.answer, w.count, w.seed) for w in wrong["alg-number"]] == [("3", 2, 4)]
    if challenge.item_id != "alg-number":
        assert [w.count for w in wrong[challenge.item_id]] == [1]
    assert await analytics.wrong_answers(GUILD, []) == {}
    assert (await analytics.guild_facts(GUILD + 7, NOW)).empty


async def test_console_stats_prints_the_card_and_saves_the_chart(
    database: Database, console_files: Path
) -> None:
    services, _ = make_services(database, NOW, small_curriculum())
    await study_server(services)
    buffer = io.StringIO()
    out = Console(file=buffer, width=100, color_system=None, highlight=False)
    session = ConsoleSession(services, member(0), out, interactive=False)
    await session.run(PipeLines(io.StringIO("/help\n/stats\n")))
    text = buffer.getvalue()
    assert "/stats — the server's activity, lesson funnel and questions to fix" in text
    assert "📊 Server stats" in text and "alg-word" in text and "check the answer key" in text
    assert "Finished · Basics" in text
    [(saved, head)] = saved_pictures(console_files)  # the session's folder for pictures
    assert f"saved activity.png: {saved}" in text.replace("\n", "") and head == b"\x89PNG"


def saved_pictures(folder: Path) -> list[tuple[Path, bytes]]:
    """The charts the console saved in `folder`, with their first bytes."""
    return [(path, path.read_bytes()[:4]) for path in folder.glob("studybot-*-activity.png")]


def test_chart_labels_with_dollar_signs_are_text_not_formulas() -> None:
    """`$^$` is a formula matplotlib cannot parse: as a label it used to fail the chart."""
    image = funnel_chart([("Costs in $^$", [("Pay $^$ now", 3), ("Then", 1)])])
    assert image.data.startswith(b"\x89PNG") and "Costs in $^$: 1. 3, 2. 1." in image.alt
