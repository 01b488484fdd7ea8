"""How many quiz answers a second the storage layer records, on SQLite and on PostgreSQL.

Each answer is the real `Store.record_answer` unit of work (member upsert, attempt, XP event,
review card, activity day, totals: one transaction, one thread hop), driven by 50 concurrent
tasks the way a busy server's interactions arrive. Prints answers/s; asserts nothing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.store import AnswerRecord, MemberRef, Store

ANSWERS = 3000
CONCURRENCY = 50


async def measure(url: str) -> float:
    migrate.upgrade(url)
    db = Database(url)
    store = Store(db)
    start_at = datetime(2026, 11, 23, 12, tzinfo=UTC)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(ANSWERS):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            who = MemberRef(guild_id=1, user_id=n % 200, display_name=f"member{n % 200}")
            at = start_at + timedelta(seconds=n)
            await store.record_answer(
                who,
                AnswerRecord(
                    f"item{n % 40}:{n}",
                    f"item{n % 40}",
                    "numpy",
                    n,
                    "2",
                    n % 3 > 0,
                    5,
                    at,
                    at.date(),
                ),
            )

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - began
    db.close()
    return ANSWERS / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rate = asyncio.run(measure(f"sqlite:///{folder}/bench.db"))
        print(f"SQLite (WAL, one writer thread): {rate:,.0f} answers/s")
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
