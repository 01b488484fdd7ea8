"""Alembic environment: the bot's own database URL, the SQLModel tables as the target.

Run from the `alembic` command line (URL from `-x url=...`, else `STUDYBOT_DATABASE_URL` /
`.env` through `bot.settings`) or from `bot.storage.migrate`, which passes an open connection in
`config.attributes["connection"]` (or a URL in `config.attributes["url"]`).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlmodel import SQLModel

# Imported for their side effect: every table registers itself on SQLModel.metadata.
import bot.storage.models
import bot.storage.portfolio  # noqa: F401  (the portfolio board keeps its tables in its room)
from bot.settings import load_settings
from bot.storage.db import make_engine
from bot.storage.types import UTCDateTime
from bot.storage.urls import is_sqlite, normalise_url

config = context.config

# Only the command line configures logging; the bot keeps its own when it migrates in-process.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> URL:
    """The URL given by the caller, else the one the bot would use, on our one driver."""
    raw = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if raw is None:
        raw = load_settings().database_url
    return normalise_url(raw) if isinstance(raw, str) else raw


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write our column types so that generated revisions import and run as they are."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from bot.storage.types import UTCDateTime")
        return "UTCDateTime()"
    return False


# Indexes with a descending column: SQLite's reflection drops the DESC, so autogenerate would
# always see a difference. They are left out of the comparison; tests/test_engine_store.py
# checks they exist and that the boards' queries use them.
DESCENDING_INDEXES = frozenset({"ix_xp_total_board"})


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    return not (kind == "index" and name in DESCENDING_INDEXES)


def options(sqlite: bool) -> dict[str, Any]:
    """One set of options for online, offline and `alembic check`, so they agree on drift."""
    return {
        "target_metadata": SQLModel.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": sqlite,
        "compare_type": True,
        "render_item": render_item,
        "include_object": include_object,
    }


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: print the DDL for the URL's dialect instead of running it."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **options(is_sqlite(url)),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    """Migrate over one connection; alembic owns the transaction."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode drops and renames tables; with foreign keys enforced, dropping a parent
        # table would delete or reject its children. The pragma only works outside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, **options(sqlite))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection if there is one, else open the bot's database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
