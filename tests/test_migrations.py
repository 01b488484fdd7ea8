"""The schema changes only through migrations: they must build exactly the models, on both
backends, undo cleanly, and keep the column types' promises (64-bit ids, UTC instants)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel

from bot.settings import ROOT
from bot.storage import migrate
from bot.storage.db import Database, DatabaseUnavailable, make_engine
from bot.storage.models import Member, XpEvent
from bot.storage.portfolio import PortfolioProject  # noqa: F401  (its tables on the metadata)

HEAD = "0007"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def member(guild_id: int, user_id: int) -> Member:
    return Member(guild_id=guild_id, user_id=user_id, display_name="ada", created_at=NOW)


def test_upgrade_builds_exactly_the_models(empty_url: str) -> None:
    assert migrate.current(empty_url) is None
    migrate.upgrade(empty_url)
    assert table_names(empty_url) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert migrate.current(empty_url) == HEAD
    assert migrate.check(empty_url) == []


def test_downgrade_to_base_and_back(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")
    assert table_names(empty_url) <= {"alembic_version"}
    assert migrate.current(empty_url) is None
    assert migrate.check(empty_url) == [
        f"database is at no revision, the migrations end at {HEAD}: upgrade"
    ]
    migrate.upgrade(empty_url)
    assert migrate.current(empty_url) == HEAD
    assert migrate.check(empty_url) == []


def test_check_reports_drift_as_readable_lines(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE runs")
            connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
            if connection.dialect.name == "postgresql":  # SQLite cannot change a column's type
                connection.exec_driver_sql(
                    "ALTER TABLE members ALTER COLUMN display_name TYPE varchar(50)"
                )
    finally:
        engine.dispose()
    drift = migrate.check(db_url)
    assert "add table runs" in drift
    assert "remove table stray" in drift
    if db_url.startswith("postgresql"):
        assert "change type of members.display_name: VARCHAR(50) -> VARCHAR(100)" in drift
    assert all("\n" not in line for line in drift)


def test_big_discord_ids_round_trip(db_url: str) -> None:
    big = 2**62
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            session.add(member(big, big + 1))
            session.commit()
        with Session(engine) as session:
            row = session.exec(select(Member).where(Member.guild_id == big)).one()[0]
            assert (row.guild_id, row.user_id) == (big, big + 1)
    finally:
        engine.dispose()


async def test_naive_datetime_is_refused(database: Database) -> None:
    naive = datetime(2026, 3, 29, 0, 30)  # no tzinfo: which instant would that be?
    event = XpEvent(guild_id=1, user_id=2, reason="quiz", ref="q1", amount=5, at=naive)
    with pytest.raises(StatementError, match="naive datetime"):
        await database.write(lambda session: session.add(event))
    assert await database.read(lambda s: s.exec(select(XpEvent)).all()) == []


async def test_aware_instant_reads_back_as_the_same_instant_in_utc(database: Database) -> None:
    local = datetime(2026, 3, 29, 2, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-7)))
    event = XpEvent(guild_id=1, user_id=2, reason="quiz", ref="q1", amount=5, at=local)
    await database.write(lambda session: session.add(event))

    stored = await database.read(lambda s: s.exec(select(XpEvent.at)).one()[0])
    assert stored == local
    assert stored.tzinfo is UTC
    assert stored.replace(tzinfo=None) == datetime(2026, 3, 29, 9, 30, 15, 123456)


def test_ensure_schema_upgrades_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'studybot.db'}"  # the folder does not exist yet
    assert migrate.ensure_schema(url) is True
    assert migrate.ensure_schema(url) is False
    assert migrate.current(url) == HEAD


def test_ensure_schema_from_two_processes_at_once_on_postgresql(pg_url: str) -> None:
    """Bot and console started together: one migrates, the other waits and finds it done.

    Separate processes, as in production (alembic's `op`/`context` are process globals, so
    threads would not be a fair stand-in), killed if they hang.
    """
    code = "import sys; from bot.storage import migrate; print(migrate.ensure_schema(sys.argv[1]))"
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code, pg_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for process in starts:
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 0
            outputs.append(out.strip())
    finally:
        for process in starts:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert sorted(outputs) == ["False", "True"]
    assert migrate.check(pg_url) == []


def test_ensure_schema_refuses_tables_without_history(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    with pytest.raises(migrate.MigrationError, match="no migration history"):
        migrate.ensure_schema(sqlite_url)


@pytest.mark.parametrize(
    "operation",
    [migrate.upgrade, migrate.current, migrate.check, migrate.ensure_schema],
    ids=lambda operation: operation.__name__,
)
def test_unreachable_database_is_one_line_naming_it(operation: object) -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        operation(UNREACHABLE)  # type: ignore[operator]
    message = str(raised.value)
    assert UNREACHABLE in message
    assert "\n" not in message


def test_unreachable_message_hides_the_password() -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        migrate.current("postgresql://postgres:hunter2@127.0.0.1:1/x")
    assert "hunter2" not in str(raised.value)
    assert "postgresql://postgres:***@127.0.0.1:1/x" in str(raised.value)


def test_alembic_command_line_uses_the_bots_url(tmp_path: Path) -> None:
    """`alembic upgrade head` at the repo root migrates what the bot would open."""
    bots = tmp_path / "bot.db"
    other = tmp_path / "other.db"
    env = {**os.environ, "STUDYBOT_DATABASE_URL": f"sqlite:///{bots}"}

    def alembic(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "alembic", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    upgraded = alembic("upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert migrate.current(f"sqlite:///{bots}") == HEAD

    checked = alembic("-x", f"url=sqlite:///{other}", "upgrade", "head")
    assert checked.returncode == 0, checked.stderr
    assert migrate.current(f"sqlite:///{other}") == HEAD

    clean = alembic("check")
    assert clean.returncode == 0, clean.stderr
    assert "No new upgrade operations detected." in clean.stdout
