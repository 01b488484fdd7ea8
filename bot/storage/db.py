"""The async face of a sync engine, and the group-commit writer behind every write.

Measured here (see the issue notes): recording one quiz answer ran at ~250/s through
SQLAlchemy's async engine on aiosqlite, ~1,500/s through a sync engine with one transaction
per answer. So callers await while sync drivers do the work in threads, and writes share
transactions:

- One writer thread owns one connection. Units of work queue up while it is busy; it takes
  everything waiting (up to `MAX_BATCH`) as one batch, runs each unit inside its own
  SAVEPOINT of one transaction, and commits once. A unit that raises is rolled back to its
  savepoint alone and its caller gets the exception; the others commit. One commit (one WAL
  write, one fsync on PostgreSQL) pays for the whole batch, and nothing waits on purpose: a
  lone unit is a batch of one.
- A unit is one thread hop out and one back (the results of a batch go back to each event
  loop in one callback). It sees a `Tx`: raw DB-API statements through the driver (prepared
  and cached by sqlite3 and psycopg) for the hot path, or a SQLAlchemy `Session` on the same
  connection for code written against the ORM.
- If the batch as a whole fails (the commit, or a savepoint that cannot be rolled back), the
  units that had not failed on their own are run again, each alone, so one unit's fault
  never becomes another's.

SQLite gets `BEGIN IMMEDIATE` (the write lock up front: no deadlock upgrading a read lock
when another process writes too); readers run beside the writer in WAL mode. PostgreSQL gets
the same single writer per process: members of a server are written by the process that owns
the server, so nothing is gained by racing our own writes against each other, and row locks
taken in a batch can never deadlock with a second writer of ours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.storage.urls import is_sqlite, normalise_url

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 128  # units in one transaction at most: bounds one batch's latency


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message names it in one line."""


class DatabaseClosed(RuntimeError):
    """A write was submitted after `Database.close()`."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_writer_connect(dbapi_connection: Any, record: Any) -> None:
    """The writer issues its own BEGIN (IMMEDIATE) and SAVEPOINTs: the driver must not."""
    _sqlite_pragmas(dbapi_connection, record)
    dbapi_connection.isolation_level = None


def _sqlite_writer_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(raw_url: str | URL, pool_size: int = 5, writer: bool = False) -> Engine:
    """An engine on our one driver per backend. `writer`: the group-commit writer's own
    engine (one connection; on SQLite, explicit `BEGIN IMMEDIATE` transactions)."""
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
            connect_args={"check_same_thread": False, "timeout": 5, "cached_statements": 256},
            pool_size=1 if writer else pool_size + 1,
            max_overflow=0,
        )
        if writer:
            event.listen(engine, "connect", _sqlite_writer_connect)
            event.listen(engine, "begin", _sqlite_writer_begin)
        else:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, pool_size=1 if writer else pool_size, max_overflow=0, pool_pre_ping=True
    )


# -- statements and values through the driver --------------------------------------------


class Sql:
    """One statement written once with `:name` parameters, in each driver's own paramstyle.

    The hot path runs these on the raw DB-API cursor: sqlite3 keeps a cache of prepared
    statements per connection, psycopg prepares a statement on the server once it has run a
    few times. Building a SQLAlchemy statement per answer cost more than running it.
    `postgresql` is a variant text for PostgreSQL where the two differ (locking clauses).
    """

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, statement: str, postgresql: str | None = None) -> None:
        self.sqlite = statement
        self.postgresql = _pyformat(postgresql if postgresql is not None else statement)

    def __repr__(self) -> str:
        return f"Sql({self.sqlite!r})"


def _pyformat(statement: str) -> str:
    """`:name` → `%(name)s` outside quotes; `::` casts are left alone."""
    out: list[str] = []
    i, quoted = 0, False
    while i < len(statement):
        char = statement[i]
        if char == "'":
            quoted = not quoted
        elif char == "%" and not quoted:
            out.append("%%")
            i += 1
            continue
        elif char == ":" and not quoted:
            if statement.startswith("::", i):
                out.append("::")
                i += 2
                continue
            j = i + 1
            while j < len(statement) and (statement[j].isalnum() or statement[j] == "_"):
                j += 1
            if j > i + 1:
                out.append(f"%({statement[i + 1 : j]})s")
                i = j
                continue
        out.append(char)
        i += 1
    return "".join(out)


_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes, so both read each other


def _sqlite_instant(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
    return value.astimezone(UTC).strftime(_SQLITE_INSTANT)


def _sqlite_read_instant(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_read_day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _pg_instant(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
    return value


def _pg_read_instant(value: Any) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _same(value: Any) -> Any:
    return value


_SAVEPOINT = Sql("SAVEPOINT unit")
_RELEASE = Sql("RELEASE SAVEPOINT unit")


class Tx:
    """What a unit of work sees: the batch's transaction, inside the unit's own savepoint.

    `one`/`all`/`run` execute `Sql` on the raw driver cursor; values go in through `instant`
    and `day` and come out through `read_instant` and `read_day` (SQLite keeps them as text).
    `send` is for a statement whose result the unit never reads: on PostgreSQL it waits and
    goes out with the next statement that is read, in one pipeline (psycopg's pipeline mode),
    so an answer costs a round trip per read, not per statement (12.9 → 7.8 round trips an
    answer; bench/engine.py: about +8% answers/s, interleaved runs). Everything sent is
    flushed before the unit ends, so its errors stay its own. `session()` is a SQLAlchemy
    Session on the same connection, for ORM-shaped work (it flushes what was sent first).
    """

    __slots__ = (
        "_driver",
        "_session",
        "_unit_start",
        "connection",
        "cursor",
        "day",
        "instant",
        "pending",
        "read_day",
        "read_instant",
        "sqlite",
    )

    def __init__(self, connection: Connection, sqlite: bool) -> None:
        self.connection = connection
        self.sqlite = sqlite
        raw = connection.connection.driver_connection
        assert raw is not None
        self._driver: Any = raw
        self.cursor: Any = raw.cursor()
        self._session: Session | None = None
        self.pending: list[tuple[str, dict[str, Any]]] = []  # PostgreSQL: sent, not yet flushed
        self._unit_start = 0
        if sqlite:
            self.instant: Callable[[datetime | None], Any] = _sqlite_instant
            self.read_instant: Callable[[Any], datetime | None] = _sqlite_read_instant
            self.day: Callable[[date | None], Any] = _sqlite_day
            self.read_day: Callable[[Any], date | None] = _sqlite_read_day
        else:
            self.instant = _pg_instant
            self.read_instant = _pg_read_instant
            self.day = _same
            self.read_day = _same

    def text(self, statement: Sql) -> str:
        return statement.sqlite if self.sqlite else statement.postgresql

    def _execute(self, text: str, params: dict[str, Any]) -> None:
        """Run one statement, after whatever was sent before it, in one round trip."""
        cursor = self.cursor
        if not self.pending:
            cursor.execute(text, params)
            return
        pending, self.pending = self.pending, []
        with self._driver.pipeline():
            for waiting, values in pending:
                cursor.execute(waiting, values)
            cursor.execute(text, params)
        # Leaving the pipeline waited for every result: the cursor holds the last one.

    def one(self, statement: Sql, params: dict[str, Any] | None = None) -> Any:
        """The first row (a tuple), or None."""
        self._execute(statement.sqlite if self.sqlite else statement.postgresql, params or {})
        return self.cursor.fetchone()

    def all(self, statement: Sql, params: dict[str, Any] | None = None) -> list[Any]:
        self._execute(statement.sqlite if self.sqlite else statement.postgresql, params or {})
        return list(self.cursor.fetchall())

    def run(self, statement: Sql, params: dict[str, Any] | None = None) -> int:
        """Execute; the number of rows it changed."""
        self._execute(statement.sqlite if self.sqlite else statement.postgresql, params or {})
        return int(self.cursor.rowcount)

    def send(self, statement: Sql, params: dict[str, Any] | None = None) -> None:
        """Execute a statement whose result is never read (see the class's docstring)."""
        if self.sqlite:
            self.cursor.execute(statement.sqlite, params or {})
        else:
            self.pending.append((statement.postgresql, params or {}))

    def many(self, statement: Sql, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.flush()
            self.cursor.executemany(self.text(statement), rows)

    def raw(self, statement: str) -> None:
        self.flush()
        self.cursor.execute(statement)

    def flush(self) -> None:
        """Send what waits now (one round trip); errors in it surface here."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        with self._driver.pipeline():
            for waiting, values in pending:
                self.cursor.execute(waiting, values)

    def session(self) -> Session:
        """A Session joined to this transaction (inside a savepoint of its own)."""
        self.flush()
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
        return self._session

    def _begin_unit(self) -> None:
        self._unit_start = len(self.pending)  # what is queued before it is the writer's

    def _finish(self, ok: bool) -> None:
        """Flush (or drop) the unit's statements and Session before its savepoint ends."""
        if not ok:
            del self.pending[self._unit_start :]  # the unit's own: rolled back anyway
        self.flush()
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if ok:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()


# -- the group-commit writer ---------------------------------------------------------------


@dataclass(eq=False)
class _Job:
    work: Callable[[Tx], Any]
    loop: asyncio.AbstractEventLoop | None
    future: Any  # asyncio.Future on `loop`, or a concurrent.futures.Future for sync callers
    result: Any = None
    error: BaseException | None = None
    done: bool = field(default=False)


def _settle(jobs: Iterable[_Job]) -> None:
    """On the caller's loop: hand each job's outcome to its awaiting task."""
    for job in jobs:
        if job.future.done():
            continue  # the caller gave up (cancelled); the unit's outcome stands
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)


class GroupWriter:
    """One thread, one connection: batches of units, one transaction, a savepoint each."""

    def __init__(self, engine: Engine, sqlite: bool, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.sqlite = sqlite
        self.max_batch = max_batch
        self.batches = 0  # transactions committed, for benches and tests
        self.units = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._connection: Connection | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Tx], T]) -> asyncio.Future[T]:
        if self._closed:
            raise DatabaseClosed("the database is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, loop, future))
        return future

    def submit_sync(self, work: Callable[[Tx], T]) -> T:
        """For code without an event loop (command line, benches): wait in this thread."""
        from concurrent.futures import Future

        if self._closed:
            raise DatabaseClosed("the database is closed")
        future: Future[T] = Future()
        self._queue.put(_Job(work, None, future))
        return future.result()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    # -- the thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                batch = [job]
                stop = False
                while len(batch) < self.max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
                self._run(batch)
                self._deliver(batch)
                if stop:
                    return
        finally:
            self._drop_connection()

    def _deliver(self, batch: list[_Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            if job.loop is None:
                if job.error is not None:
                    job.future.set_exception(job.error)
                else:
                    job.future.set_result(job.result)
            else:
                by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, jobs)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect()
        return self._connection

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except Exception:  # the connection is being thrown away anyway
                log.debug("closing a broken writer connection failed", exc_info=True)

    def _run(self, batch: list[_Job]) -> None:
        try:
            self._transaction(batch)
        except Exception as error:
            # The batch as a whole failed: nothing of it was committed. Units that failed on
            # their own keep their own error; every other unit is run again, alone.
            log.warning(
                "a write batch of %d failed (%s); running its units alone", len(batch), error
            )
            self._drop_connection()
            for job in batch:
                if job.error is not None and job.done:
                    continue
                job.error, job.result, job.done = None, None, False
                try:
                    self._transaction([job])
                except Exception as alone:
                    self._drop_connection()
                    job.error = job.error or alone
        else:
            self.batches += 1
        self.units += len(batch)

    def _transaction(self, jobs: list[_Job]) -> None:
        connection = self._connect()
        with connection.begin():
            tx = Tx(connection, self.sqlite)
            cursor = tx.cursor
            # The savepoints go out with each unit's first statement on PostgreSQL (`send`):
            # no round trip of their own.
            tx.send(_SAVEPOINT)
            for index, job in enumerate(jobs):
                tx._begin_unit()
                try:
                    job.result = job.work(tx)
                    tx._finish(ok=True)
                except Exception as error:
                    job.error = error
                    job.done = True  # its own failure: final, whatever happens to the batch
                    try:
                        tx._finish(ok=False)
                    finally:
                        cursor.execute("ROLLBACK TO SAVEPOINT unit")
                tx.send(_RELEASE)
                if index + 1 < len(jobs):
                    tx.send(_SAVEPOINT)
            tx.flush()
            cursor.close()


class Database:
    """Runs units of work off the event loop: `await db.write(fn)` / `await db.read(fn)`.

    `write(fn)` takes a function of a SQLAlchemy Session; `unit(fn)` a function of a `Tx`
    (the raw cursor). Both go through the group-commit writer and run in one savepoint of a
    shared transaction. Reads run in a pool of reader threads, one transaction each.
    """

    def __init__(self, url: str | URL, pool_size: int = 4) -> None:
        self.url = normalise_url(url) if isinstance(url, str) else url
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.sqlite = is_sqlite(self.url)
        self.writer = GroupWriter(make_engine(self.url, writer=True), self.sqlite)
        self._readers = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="db-reader")
        # Units of work handed to a thread: a use case should cost one (bench/discord.py).
        self.hops = 0

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
        """One transaction of its own, committed when `work` returns, rolled back when it
        raises; in the calling thread (command line, benches, test setup)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    def read_sync(self, work: Callable[[Tx], T]) -> T:
        """A `Tx` unit on a reader connection, in the calling thread (one transaction)."""
        with self.engine.connect() as connection, connection.begin():
            return work(Tx(connection, self.sqlite))

    def unit_sync(self, work: Callable[[Tx], T]) -> T:
        """A `Tx` unit through the writer, waiting in the calling thread (no event loop)."""
        return self.writer.submit_sync(work)

    async def unit(self, work: Callable[[Tx], T]) -> T:
        """A write unit of work on the raw cursor, batched with whatever else is waiting."""
        self.hops += 1
        return await self.writer.submit(work)

    async def write(self, work: Callable[[Session], T]) -> T:
        """A write unit of work on a SQLAlchemy Session, batched like `unit`."""
        self.hops += 1
        return await self.writer.submit(lambda tx: work(tx.session()))

    async def read(self, work: Callable[[Session], T]) -> T:
        self.hops += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.run_sync, work)

    async def read_tx(self, work: Callable[[Tx], T]) -> T:
        """A read on the raw cursor, in a reader thread."""
        self.hops += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.read_sync, work)

    def close(self) -> None:
        self.writer.close()
        self._readers.shutdown(wait=True)
        self.writer.engine.dispose()
        self.engine.dispose()
