"""Settings from the environment (`STUDYBOT_*`) and `.env`, checked once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "studybot.db"


class SettingsError(Exception):
    """A setting has a value we cannot use; the message is one line for the user."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STUDYBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = f"sqlite:///{DEFAULT_DB}"
    discord_token: str = ""
    content_dir: Path = ROOT / "content"
    quizzes_dir: Path = ROOT / "quizzes"
    runner_url: str = ""
    # Another REST base / gateway for discord.py (a REST proxy in big deployments, a fake in tests).
    discord_api_base: str = ""
    discord_gateway_url: str = ""
    # Register the slash commands when the bot starts: `off`, `global` or `guild:ID`.
    sync_on_start: str = "off"
    # How long discord.py waits for more servers before `ready` (a few servers: lower is fine).
    discord_guild_ready_timeout: float = Field(default=2.0, gt=0, le=60)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # One bot as several processes (Discord's sharding): how many shards in all, and which
    # this process runs (`0,1`). Each process schedules only its shards' servers.
    shard_count: int | None = Field(default=None, ge=1, le=4096)
    shard_ids: str = ""
    # Timed posts: off for a process that should only answer (its shards' posts go nowhere).
    scheduler: bool = True
    # How long a claimed post belongs to the process that claimed it before another may check
    # the channel and take it over (a crash between claiming and recording, say).
    delivery_lease_seconds: float = Field(default=120.0, gt=0, le=3600)

    @property
    def shards(self) -> tuple[int, tuple[int, ...]]:
        """(count, ids) this process runs; (1, (0,)) unsharded."""
        count = self.shard_count or 1
        ids = tuple(int(x) for x in self.shard_ids.split(",") if x.strip()) or tuple(range(count))
        return count, ids

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        count, ids = self.shards
        if self.shard_ids and self.shard_count is None:
            raise ValueError("STUDYBOT_SHARD_IDS needs STUDYBOT_SHARD_COUNT too")
        if any(i >= count for i in ids):
            raise ValueError(f"shard ids {list(ids)} must each be below the shard count {count}")
        return self

    @field_validator("shard_ids")
    @classmethod
    def _shard_list(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"\d{1,4}(\s*,\s*\d{1,4})*", value):
            raise ValueError(f"{value!r} is not a list of shard numbers like 0,1")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("runner_url")
    @classmethod
    def _known_runner(cls, value: str) -> str:
        from bot.runner.client import backend_from_url

        backend_from_url(value)  # raises ValueError naming what is accepted
        return value

    @field_validator("discord_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL like https://discord.com/api/v10")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^wss?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not a ws(s) URL like wss://gateway.discord.gg/")
        return value

    @field_validator("sync_on_start")
    @classmethod
    def _sync_target(cls, value: str) -> str:
        value = value.strip().lower()
        if value in ("off", "global") or re.fullmatch(r"guild:\d{1,20}", value):
            return value
        raise ValueError(f"{value!r} is not one of off, global or guild:ID (a server id)")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        from bot.storage.urls import normalise_url

        normalise_url(value)  # raises ValueError with a readable message
        return value


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise `SettingsError` with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "STUDYBOT_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
