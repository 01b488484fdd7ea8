"""A process that answers quiz questions as fast as it can until it is killed.

tests/test_engine_crash.py starts it on a SQLite file, waits for "answering", and SIGKILLs it
at a seeded random moment: whatever batch of units was in flight dies with it, and the test
checks that the database holds every answer whole or not at all.

    python -m tests.engine_answerer URL START_ISO SEED
"""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import datetime, timedelta

from bot.domain.values import MemberRef
from bot.storage.db import Database
from tests.support import answer_item, make_services

GUILD = 7
MEMBERS = 20
STEP = timedelta(minutes=2)  # the injected clock moves on with each answer: days go by
DAYS = 4
LIMIT = DAYS * 24 * 30  # answers at most: START + DAYS bounds every stamp
ITEMS = ("alg-choice", "alg-number", "alg-word")


async def answer_until_killed(url: str, start: datetime, seed: int) -> None:
    database = Database(url)
    services, clock = make_services(database, start)
    rng = random.Random(seed)
    left = iter(range(LIMIT))

    async def member(n: int) -> None:
        who = MemberRef(GUILD, 100 + n, f"member {n}")
        for k in left:
            clock.advance(STEP)
            item = ITEMS[k % len(ITEMS)]
            await answer_item(services, who, item, seed=k, right=rng.random() < 0.7)

    print("answering", flush=True)
    await asyncio.gather(*(member(n) for n in range(MEMBERS)))
    print("done", flush=True)
    await asyncio.sleep(60)  # finished before the kill: wait for it (bounded if it never comes)


def main() -> None:
    url, start, seed = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
    asyncio.run(answer_until_killed(url, start, seed))


if __name__ == "__main__":
    main()
