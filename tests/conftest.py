"""Shared fixtures: databases on both backends, so every storage-touching test runs on both.

`db_url` / `database` are what service tests use. PostgreSQL is a throwaway server started once
per session (tests/pg.py) and only when a test asks for it; it is skipped, with the reason, on a
machine without the binaries, and fails instead in CI (tests/ci.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from bot.adapters.console.session import ConsoleSession
from bot.storage import migrate
from bot.storage.db import Database
from tests.ci import unavailable
from tests.pg import PostgresServer, PostgresUnavailable, start_postgres

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the session; stopped and deleted even when tests fail."""
    try:
        server = start_postgres()
    except PostgresUnavailable as reason:
        unavailable(str(reason))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new empty PostgreSQL database for one test, dropped (FORCE) afterwards."""
    name = f"test_{uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet, in the test's own temp dir."""
    return f"sqlite:///{tmp_path / 'studybot.db'}"


def _blank(request: pytest.FixtureRequest, backend: str) -> str:
    """An empty database on `backend`; PostgreSQL is only started when asked for."""
    return str(request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url"))


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def empty_url(request: pytest.FixtureRequest) -> str:
    """An empty, never migrated database, once on SQLite and once on PostgreSQL."""
    return _blank(request, request.param)


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database migrated to head, once on SQLite and once on PostgreSQL.

    One backend only: `@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)`.
    """
    url = _blank(request, request.param)
    migrate.upgrade(url)
    return url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """`Database` on `db_url`, closed after the test.

    A plain fixture on purpose: it needs no event loop itself (`Database` hops to its own
    threads), so sync and async tests alike can take it without loop-scope trouble.
    """
    db = Database(db_url)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(autouse=True)
def console_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pictures and files a console session saves go to the test's own folder, not /tmp."""
    folder = tmp_path / "console-files"
    monkeypatch.setattr(ConsoleSession, "default_files", staticmethod(lambda: folder))
    return folder
