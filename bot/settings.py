"""Settings from the environment (`STUDYBOT_*`) and `.env`, checked once at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ValidationError, field_validator
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
