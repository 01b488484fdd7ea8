"""`studybot report` as a moderator runs it: members study on the shipped roadmap (with one wrong
answer key planted in a copy of the quiz banks), then the real command writes the HTML file.

The members answer through the services on a clock a few days back from now, since the command
runs on the real clock and shows the last 30 days.
"""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.clock import FrozenClock
from bot.domain.quiz import Kind, Question
from bot.domain.values import MemberRef
from bot.services import Services
from bot.settings import ROOT, load_settings
from tests.test_cli import studybot

GUILD = 77
MEMBERS = 36
PLANTED = "np-stack-foundation"  # its key becomes "Jupyter"; the right answer is "NumPy"
# Member n answers right from this n on (a skill that rises with n).
THRESHOLDS = {
    "np-pandas-to-numpy": 8,
    "np-out-list-vs-array": 10,
    "reduce_shape": 12,  # a generator: one of its three items, a seed of its own each
    "np-num-size": 14,
    "np-text-axis": 18,
    "np-out-shape": 22,
}
GENERATED = ("np-gen-reduce-shape", "np-gen-reduce-axes", "np-gen-reduce-keepdims")
KNOWS_NUMPY = 15  # from here on members answer the planted question truly, and are marked wrong


def right_answer(question: Question) -> str:
    return str(question.answer) if question.kind is Kind.CHOICE else question.expected_text


def wrong_answer(question: Question) -> str:
    if question.kind is Kind.CHOICE:
        return next(c for c in question.choices if c != question.answer)
    if question.kind is Kind.NUMERIC:
        return str(float(question.answer) + 7)  # type: ignore[arg-type]
    return "no idea"


async def answer(services: Services, who: MemberRef, item_id: str, seed: int, text: str) -> None:
    """`item_id` asked on its own with `seed`, answered with `text` (a choice by its number,
    as the member sees the choices)."""
    now = services.ctx.clock.now()
    run = await services.ctx.store.start_run(who, "topic", "numpy", [(item_id, seed)], now)
    shown = services.quizzes.shown(who, item_id, seed)
    if shown.kind is Kind.CHOICE:
        text = str(shown.choices.index(text) + 1)
    await services.quizzes.answer(who, run.id, 0, text)


async def study(services: Services, clock: FrozenClock, now: datetime) -> None:
    lessons = services.ctx.curriculum.lessons_in_order()
    for n in range(MEMBERS):
        clock.set(now - timedelta(days=n % 5, hours=1))
        who = MemberRef(guild_id=GUILD, user_id=5000 + n, display_name=f"member{n}")
        for unit, threshold in THRESHOLDS.items():
            item_id, seed = (GENERATED[n % 3], n) if unit == "reduce_shape" else (unit, 1)
            question = services.ctx.curriculum.question(item_id, seed)
            given = right_answer(question) if n >= threshold else wrong_answer(question)
            await answer(services, who, item_id, seed, given)
        await answer(services, who, PLANTED, 1, "NumPy" if n >= KNOWS_NUMPY else "Jupyter")
        for lesson in lessons[: n // 6]:
            await services.lessons.mark_done(who, lesson.id)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database where the story happened, and the settings to run `studybot` on it."""
    folder = tmp_path_factory.mktemp("report")
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copytree(ROOT / "quizzes", folder / "quizzes")
    bank = folder / "quizzes" / "numpy.yaml"
    text = bank.read_text()
    planted = text.index(f"id: {PLANTED}")
    key = text.index('answer: "NumPy"', planted)
    bank.write_text(text[:key] + 'answer: "Jupyter"' + text[key + len('answer: "NumPy"') :])
    env = {
        "STUDYBOT_DATABASE_URL": f"sqlite:///{folder / 'studybot.db'}",
        "STUDYBOT_CONTENT_DIR": str(folder / "content"),
        "STUDYBOT_QUIZZES_DIR": str(folder / "quizzes"),
        "STUDYBOT_RUNNER_URL": "",
    }
    settings = load_settings(
        database_url=env["STUDYBOT_DATABASE_URL"],
        content_dir=folder / "content",
        quizzes_dir=folder / "quizzes",
        runner_url="",
    )
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FrozenClock(now)
    app = build_app(settings, clock)

    async def story() -> None:
        try:
            await study(app.services, clock, now)
        finally:
            await app.aclose()

    asyncio.run(story())
    return env


def section(html: str, start: str, end: str) -> str:
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


def test_report_shows_the_wrong_key_with_what_members_answered(
    server: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out" / "report.html"
    result = studybot("report", "--guild", str(GUILD), "--out", str(out), env=server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"Wrote {out}: {MEMBERS} members, 7 questions analysed, 1 flagged"
    )
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert f"<title>Studybot report — server {GUILD}</title>" in html

    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)">', html)
    assert len(images) == 3  # activity, funnel, members and questions on one scale
    for data, alt in images:
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") and alt
    assert images[0][1].startswith("Bar chart of active members per day")

    rows = section(html, '<table class="items">', "</table>").split("<tr>")[2:]
    assert len(rows) == 7
    assert f'<a href="#q-{PLANTED}">{PLANTED}</a>' in rows[0]  # worst first
    assert "negative discrimination" in rows[0] and f'<td class="n">{MEMBERS}</td>' in rows[0]
    pooled = next(row for row in rows if "⚙ reduce_shape" in row)
    assert f'<td class="n">{MEMBERS}</td>' in pooled and "generated" in pooled

    article = section(html, f'<article id="q-{PLANTED}">', "</article>")
    assert "check the answer key" in article
    assert "Which library provides it?</pre>" in article  # the question as members saw it
    assert "<dt>Answer key</dt><dd><code>Jupyter</code></dd>" in article
    wrong = re.findall(r'<td><code>([^<]*)</code></td><td class="n">(\d+)</td>', article)
    assert wrong == [("NumPy", str(MEMBERS - KNOWS_NUMPY))]  # the truth, marked wrong

    funnel = section(html, '<section id="funnel">', "</section>")
    finished = re.findall(r'<td>\d+\. [^<]+</td><td class="n">(\d+)</td>', funnel)
    assert finished[:2] == [str(MEMBERS - 6), str(MEMBERS - 12)]  # member n did n // 6 lessons


def test_report_on_a_server_with_no_data_says_so(server: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "empty.html"
    result = studybot("report", "--guild", "999", "--out", str(out), env=server)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {out}: no data for server 999 yet (the report says so)"
    html = out.read_text()
    assert "Nothing to show yet: nobody here has studied" in html
    assert "<img" not in html and "<table" not in html


def test_report_to_a_place_it_cannot_write_is_one_line(
    server: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    result = studybot("report", "--guild", str(GUILD), "--out", str(blocked / "r.html"), env=server)
    assert result.returncode == 2
    assert result.stderr.startswith(f"studybot: cannot write {blocked / 'r.html'}:")
    assert len(result.stderr.strip().splitlines()) == 1
