"""Issue 12, faults: an answer is recorded whole or not at all.

Two kinds of crash between recording an answer and awarding what follows from it: an error
inside the unit (its savepoint is rolled back, the units batched with it still commit), and a
SIGKILL of a process writing in a loop (the batch in flight is lost whole). Afterwards every
fact has its consequences, the caches equal their sums, and `studybot db rebuild-stats` has
nothing to change.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.domain.values import MemberRef
from bot.storage import engine
from bot.storage.db import Database, Sql, Tx
from tests.engine_answerer import DAYS
from tests.engine_checks import assert_totals_consistent
from tests.support import RIGHT_TEXT, make_services, one_question, typed

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
GUILD = 3
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let other tasks run until `condition` holds (bounded, so a bug fails, not hangs)."""
    for _ in range(int(seconds * 1000)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


class Boom(RuntimeError):
    """The fault injected between the XP award and the memory card."""


def _count(tx: Tx, table: str, u: int) -> int:
    return int(tx.one(Sql(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": u})[0])


FACTS = ("quiz_attempts", "xp_events", "xp_totals", "memory_cards", "review_logs", "activity_days")


async def test_a_unit_that_fails_midway_leaves_nothing_and_its_batch_still_commits(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, _clock = make_services(database, START)
    members = [MemberRef(GUILD, 10 + n, f"member {n}") for n in range(8)]
    doomed = members[3]
    item = "alg-number"
    runs = [await one_question(services, who, item, seed=1) for who in members]
    real_remember = engine.remember

    def remember(tx: Tx, who: engine.Who, *args: Any, **kwargs: Any) -> Any:
        if who.u == doomed.user_id:
            raise Boom("the process fails after the attempt and its XP were written")
        return real_remember(tx, who, *args, **kwargs)

    monkeypatch.setattr(engine, "remember", remember)

    # Hold the writer on a unit of its own so every answer queues up behind it and the
    # answers go in as one batch: one transaction, a savepoint each.
    entered, gate = threading.Event(), threading.Event()

    def hold(tx: Tx) -> bool:
        entered.set()
        return gate.wait(10)

    batches = database.writer.batches
    held = asyncio.ensure_future(database.unit(hold))
    assert await asyncio.to_thread(entered.wait, 10)
    hops = database.hops
    text = typed(services, members[0], item, 1, RIGHT_TEXT[item])
    answers = asyncio.gather(
        *(
            services.quizzes.answer(who, run.id, 0, text)
            for who, run in zip(members, runs, strict=True)
        ),
        return_exceptions=True,
    )
    await _until(lambda: database.hops == hops + len(members))  # all queued
    gate.set()
    outcomes = await answers
    assert await held
    assert database.writer.batches == batches + 2  # the held unit, then all answers at once

    assert [isinstance(o, Boom) for o in outcomes] == [who == doomed for who in members]

    def facts(tx: Tx) -> dict[int, list[int]]:
        return {who.user_id: [_count(tx, t, who.user_id) for t in FACTS] for who in members}

    counted = database.read_sync(facts)
    assert counted.pop(doomed.user_id) == [0] * len(FACTS)
    # Everyone else: attempt, event, 5 period totals, card, review log, study day.
    assert set(map(tuple, counted.values())) == {(1, 1, 5, 1, 1, 1)}
    run = await services.ctx.store.run(runs[3].id)
    assert run is not None and run.step == 0  # the question is still open: it can be retried
    assert_totals_consistent(database)

    monkeypatch.setattr(engine, "remember", real_remember)
    retried = await services.quizzes.answer(doomed, runs[3].id, 0, text)
    assert retried.cards[0].footer == "+30 XP · 30 XP in all"
    assert_totals_consistent(database)


# -- a real kill ----------------------------------------------------------------------------

_ATTEMPTS = Sql(
    "SELECT a.user_id, a.attempt_ref, a.item_id, a.correct,"
    " (SELECT count(*) FROM xp_events e WHERE e.guild_id = a.guild_id AND e.user_id = a.user_id"
    "  AND e.reason = 'quiz' AND e.ref = a.attempt_ref),"
    " (SELECT count(*) FROM review_logs r WHERE r.guild_id = a.guild_id"
    "  AND r.user_id = a.user_id AND r.item_id = a.item_id AND r.at = a.at)"
    " FROM quiz_attempts a"
)
_CARDS = Sql("SELECT user_id, item_id, reps FROM memory_cards")
_LOGS = Sql("SELECT user_id, item_id, count(*) FROM review_logs GROUP BY user_id, item_id")
_DAY_ANSWERS = Sql("SELECT user_id, SUM(answers) FROM activity_days GROUP BY user_id")
_RUNS_MOVED = Sql("SELECT count(*) FROM quiz_runs WHERE step = 1")
_EVENTS = Sql("SELECT count(*) FROM xp_events")


def _snapshot(tx: Tx) -> dict[str, list[tuple[Any, ...]]]:
    """The caches rebuild-stats may rewrite, without their row ids."""
    tables = {
        "members": "SELECT * FROM members ORDER BY guild_id, user_id",
        "xp_totals": "SELECT guild_id, period, user_id, xp, reached_at FROM xp_totals"
        " ORDER BY guild_id, period, user_id",
        "streak_events": "SELECT guild_id, user_id, kind, day, count FROM streak_events"
        " ORDER BY guild_id, user_id, day, kind, count",
    }
    return {name: [tuple(row) for row in tx.all(Sql(query))] for name, query in tables.items()}


def _kill_while_answering(url: str, start: datetime, seed: int) -> None:
    """Start the answering process, let it write for a seeded random moment, SIGKILL it."""
    delay = random.Random(seed).uniform(0.2, 0.8)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.engine_answerer", url, start.isoformat(), str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the process answers (or dies)
        assert first.strip() == "answering", (first, process.stderr and process.stderr.read())
        threading.Event().wait(delay)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.stderr is not None
        errors = process.stderr.read()
    assert process.returncode == -signal.SIGKILL, errors
    assert "Traceback" not in errors, errors


def _rebuild_stats(url: str) -> str:
    """`studybot db rebuild-stats`, run as a member of staff would."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "rebuild-stats"],
        cwd=ROOT,
        env={**clean, "STUDYBOT_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@SQLITE_ONLY
def test_a_process_killed_while_answering_leaves_every_answer_whole(db_url: str) -> None:
    # Stamps end before the real now: rebuild-stats (on the system clock) rolls the 30-day
    # board to today, and every answer must still be inside it.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _kill_while_answering(db_url, now - timedelta(days=DAYS, minutes=5), seed=12)

    database = Database(db_url)
    try:
        rows = database.read_sync(lambda tx: tx.all(_ATTEMPTS))
        assert len(rows) > 20, "the process was killed before it had answered much"
        for user, ref, item, correct, events, logs in rows:
            assert (events, logs) == (1 if correct else 0, 1), (user, ref, item)
        # Each review log moved its card once; each answer counted once on its study day.
        logged = {
            (int(u), str(i)): int(n) for u, i, n in database.read_sync(lambda tx: tx.all(_LOGS))
        }
        cards = {
            (int(u), str(i)): int(r) for u, i, r in database.read_sync(lambda tx: tx.all(_CARDS))
        }
        assert cards == logged
        answered = Counter(int(row[0]) for row in rows)
        days = {int(u): int(n) for u, n in database.read_sync(lambda tx: tx.all(_DAY_ANSWERS))}
        assert days == dict(answered)
        assert database.read_sync(lambda tx: int(tx.one(_RUNS_MOVED)[0])) == len(rows)
        assert database.read_sync(lambda tx: int(tx.one(_EVENTS)[0])) == sum(r[3] for r in rows)
        assert_totals_consistent(database)
        before = database.read_sync(_snapshot)
    finally:
        database.close()

    assert "of 20 members" in _rebuild_stats(db_url)

    database = Database(db_url)
    try:
        assert database.read_sync(_snapshot) == before
        assert_totals_consistent(database)
    finally:
        database.close()


_DAY_ROW = Sql(
    "INSERT INTO activity_days (guild_id, user_id, day, first_at, lessons, dailies, exercises,"
    " answers, counted) VALUES (:g, :u, :day, :at, 0, 0, 0, 0, false)"
)
_DAYS_OF = Sql("SELECT user_id FROM activity_days WHERE guild_id = :g ORDER BY user_id")


async def test_a_sent_statement_that_fails_fails_its_own_unit_only(database: Database) -> None:
    """`Tx.send` defers a statement (pipelined with the next read on PostgreSQL): its error
    must still belong to the unit that sent it, and the batch around it must commit."""
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)

    def unit(user: int, twice: bool) -> Callable[[Tx], int]:
        def work(tx: Tx) -> int:
            if user == 4:  # fails before running anything: the units before it stay whole
                raise ValueError("no statement at all")
            row = {"g": 77, "u": user, "day": tx.day(at.date()), "at": tx.instant(at)}
            tx.send(_DAY_ROW, row)
            if twice:
                tx.send(_DAY_ROW, row)  # the unique (member, day) refuses the second
            return user

        return work

    results = await asyncio.gather(
        *(database.unit(unit(user, twice=user == 3)) for user in range(1, 6)),
        return_exceptions=True,
    )
    refused = (sqlite3.IntegrityError, psycopg.IntegrityError)  # the driver's own error
    assert isinstance(results[2], refused) and isinstance(results[3], ValueError)
    assert [results[0], results[1], results[4]] == [1, 2, 5]
    kept = await database.read_tx(lambda tx: [int(u) for (u,) in tx.all(_DAYS_OF, {"g": 77})])
    assert kept == [1, 2, 5]  # the failing units left nothing, the others committed
