"""The runner's HTTP contract, in one place: what `POST /v1/run` takes and what it answers.

The server (`bot.runner.server`) and every client (`bot.runner.client`: the bot's local and
remote backends; the tests and the bench speak the same JSON) import these models, so a field
changes here or nowhere. The module is light on purpose: pydantic and the standard library, no
jail, no numpy.

Requests are read with the standard library's JSON parser and then validated here, so the
errors a caller sees are ours, in one line: a malformed body or field is a 400, code or stdin
over the runner's limits a 413 (`RequestError.status`). Text must be valid Unicode: a lone
surrogate (which JSON can spell as `"\\ud800"`) cannot be handed to a Python program as UTF-8,
so it is refused with a 400 that says where it is, rather than failing inside the run.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# A request may spell a character in up to 12 bytes of JSON (a surrogate pair of \uXXXX).
JSON_BYTES_PER_CHAR: Final = 12


class RunStatus(StrEnum):
    """How a run ended, as the runner's parent saw it (never as the snippet claims)."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"


class RequestError(ValueError):
    """A request the runner refuses; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _lone_surrogate(text: str) -> int | None:
    """Index of the first lone surrogate in `text`, or None when it is valid Unicode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


class RunRequest(BaseModel):
    """`POST /v1/run`: the snippet, what it reads on stdin, and an optional wall limit."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    code: str
    stdin: str = ""
    timeout_s: float | None = None

    @field_validator("stdin", mode="before")
    @classmethod
    def _no_stdin_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("code", "stdin")
    @classmethod
    def _valid_unicode(cls, value: str) -> str:
        index = _lone_surrogate(value)
        if index is not None:
            raise ValueError(
                f"holds a lone surrogate (U+{ord(value[index]):04X} at character {index}); "
                "send valid Unicode text"
            )
        return value

    @field_validator("timeout_s")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError("must be a positive number")
        return value

    def check_limits(self, code_chars: int, stdin_bytes: int) -> None:
        """413 for code or stdin over the runner's limits (checked after the types: 400 first)."""
        if len(self.code) > code_chars:
            raise RequestError(413, f"the code is longer than {code_chars} characters")
        if len(self.stdin.encode("utf-8")) > stdin_bytes:
            raise RequestError(413, f"stdin is longer than {stdin_bytes} bytes")


_FIELD_MESSAGES: Final = {
    "code": "'code' must be a string",
    "stdin": "'stdin' must be a string",
    "timeout_s": "'timeout_s' must be a positive number",
}


def parse_request(raw: bytes) -> RunRequest:
    """The request in `raw`, or a `RequestError` (400) that says in one line what is wrong."""
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestError(400, "the body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise RequestError(400, "the body must be a JSON object")
    try:
        return RunRequest.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        if first["type"] == "value_error" and "surrogate" in first["msg"]:
            reason = first["msg"].removeprefix("Value error, ")
            raise RequestError(400, f"'{field}' {reason}") from None
        raise RequestError(400, _FIELD_MESSAGES.get(field, first["msg"])) from None


class RunFile(BaseModel):
    """A file the run produced (a figure): named by the runner, checked by the runner."""

    model_config = ConfigDict(strict=True, frozen=True)

    name: str
    mime: str = "image/png"
    size: int = Field(ge=0)
    content_b64: str


class RunResponse(BaseModel):
    """`POST /v1/run`'s answer. `dropped_bytes` is there when output was cut, `warning` when
    the runner has something to say about this run (no cgroups, no isolation, a stuck child)."""

    model_config = ConfigDict(strict=True, frozen=True, allow_inf_nan=False)

    status: RunStatus
    exit_code: int | None
    stdout: str
    stderr: str
    truncated: bool
    wall_ms: float
    cpu_ms: float
    files: list[RunFile] = Field(default_factory=list)
    dropped_bytes: int | None = None
    warning: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status_from_json(cls, value: object) -> object:
        # strict mode takes an enum only as the enum; JSON has its value
        return RunStatus(value) if isinstance(value, str) and value in _STATUSES else value

    def body(self) -> dict[str, Any]:
        """The JSON body: `exit_code` always (null when a signal ended the run), the optional
        fields only when they say something."""
        body = self.model_dump(mode="json")
        for name in ("dropped_bytes", "warning"):
            if body[name] is None:
                del body[name]
        return body


_STATUSES: Final = frozenset(status.value for status in RunStatus)


class Health(BaseModel):
    """`GET /v1/health`. `forkserver_pid` and `quarantined` are for operators and tests."""

    model_config = ConfigDict(frozen=True)

    status: str = "ok"
    slots: int
    preloaded: list[str]
    cgroups: bool
    uids: list[int] | None = None
    forkserver_pid: int | None = None
    quarantined: list[int] = Field(default_factory=list)
    warning: str | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
