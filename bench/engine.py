"""The learning engine's figures (issue 12), SQLite and PostgreSQL side by side, one run.

    python bench/engine.py            # the issue's sizes (a few minutes)
    python bench/engine.py --quick    # small sizes, a smoke run (seconds)

1. Answers recorded per second: 50 members answering at once in one process, each answer the
   real `Store.answer_step` unit (grade, attempt, XP event and its period totals, study day and
   streak, FSRS card and review log, the run moved on), the runs made before the clock starts.
   Beside it, on SQLite, the ceiling: the exact statements and parameters our path executed
   for the same answers (recorded from the driver calls in a tracing pass on a copy of the
   database) replayed with plain `sqlite3`, one transaction per answer, same pragmas (WAL,
   synchronous=NORMAL), same machine, same run. The replay is checked to write the same rows.
2. Leaderboard and own-rank queries (`Store.leaderboard`, `Store.rank_of`) on a server with
   100,000 members and 5,000,000 XP events, p95 of a few hundred calls each, for each period.
   Events are loaded in bulk and the period totals built set-based (server zone UTC).
3. The /review due-cards query (`Store.review_queue`) for a member with 5,000 cards, p95, and
   beside it the alternative order (lowest retrievability first) two ways: due cards fetched
   and sorted by `bot.domain.memory.retrievability` in Python, and the same order in SQL.

PostgreSQL is a throwaway server started here like tests/pg.py's, but with its durability
defaults: fsync on, synchronous_commit on, full_page_writes on. Prints figures; its asserts
only check the bench's own bookkeeping (a quick run also checks the set-based totals against
tests/engine_checks.py), never a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain import memory
from bot.domain.values import MemberRef
from bot.services.quizzes import Judge
from bot.services.reviews import SESSION_MAX
from bot.storage import engine, migrate
from bot.storage.db import Database, Sql, Tx
from bot.storage.store import Store
from tests.engine_checks import assert_totals_consistent
from tests.pg import PostgresServer, start_postgres
from tests.support import RIGHT_TEXT, WRONG_TEXT, make_services

GUILD = 1
AT = datetime(2026, 11, 26, 12, tzinfo=UTC)  # the injected clock: a Thursday noon
ITEMS = tuple(RIGHT_TEXT)
PERIODS = ("week", "month", "rolling", "all")


@dataclass(frozen=True)
class Sizes:
    answers: int = 5_000
    concurrency: int = 50
    members: int = 100_000
    events: int = 5_000_000
    cards: int = 5_000
    calls: int = 300


FULL = Sizes()
QUICK = Sizes(answers=400, members=2_000, events=40_000, cards=500, calls=40)


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return 1000 * ordered[max(0, round(0.95 * len(ordered)) - 1)]


# -- 1. answers per second ------------------------------------------------------------------


def member(m: int) -> MemberRef:
    return MemberRef(GUILD, 1000 + m, f"member {m}")


@dataclass(frozen=True)
class Answer:
    """One answer of the measured run: who, which run, when, what they typed."""

    m: int
    run: int
    at: datetime
    text: str


async def make_runs(database: Database, sizes: Sizes) -> list[list[Answer]]:
    """One single-question run per answer, before the clock starts; each member's answers in
    order. Three items in turn, a new seed each (so right answers pay), one in four wrong."""
    store = Store(database)
    plans = [(k % sizes.concurrency, ITEMS[k % len(ITEMS)], k) for k in range(sizes.answers)]
    runs = await asyncio.gather(
        *(
            store.start_run(member(m), "topic", "algebra", [(item, seed)], AT)
            for m, item, seed in plans
        )
    )
    answers: list[list[Answer]] = [[] for _ in range(sizes.concurrency)]
    for (m, item, seed), run in zip(plans, runs, strict=True):
        text = (WRONG_TEXT if seed % 4 == 0 else RIGHT_TEXT)[item]
        answers[m].append(Answer(m, run.id, AT + timedelta(seconds=seed), text))
    return answers


async def answer_all(database: Database, answers: list[list[Answer]]) -> float:
    """Every member answers their questions in order, all members at once: seconds taken."""
    services, _clock = make_services(database, AT)
    store, quizzes = services.ctx.store, services.quizzes

    async def one_member(mine: list[Answer]) -> None:
        for a in mine:
            who = member(a.m)
            outcome = await store.answer_step(who, a.run, 0, a.at, Judge(quizzes, who, a.text))
            assert outcome.status == "ok", outcome.status

    began = time.perf_counter()
    await asyncio.gather(*(one_member(mine) for mine in answers))
    return time.perf_counter() - began


Statement = tuple[str, str, Any]  # (one | all | run | many, SQL text, parameters)


class Tracer:
    """Records every statement the units run through `Tx`, unit by unit (the writer runs one
    unit at a time, so a boundary marker before each unit splits the record)."""

    def __init__(self) -> None:
        self.units: list[list[Statement]] = []
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> Tracer:
        units = self.units
        for kind in ("one", "all", "run", "send", "many"):
            real = getattr(Tx, kind)
            self._saved[kind] = real

            def traced(tx: Tx, statement: Sql, params: Any = None, *, _k: str = kind) -> Any:
                text = tx.text(statement)
                # The writer's own savepoints are not the answer's statements: the ceiling
                # runs one transaction per answer without them.
                if units and not text.startswith(("SAVEPOINT", "RELEASE")):
                    kept = [dict(row) for row in params] if _k == "many" else dict(params or {})
                    units[-1].append(("run" if _k == "send" else _k, text, kept))
                return self._saved[_k](tx, statement, params)

            setattr(Tx, kind, traced)
        unit = Database.unit
        self._saved["unit"] = unit

        async def marked(database: Database, work: Callable[[Tx], Any]) -> Any:
            def begin(tx: Tx) -> Any:
                units.append([])
                return work(tx)

            return await unit(database, begin)

        Database.unit = marked  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        for kind, real in self._saved.items():
            setattr(Database if kind == "unit" else Tx, kind, real)


def replay(path: Path, units: list[list[Statement]], per: int = 1) -> float:
    """The recorded statements on plain sqlite3, one transaction per `per` answers: seconds."""
    connection = sqlite3.connect(path, isolation_level=None, cached_statements=256)
    cursor = connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    began = time.perf_counter()
    for first in range(0, len(units), per):
        cursor.execute("BEGIN IMMEDIATE")
        for unit in units[first : first + per]:
            for kind, text, params in unit:
                if kind == "many":
                    cursor.executemany(text, params)
                else:
                    cursor.execute(text, params)
                    if kind == "one":
                        cursor.fetchone()
                    elif kind == "all":
                        cursor.fetchall()
        cursor.execute("COMMIT")
    elapsed = time.perf_counter() - began
    connection.close()
    return elapsed


_FACTS = (
    "SELECT guild_id, user_id, attempt_ref, item_id, seed, answer, correct, at FROM quiz_attempts",
    "SELECT guild_id, user_id, reason, ref, amount, at FROM xp_events",
    "SELECT guild_id, period, user_id, xp, reached_at FROM xp_totals",
    "SELECT guild_id, user_id, item_id, state, step, stability, difficulty, due, reps, lapses"
    " FROM memory_cards",
    "SELECT guild_id, user_id, item_id, source, rating, at, elapsed_days FROM review_logs",
    "SELECT guild_id, user_id, day, answers, counted FROM activity_days",
    "SELECT guild_id, user_id, xp_total, streak_current, streak_best FROM members",
    "SELECT id, step, results FROM quiz_runs",
)


def facts(path: Path) -> list[Counter[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return [Counter(map(tuple, connection.execute(query))) for query in _FACTS]


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so a plain copy of the file is the whole database."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


ROUNDS = 3  # each answers/s figure is the median of this many runs on fresh copies


@dataclass(frozen=True)
class Answers:
    """Answers/s through the store, and the same statements replayed on the bare driver."""

    rate: float  # through Store.answer_step, 50 members at once
    ceiling: float  # SQLite: plain sqlite3, one transaction per answer
    batched: float  # one transaction per `concurrency` answers, one round trip a statement
    pipelined: float = 0.0  # PostgreSQL: the same batches, pipelined (no waiting per statement)
    same: bool = True  # SQLite: every replay wrote the same rows as the store


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def sqlite_answers(folder: Path, sizes: Sizes, rounds: int = ROUNDS) -> Answers:
    base = folder / "answers.db"
    migrate.upgrade(f"sqlite:///{base}")
    database = Database(f"sqlite:///{base}")
    answers = asyncio.run(make_runs(database, sizes))
    database.close()
    checkpoint(base)

    def copy(name: str) -> Path:
        path = folder / f"answers-{name}.db"
        path.write_bytes(base.read_bytes())
        return path

    rates = []
    for n in range(rounds):
        database = Database(f"sqlite:///{copy(f'measured{n}')}")
        rates.append(sizes.answers / asyncio.run(answer_all(database, answers)))
        database.close()
    database = Database(f"sqlite:///{copy('traced')}")
    with Tracer() as tracer:
        asyncio.run(answer_all(database, answers))
    database.close()
    assert len(tracer.units) == sizes.answers, len(tracer.units)
    ceilings, batched, replayed = [], [], []
    for n in range(rounds):
        replayed += [copy(f"replayed{n}"), copy(f"batched{n}")]
        ceilings.append(sizes.answers / replay(replayed[-2], tracer.units))
        batched.append(sizes.answers / replay(replayed[-1], tracer.units, sizes.concurrency))
    wrote = facts(folder / "answers-measured0.db")
    same = all(facts(path) == wrote for path in replayed)
    return Answers(_median(rates), _median(ceilings), _median(batched), same=same)


def replay_postgres(url: str, units: list[list[Statement]], per: int, pipelined: bool) -> float:
    """Recorded PostgreSQL statements on bare psycopg, one transaction per `per` answers and
    a savepoint each as our writer takes them; waiting for each statement, or pipelined (a
    pipeline cannot carry two statements in one query, so there the savepoints go apart):
    seconds."""
    with psycopg.connect(url) as connection:
        cursor = connection.cursor()
        began = time.perf_counter()
        for first in range(0, len(units), per):
            batch = units[first : first + per]
            with connection.pipeline() if pipelined else contextlib.nullcontext():
                cursor.execute("SAVEPOINT unit")
                for index, unit in enumerate(batch):
                    for kind, text, params in unit:
                        if kind == "many":
                            cursor.executemany(text, params)
                        else:
                            cursor.execute(text, params)
                            if kind in ("one", "all") and not pipelined:
                                cursor.fetchall()
                    if index + 1 == len(batch):
                        cursor.execute("RELEASE SAVEPOINT unit")
                    elif pipelined:
                        cursor.execute("RELEASE SAVEPOINT unit")
                        cursor.execute("SAVEPOINT unit")
                    else:
                        cursor.execute("RELEASE SAVEPOINT unit; SAVEPOINT unit")
            connection.commit()
        return time.perf_counter() - began


def postgres_answers(server: PostgresServer, sizes: Sizes, rounds: int = ROUNDS) -> Answers:
    url = server.create_database("answers")
    migrate.upgrade(url)
    database = Database(url)
    answers = asyncio.run(make_runs(database, sizes))
    database.close()
    rates = []
    for n in range(rounds):
        database = Database(server.create_database(f"measured{n}", template="answers"))
        rates.append(sizes.answers / asyncio.run(answer_all(database, answers)))
        database.close()
    database = Database(server.create_database("traced", template="answers"))
    with Tracer() as tracer:
        asyncio.run(answer_all(database, answers))
    database.close()
    waiting: list[float] = []
    pipelined: list[float] = []
    for n in range(rounds):
        for pipe, figures in ((False, waiting), (True, pipelined)):
            copy = server.create_database(f"replayed{n}{pipe:d}", template="answers")
            seconds = replay_postgres(copy, tracer.units, sizes.concurrency, pipe)
            figures.append(sizes.answers / seconds)
    return Answers(_median(rates), 0.0, _median(waiting), _median(pipelined))


# -- 2. leaderboards ------------------------------------------------------------------------

# Period totals from the events, set-based, in the server's zone (UTC here): what
# `engine.rebuild_totals` computes row by row. The rolling window is then summed from the day
# totals by `engine.roll`, the engine's own code.
_MONDAY = "date(at, '-6 days', 'weekday 1')"
_TOTALS_SQLITE = (
    ("'all'", "user_id"),
    (f"'w:' || {_MONDAY}", f"{_MONDAY}, user_id"),
    ("'m:' || strftime('%Y-%m', at)", "strftime('%Y-%m', at), user_id"),
    ("'d:' || date(at)", "date(at), user_id"),
)
_UTC = "(at AT TIME ZONE 'UTC')"
_TOTALS_PG = (
    ("'all'", "user_id"),
    (f"'w:' || to_char(date_trunc('week', {_UTC}), 'YYYY-MM-DD')", "2, user_id"),
    (f"'m:' || to_char({_UTC}, 'YYYY-MM')", "2, user_id"),
    (f"'d:' || to_char({_UTC}, 'YYYY-MM-DD')", "2, user_id"),
)
_XP_TOTAL = (
    "UPDATE members SET xp_total = COALESCE((SELECT xp FROM xp_totals t WHERE t.guild_id ="
    " members.guild_id AND t.period = 'all' AND t.user_id = members.user_id), 0)"
)


def _sums(period: str, group: str) -> str:
    return (
        "INSERT INTO xp_totals (guild_id, period, user_id, xp, reached_at)"
        f" SELECT guild_id, {period}, user_id, SUM(amount), MAX(at) FROM xp_events"
        f" GROUP BY guild_id, {group}"
    )


def event_rows(sizes: Sizes, seed: int = 12) -> Iterator[tuple[int, str, int, str]]:
    """(user, ref, amount, at as UTC text) for every event, member by member: a few members
    earn a lot, most a little (Pareto), at random instants of the 60 days before the clock."""
    rng = random.Random(seed)
    weights = [rng.paretovariate(1.2) for _ in range(sizes.members)]
    scale = sizes.events / sum(weights)
    counts = [int(w * scale) for w in weights]
    for u in rng.sample(range(sizes.members), sizes.events - sum(counts)):
        counts[u] += 1
    first = AT - timedelta(days=60)
    minutes = [(first + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:") for i in range(86_400)]
    n = 0
    for u, count in enumerate(counts):
        for _ in range(count):
            seconds, micro = divmod(rng.randrange(60_000_000), 1_000_000)
            at = f"{minutes[rng.randrange(86_400)]}{seconds:02d}.{micro:06d}"
            yield 1000 + u, f"q{n}", rng.choice((5, 10, 20, 30, 37)), at
            n += 1


def _member_rows(sizes: Sizes) -> Iterator[tuple[int, str]]:
    return ((1000 + u, f"member {u}") for u in range(sizes.members))


def load_sqlite(path: Path, sizes: Sizes) -> None:
    """Members and events with executemany, totals with INSERT … SELECT: one transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("BEGIN")
    created = AT.strftime("%Y-%m-%d %H:%M:%S.%f")
    cursor.executemany(
        "INSERT INTO members (guild_id, user_id, display_name, xp_total, streak_mode,"
        " streak_target, streak_current, streak_best, week_days, freezes, reminders,"
        f" created_at) VALUES ({GUILD}, ?, ?, 0, 'daily', 3, 0, 0, 0, 0, 0, '{created}')",
        _member_rows(sizes),
    )
    cursor.executemany(
        f"INSERT INTO xp_events (guild_id, user_id, reason, ref, amount, at)"
        f" VALUES ({GUILD}, ?, 'quiz', ?, ?, ?)",
        event_rows(sizes),
    )
    for period, group in _TOTALS_SQLITE:
        cursor.execute(_sums(period, group))
    cursor.execute(_XP_TOTAL)
    cursor.execute("COMMIT")
    connection.close()


def load_postgres(url: str, sizes: Sizes) -> None:
    """Members and events with COPY, totals with INSERT … SELECT."""
    with psycopg.connect(url) as connection:
        with connection.cursor().copy(
            "COPY members (guild_id, user_id, display_name, xp_total, streak_mode,"
            " streak_target, streak_current, streak_best, week_days, freezes, reminders,"
            " created_at) FROM STDIN"
        ) as copy:
            for user, name in _member_rows(sizes):
                copy.write_row((GUILD, user, name, 0, "daily", 3, 0, 0, 0, 0, False, AT))
        with connection.cursor().copy(
            "COPY xp_events (guild_id, user_id, reason, ref, amount, at) FROM STDIN"
        ) as copy:
            for user, ref, amount, at in event_rows(sizes):
                copy.write_row((GUILD, user, "quiz", ref, amount, at + "+00"))
        for period, group in _TOTALS_PG:
            connection.execute(_sums(period, group))
        connection.execute(_XP_TOTAL)


def vacuum(url: str) -> None:
    """What autovacuum does to tables soon after a load: statistics, and a visibility map so
    index-only scans skip the heap, as on a server that has been running a while."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def roll_to_today(database: Database) -> None:
    """The rolling-30-days totals, summed from the day totals by the engine's own `roll`."""
    today = AT.date()
    database.unit_sync(lambda tx: engine.roll(tx, GUILD, today, None, AT))


async def time_boards(database: Database, sizes: Sizes) -> dict[str, float]:
    """p95 (ms) of each period's board (top 10) and of a member's own rank in it; the members
    whose rank is asked are drawn from those ranked, so every call finds a rank."""
    store = Store(database)
    rng = random.Random(5)
    figures: dict[str, float] = {}
    for period in PERIODS:
        await store.leaderboard(GUILD, period, AT, 10)  # warm, and roll the window if needed
        samples = []
        for _ in range(sizes.calls):
            began = time.perf_counter()
            board = await store.leaderboard(GUILD, period, AT, 10)
            samples.append(time.perf_counter() - began)
        assert len(board) == 10, len(board)
        figures[f"leaderboard {period}"] = p95(samples)
    for period in PERIODS:
        ranked = await ranked_members(database, period)
        samples = []
        for user in rng.choices(ranked, k=sizes.calls):
            began = time.perf_counter()
            rank = await store.rank_of(GUILD, user, period, AT)
            samples.append(time.perf_counter() - began)
            assert rank is not None
        figures[f"own rank {period}"] = p95(samples)
    return figures


_PERIOD_OF = {"week": "w:2026-11-23", "month": "m:2026-11", "rolling": "r", "all": "all"}
_RANKED = Sql("SELECT user_id FROM xp_totals WHERE guild_id = :g AND period = :p AND xp > 0")


async def ranked_members(database: Database, period: str) -> list[int]:
    rows = await database.read_tx(lambda tx: tx.all(_RANKED, {"g": GUILD, "p": _PERIOD_OF[period]}))
    return [int(u) for (u,) in rows]


# -- 3. /review ------------------------------------------------------------------------------

REVIEWER = MemberRef(GUILD, 1000, "member 0")  # the member with the big deck
OTHERS = 100  # other members with decks of their own, in the same tables


def card_rows(sizes: Sizes, seed: int = 3) -> Iterator[tuple[Any, ...]]:
    """(user, item, state, step, stability, difficulty, due, last_review, reps, lapses):
    reviewed cards whose due dates straddle the clock, some still in learning."""
    rng = random.Random(seed)
    decks = [(REVIEWER.user_id, sizes.cards)]
    decks += [(REVIEWER.user_id + 1 + n, sizes.cards // 10) for n in range(OTHERS)]
    for user, size in decks:
        for i in range(size):
            last = AT - timedelta(seconds=rng.randrange(120 * 86_400))
            stability = rng.lognormvariate(2.5, 1.2)
            learning = rng.random() < 0.1
            interval = timedelta(days=1 if learning else min(stability, 365))
            yield (
                user,
                f"item-{i:05d}",
                1 if learning else 2,
                0 if learning else None,
                stability,
                rng.uniform(1, 10),
                last + interval,
                last,
                rng.randrange(1, 20),
                rng.randrange(0, 3),
            )


def _sqlite_instant(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def load_cards_sqlite(path: Path, sizes: Sizes) -> None:
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO memory_cards (guild_id, user_id, item_id, kind, state, step, stability,"
            f" difficulty, due, last_review, reps, lapses) VALUES ({GUILD}, ?, ?, 'quiz', ?, ?,"
            " ?, ?, ?, ?, ?, ?)",
            (
                (*row[:6], _sqlite_instant(row[6]), _sqlite_instant(row[7]), *row[8:])
                for row in card_rows(sizes)
            ),
        )


def load_cards_postgres(url: str, sizes: Sizes) -> None:
    with psycopg.connect(url) as connection:
        with connection.cursor().copy(
            "COPY memory_cards (guild_id, user_id, item_id, kind, state, step, stability,"
            " difficulty, due, last_review, reps, lapses) FROM STDIN"
        ) as copy:
            for row in card_rows(sizes):
                copy.write_row((GUILD, *row[:2], "quiz", *row[2:]))


_DUE_CARDS = Sql(
    "SELECT item_id, state, step, stability, difficulty, due, last_review, reps, lapses"
    " FROM memory_cards WHERE guild_id = :g AND user_id = :u AND kind = 'quiz' AND due < :end"
)
# Lowest retrievability first, in SQL: FSRS's R = (1 + F·t/S)^C falls as whole days elapsed
# over stability grows (what `retrievability` computes), so ordering by t/S descending is
# ordering by R ascending; cards never reviewed (R = 0) first.
_WEAKEST = Sql(
    "SELECT item_id FROM memory_cards WHERE guild_id = :g AND user_id = :u AND kind = 'quiz'"
    " AND due < :end ORDER BY stability IS NOT NULL, CAST(ROUND((julianday(:at)"
    " - julianday(last_review)) * 86400) AS INTEGER) / 86400 / stability DESC, item_id"
    " LIMIT :limit",
    postgresql="SELECT item_id FROM memory_cards WHERE guild_id = :g AND user_id = :u"
    " AND kind = 'quiz' AND due < :end ORDER BY stability IS NOT NULL,"
    " floor(extract(epoch FROM CAST(:at AS timestamptz) - last_review) / 86400) / stability"
    " DESC, item_id LIMIT :limit",
)


def weakest_in_python(tx: Tx, at: datetime, end: datetime) -> list[str]:
    """The due cards fetched whole, sorted by `memory.retrievability`."""
    params = {"g": GUILD, "u": REVIEWER.user_id, "end": tx.instant(end)}
    cards = []
    for item, state, step, stability, difficulty, due, last, reps, lapses in tx.all(
        _DUE_CARDS, params
    ):
        card = memory.MemoryCard(
            state=int(state),
            step=None if step is None else int(step),
            stability=None if stability is None else float(stability),
            difficulty=None if difficulty is None else float(difficulty),
            due=tx.read_instant(due) or at,
            last_review=tx.read_instant(last),
            reps=int(reps),
            lapses=int(lapses),
        )
        cards.append((memory.retrievability(card, at), str(item)))
    return [item for _r, item in sorted(cards)[:SESSION_MAX]]


def weakest_in_sql(tx: Tx, at: datetime, end: datetime) -> list[str]:
    params = {
        "g": GUILD,
        "u": REVIEWER.user_id,
        "end": tx.instant(end),
        "at": tx.instant(at),
        "limit": SESSION_MAX,
    }
    return [str(item) for (item,) in tx.all(_WEAKEST, params)]


async def time_reviews(database: Database, sizes: Sizes) -> tuple[dict[str, float], bool]:
    """p95 (ms) of /review's queue (most overdue first) and of the two ways to serve the
    lowest retrievability first; and whether those two agree."""
    store = Store(database)
    end = datetime.combine(AT.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    async def queue() -> object:
        return await store.review_queue(REVIEWER, AT, SESSION_MAX, lambda _done: [])

    async def python() -> list[str]:
        return await database.read_tx(lambda tx: weakest_in_python(tx, AT, end))

    async def in_sql() -> list[str]:
        return await database.read_tx(lambda tx: weakest_in_sql(tx, AT, end))

    figures = {}
    for name, call in (
        ("review queue, most overdue first (Store.review_queue)", queue),
        ("review lowest retrievability first, sorted in Python", python),
        ("review lowest retrievability first, ordered in SQL", in_sql),
    ):
        await call()
        samples = []
        for _ in range(sizes.calls):
            began = time.perf_counter()
            await call()
            samples.append(time.perf_counter() - began)
        figures[name] = p95(samples)
    due = await store.review_queue(REVIEWER, AT, SESSION_MAX, lambda _done: [])
    assert len(due.due) == SESSION_MAX, due
    return figures, await python() == await in_sql()


def durable_postgres() -> PostgresServer:
    """tests/pg.py's throwaway server, switched back to PostgreSQL's durability defaults
    (ALTER SYSTEM overrides the test settings; all three take effect on reload)."""
    server = start_postgres()
    server.admin(
        [
            sql.SQL("ALTER SYSTEM SET {} = on").format(sql.Identifier(name))
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        ]
        + [sql.SQL("SELECT pg_reload_conf()")]
    )
    with psycopg.connect(server.url()) as connection:
        shown = {
            name: connection.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        }
    assert all(value == ("on",) for value in shown.values()), shown
    return server


def server_version() -> str:
    from tests.pg import find_bindir

    bindir = find_bindir()
    return "(not installed)" if bindir is None else bindir.parent.name


@dataclass
class Reads:
    """The read figures of one database."""

    loaded: float  # seconds to load events, totals and cards
    figures: dict[str, float]
    same_order: bool  # the two lowest-retrievability orders agree


def reads(
    url: str,
    sizes: Sizes,
    load: Callable[[], None],
    check: bool = False,
    settle: Callable[[], None] | None = None,
) -> Reads:
    """Load the big server and the big deck, then time the boards and /review. `check`: first
    recompute every total from the events (tests/engine_checks.py; slow on big sizes);
    `settle`: run after the load and the rolling window's sums (PostgreSQL's vacuum)."""
    migrate.upgrade(url)
    began = time.perf_counter()
    load()
    database = Database(url)
    try:
        roll_to_today(database)
        if settle is not None:
            settle()
        loaded = time.perf_counter() - began
        if check:
            assert_totals_consistent(database)  # the set-based totals are the engine's totals
        figures = asyncio.run(time_boards(database, sizes))
        more, same = asyncio.run(time_reviews(database, sizes))
        return Reads(loaded, {**figures, **more}, same)
    finally:
        database.close()


def report(backend: str, result: Reads, sizes: Sizes) -> None:
    print(
        f"{backend}: loaded {sizes.members:,} members, {sizes.events:,} XP events and"
        f" {sizes.cards:,} + {OTHERS} x {sizes.cards // 10:,} cards in {result.loaded:.0f} s"
    )
    for name, value in result.figures.items():
        print(f"{backend}: {name} p95 {value:.1f} ms")
    print(f"{backend}: the two lowest-retrievability orders agree: {result.same_order}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    quick = bool(args.quick)
    sizes = QUICK if quick else FULL
    print(
        f"{sizes.answers:,} answers by {sizes.concurrency} members at once (median of"
        f" {ROUNDS} runs); boards of"
        f" {sizes.members:,} members and {sizes.events:,} XP events; a deck of {sizes.cards:,}"
        f" cards; {sizes.calls} calls a read figure. PostgreSQL {server_version()} with fsync"
        " on, synchronous_commit on (its defaults), on loopback TCP, tables vacuumed after"
        " the bulk load (as autovacuum would); SQLite"
        f" {sqlite3.sqlite_version} in WAL, synchronous=NORMAL."
    )
    with tempfile.TemporaryDirectory() as folder:
        got = sqlite_answers(Path(folder), sizes)
        print(
            f"sqlite: {got.rate:.0f} answers/s (ceiling {got.ceiling:.0f}/s,"
            f" ratio {got.rate / got.ceiling:.2f})"
        )
        print(
            f"sqlite: the ceiling's statements in one transaction per {sizes.concurrency}"
            f" answers: {got.batched:.0f}/s; the replays wrote the same rows as the store:"
            f" {got.same}"
        )
        path = Path(folder) / "reads.db"

        def load_sqlite_all() -> None:
            load_sqlite(path, sizes)
            load_cards_sqlite(path, sizes)

        report("sqlite", reads(f"sqlite:///{path}", sizes, load_sqlite_all, quick), sizes)
    server = durable_postgres()
    try:
        got = postgres_answers(server, sizes)
        print(f"postgresql: {got.rate:.0f} answers/s (fsync on, synchronous_commit on)")
        print(
            f"postgresql: the same statements on bare psycopg, {sizes.concurrency} answers a"
            f" transaction: {got.batched:.0f}/s waiting for each, {got.pipelined:.0f}/s"
            " pipelined"
        )
        url = server.create_database("reads")

        def load_postgres_all() -> None:
            load_postgres(url, sizes)
            load_cards_postgres(url, sizes)

        result = reads(url, sizes, load_postgres_all, quick, lambda: vacuum(url))
        report("postgresql", result, sizes)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
