"""Discord-shaped answers shared by the fake's routes: JSON bodies and error responses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.models import RecordedRequest

#: Where the fake keeps a request's `RecordedRequest` (parsed body included) for its handler.
RECORD = web.RequestKey("record", RecordedRequest)


class DiscordError(Exception):
    """Raised inside handlers to answer with a Discord-shaped error body."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code, **extra}


def json_response(data: Any, status: int = 200) -> web.Response:
    """discord.py parses a body as JSON only for exactly `application/json` (no charset)."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def invalid(problems: list[limits.Problem]) -> DiscordError:
    """400 / 50035 Invalid Form Body listing `problems`."""
    body = limits.error_body(problems)
    return DiscordError(400, body["code"], body["message"], errors=body["errors"])
