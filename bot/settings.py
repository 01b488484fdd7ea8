"""Settings from the environment (`STUDYBOT_*`) and `.env`, checked once at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
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
