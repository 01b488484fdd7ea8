"""How many quiz answers a second the storage layer records, on SQLite and on PostgreSQL.

Each answer is the real `Store.answer_step` unit of work of a quiz click (the run read and
moved on, attempt, XP event, review card, study day, member totals: one transaction, one
thread hop), driven by 50 concurrent tasks the way a busy server's interactions arrive. The
runs are made before the clock starts. Prints answers/s; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.values import Judged, MemberRef, RunState
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.store import Store

ANSWERS = 3000
CONCURRENCY = 50


class InlineDatabase(Database):
    """Runs each unit of work in the calling thread: the cost of the SQL path alone."""

    async def write(self, work):  # type: ignore[no-untyped-def, override]
        return self.run_sync(work)


def member(n: int) -> MemberRef:
    return MemberRef(guild_id=1, user_id=n % 200, display_name=f"member{n % 200}")


def judge(run: RunState) -> Judged:
    item, seed = run.current()
    return Judged(item, "numpy", seed, "2", seed % 3 > 0, 5)


async def runs(store: Store, start_at: datetime) -> list[int]:
    made = []
    for n in range(ANSWERS):
        run = await store.start_run(member(n), "topic", "numpy", [(f"item{n % 40}", n)], start_at)
        made.append(run.id)
    return made


async def measure_inline(url: str) -> float:
    migrate.upgrade(url)
    db = InlineDatabase(url)
    store = Store(db)
    start_at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    made = await runs(store, start_at)
    began = time.perf_counter()
    for n, run_id in enumerate(made):
        await store.answer_step(member(n), run_id, 0, start_at + timedelta(seconds=n), judge)
    elapsed = time.perf_counter() - began
    db.close()
    return ANSWERS / elapsed


async def measure(url: str) -> float:
    migrate.upgrade(url)
    db = Database(url)
    store = Store(db)
    start_at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    made = await runs(store, start_at)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(ANSWERS):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            at = start_at + timedelta(seconds=n)
            await store.answer_step(member(n), made[n], 0, at, judge)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - began
    db.close()
    return ANSWERS / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rate = asyncio.run(measure_inline(f"sqlite:///{folder}/inline.db"))
        print(f"SQLite, one thread, the SQL path alone: {rate:,.0f} answers/s")
        rate = asyncio.run(measure(f"sqlite:///{folder}/bench.db"))
        print(f"SQLite (WAL, one writer thread, 50 concurrent tasks): {rate:,.0f} answers/s")
    from tests.pg import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as reason:
        print(f"PostgreSQL: skipped ({reason})")
        return
    try:
        url = server.create_database("bench")
        rate = asyncio.run(measure(url))
        print(f"PostgreSQL (psycopg pool of 4, fsync off): {rate:,.0f} answers/s")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
