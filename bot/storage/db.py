"""The async face of a sync engine.

Measured here (see the issue notes): recording one quiz answer ran at ~250/s through
SQLAlchemy's async engine on aiosqlite, ~1,500/s through a sync engine. So callers await,
while a sync engine does the work in threads: for SQLite one writer thread owns the only
writing connection (WAL lets readers run beside it); PostgreSQL gets a pooled psycopg engine
and a thread per pooled connection. Each unit of work is one function of a `Session` run in
one transaction: one thread hop per use case, not per statement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.storage.urls import is_sqlite, normalise_url

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message names it in one line."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(raw_url: str | URL, pool_size: int = 5) -> Engine:
    url = normalise_url(raw_url) if isinstance(raw_url, str) else raw_url
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            folder = Path(url.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                shown = url.render_as_string(hide_password=True)
                raise DatabaseUnavailable(f"cannot reach {shown}: {error.strerror}") from None
        # Pooled: opening a connection (and setting WAL) per transaction cost more than the work.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 5},
            pool_size=pool_size + 1,
            max_overflow=0,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True)


class Database:
    """Runs units of work off the event loop: `await db.write(fn)` / `await db.read(fn)`."""

    def __init__(self, url: str | URL, pool_size: int = 4) -> None:
        self.url = normalise_url(url) if isinstance(url, str) else url
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.sqlite = is_sqlite(self.url)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._readers = (
            ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="db-reader")
            if self.sqlite
            else self._writer
        )
        # Units of work handed to a thread: a use case should cost one (bench/discord.py).
        self.hops = 0
        if not self.sqlite:
            # PostgreSQL serialises conflicting writers itself; use the whole pool.
            self._writer = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="db")
            self._readers = self._writer

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def ping(self) -> None:
        """Fail early, in one line, when the database cannot be reached."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise DatabaseUnavailable(f"cannot reach {self.display_url}: {reason}") from None

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """One transaction, committed when `work` returns, rolled back when it raises."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    async def write(self, work: Callable[[Session], T]) -> T:
        self.hops += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self.run_sync, work)

    async def read(self, work: Callable[[Session], T]) -> T:
        self.hops += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.run_sync, work)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        if self._readers is not self._writer:
            self._readers.shutdown(wait=True)
        self.engine.dispose()
