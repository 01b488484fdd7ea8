"""How long `studybot report` takes for a big server: 10,000 members, 400 quiz items.

Fills a throwaway SQLite database (seeded, so every run builds the same data) with what such a
server leaves behind — member rows, 30+ days of study days, lesson completions down the roadmap,
first answers drawn from a Rasch model (about 48 items a member, three items with an inverted key)
plus review answers and daily challenge answers — then times the report's one service call (read,
item analysis with the Rasch fit, charts, HTML) and, for comparison, the `/admin stats` card.
Prints seconds; asserts nothing. `--members` and `--items` scale it down for a quick look.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.app import build_app
from bot.clock import FrozenClock
from bot.curriculum.model import Curriculum
from bot.domain.quiz import Kind
from bot.services.report import render_report
from bot.services.stats import StatsService, guild_stats
from bot.settings import load_settings
from bot.storage.db import Database
from bot.storage.models import (
    ActivityDay,
    ChallengeAnswer,
    DailyChallenge,
    LessonProgress,
    Member,
    QuizAttempt,
)

GUILD = 4242
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
ANSWERED = 48  # mean first answers a member gives
BAD_KEYS = 3  # items whose recorded correctness is inverted, as a wrong key would do
HOSTILE = "<img src=x onerror=alert(1)>"


def _wrong_text(kind: Kind | None, rng: np.random.Generator, choices: tuple[str, ...]) -> str:
    if kind is Kind.CHOICE and len(choices) > 1:
        return str(choices[int(rng.integers(1, len(choices)))])
    if rng.random() < 0.001:
        return HOSTILE
    return str(int(rng.integers(0, 12)))


def fill(url: str, curriculum: Curriculum, members: int, items: int, seed: int) -> dict[str, int]:
    """Write the server's facts; returns row counts."""
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(sorted(curriculum.items), size=items, replace=False).tolist())
    ability = rng.normal(0.3, 1.0, members)
    difficulty = rng.normal(0.0, 1.0, items)
    inverted = set(rng.choice(items, size=BAD_KEYS, replace=False).tolist())
    users = np.arange(members, dtype=np.int64) + 10**15
    db = Database(url)
    counts: dict[str, int] = {}
    try:

        def write(model: Any, rows: list[dict[str, Any]]) -> None:
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)
            for start in range(0, len(rows), 50_000):
                db.run_sync(
                    lambda s, part=rows[start : start + 50_000]: s.execute(insert(model), part)
                )

        write(
            Member,
            [
                {"guild_id": GUILD, "user_id": int(u), "display_name": f"m{n}", "created_at": NOW}
                for n, u in enumerate(users)
            ],
        )
        days = []
        for u in users:
            for back in rng.choice(45, size=int(rng.integers(1, 15)), replace=False):
                at = NOW - timedelta(days=int(back), hours=2)
                days.append(
                    {"guild_id": GUILD, "user_id": int(u), "day": at.date(), "first_at": at}
                )
        write(ActivityDay, days)
        ordered = curriculum.lessons_in_order()
        progress = []
        for u in users:
            for lesson in ordered[: int(rng.geometric(0.08))]:
                progress.append(
                    {
                        "guild_id": GUILD,
                        "user_id": int(u),
                        "lesson_id": lesson.id,
                        "completed_at": NOW,
                    }
                )
        write(LessonProgress, progress)
        attempts = []
        for m, u in enumerate(users):
            picked = rng.choice(
                items, size=min(items, int(rng.poisson(ANSWERED)) + 2), replace=False
            )
            chance = 1.0 / (1.0 + np.exp(-(ability[m] - difficulty[picked])))
            right = rng.random(len(picked)) < chance
            for k, (i, ok) in enumerate(zip(picked.tolist(), right.tolist(), strict=True)):
                item = curriculum.items[chosen[i]]
                question = item.question
                recorded = (not ok) if i in inverted else ok
                at = NOW - timedelta(days=40) + timedelta(minutes=int(m) % 1000 + 37 * k)
                answer = (
                    (question.expected_text if question else "1")
                    if ok
                    else _wrong_text(item.kind, rng, question.choices if question else ())
                )
                row = {
                    "guild_id": GUILD,
                    "user_id": int(u),
                    "item_id": item.id,
                    "topic": item.topic,
                    "answer": answer,
                    "correct": recorded,
                }
                attempts.append({**row, "attempt_ref": f"{item.id}:{k}", "seed": k, "at": at})
                if not ok and rng.random() < 0.5:  # a review the next day, right more often
                    again = rng.random() < 0.7
                    attempts.append(
                        {
                            **row,
                            "attempt_ref": f"{item.id}:{k}:review",
                            "seed": k,
                            "answer": answer if not again else row["answer"],
                            "correct": again if i not in inverted else not again,
                            "at": at + timedelta(days=1),
                        }
                    )
        write(QuizAttempt, attempts)
        challenges = [
            {
                "guild_id": GUILD,
                "day": (NOW - timedelta(days=back)).date(),
                "item_id": chosen[int(rng.integers(items))],
                "seed": back,
                "created_at": NOW - timedelta(days=back),
            }
            for back in range(30)
        ]
        write(DailyChallenge, challenges)
        answers = []
        for challenge_id in range(1, 31):
            for u in rng.choice(users, size=members // 5, replace=False):
                answers.append(
                    {
                        "challenge_id": challenge_id,
                        "guild_id": GUILD,
                        "user_id": int(u),
                        "answer": "1",
                        "correct": bool(rng.random() < 0.6),
                        "at": NOW - timedelta(days=30 - challenge_id, hours=1),
                    }
                )
        write(ChallengeAnswer, answers)
    finally:
        db.close()
    return counts


async def measure(url: str, out: Path) -> tuple[float, float, str, str]:
    app = build_app(load_settings(database_url=url, runner_url=""), FrozenClock(NOW))
    try:
        began = time.perf_counter()
        report = await app.services.stats.report(GUILD)
        await asyncio.to_thread(out.write_text, report.html, encoding="utf-8")
        report_seconds = time.perf_counter() - began
        began = time.perf_counter()
        await app.services.stats.card(GUILD)
        card_seconds = time.perf_counter() - began
        steps = await phases(app.services.stats, app.curriculum)
        return report_seconds, card_seconds, report.summary(), steps
    finally:
        await app.aclose()


async def phases(stats: StatsService, curriculum: Curriculum) -> str:
    """The report's steps one by one (the same calls `StatsService.report` makes), to see
    where its time goes."""
    took: list[tuple[str, float]] = []
    began = time.perf_counter()
    facts = await stats.analytics.guild_facts(GUILD, NOW)
    took.append((f"read ({len(facts.answers):,} answers)", time.perf_counter() - began))
    began = time.perf_counter()
    analysed = guild_stats(GUILD, facts, curriculum)
    took.append(("item analysis with the Rasch fit", time.perf_counter() - began))
    began = time.perf_counter()
    wanted = [i for item in analysed.analysis.flagged() for i in analysed.units[item.unit].item_ids]
    wrong = await stats.analytics.wrong_answers(GUILD, wanted)
    took.append(("wrong answers of flagged questions", time.perf_counter() - began))
    began = time.perf_counter()
    render_report(analysed, wrong, curriculum, NOW)
    took.append(("charts and HTML", time.perf_counter() - began))
    return "; ".join(f"{name} {seconds:.2f} s" for name, seconds in took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="keep the report here (default: thrown away)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        settings = load_settings(database_url=url, runner_url="")
        app = build_app(settings)  # migrates the empty file, loads the shipped curriculum
        curriculum = app.curriculum
        asyncio.run(app.aclose())
        began = time.perf_counter()
        counts = fill(url, curriculum, args.members, args.items, args.seed)
        print(
            f"filled in {time.perf_counter() - began:.1f} s: "
            + ", ".join(f"{n:,} {table}" for table, n in counts.items())
        )
        out = args.out or Path(folder) / "report.html"
        report_s, card_s, summary, steps = asyncio.run(measure(url, out))
        size = out.stat().st_size
        print(f"report: {report_s:.2f} s ({size / 1e6:.1f} MB of HTML; {summary})")
        print(f"  its steps, run again one by one: {steps}")
        print(f"/admin stats card: {card_s:.2f} s")


if __name__ == "__main__":
    main()
