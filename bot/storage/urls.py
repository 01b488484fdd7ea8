"""Database URLs as people write them, mapped to the one driver per backend that we run."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_SQLITE = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES = {
    "postgres",
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
    "postgresql+pg8000",
}


def normalise_url(raw: str) -> URL:
    """Accept the usual SQLite and PostgreSQL spellings; run them on pysqlite or psycopg 3.

    The storage layer runs a sync engine in worker threads (see `bot/storage/db.py`), so async
    driver names in a URL are read as a choice of database, not of driver.
    """
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ValueError(f"cannot read database URL {raw!r}") from None
    if url.drivername in _SQLITE:
        return url.set(drivername="sqlite")
    if url.drivername in _POSTGRES:
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(
        f"unsupported database {url.drivername!r} in {url.render_as_string(hide_password=True)}; "
        "use sqlite:///path or postgresql://user@host/db"
    )


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"
