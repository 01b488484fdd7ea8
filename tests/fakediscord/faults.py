"""Fault hooks: hold one REST request before or after the fake applies it.

`fake.hold("POST", "/channels/{id}/messages", when="after")` catches the next matching request
and keeps it waiting: with `when="before"` nothing has happened yet; with `when="after"` the
fake applied it (message stored, gateway event sent) but has not answered. A test can kill the
bot process at exactly that moment, then `release()` the request. A request whose client has gone
by then gets no answer (`dropped`); with `when="before"` it is not applied either, unless
`if_client_gone="apply"` (Discord finishing a request whose sender died mid-flight).
Requests that do not match flow as usual, as does everything after the one request caught.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from aiohttp import web

from tests.fakediscord.models import RecordedRequest

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

When = Literal["before", "after"]


def path_pattern(path: str) -> re.Pattern[str]:
    """ "/channels/{id}/messages" -> a regex where each {name} is one path segment."""
    parts = re.split(r"(\{[^}/]*\})", path)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(body)


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


class Hold:
    """One held request: `await arrived()`, then `release()`; `await finished()` for its fate.

    Also an async context manager that releases (and stops matching) on exit.
    """

    def __init__(
        self,
        fake: FakeDiscord,
        method: str,
        path: str,
        *,
        when: When = "before",
        match: Callable[[RecordedRequest], bool] | None = None,
        if_client_gone: Literal["drop", "apply"] = "drop",
    ) -> None:
        if when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {when!r}")
        self.fake = fake
        self.method = method.upper()
        self.path = path
        self.when = when
        self.match = match
        self.if_client_gone = if_client_gone
        #: The request caught, once it arrived.
        self.request: RecordedRequest | None = None
        #: Its client disconnected while it was held: it got no answer.
        self.dropped = False
        #: The fake applied it (always true for `when="after"` once it arrived).
        self.applied = False
        self._pattern = path_pattern(path)
        self._arrived = asyncio.Event()
        self._released = asyncio.Event()
        self._finished = asyncio.Event()

    def __repr__(self) -> str:
        state = "released" if self._released.is_set() else "holding"
        return f"<Hold {self.method} {self.path} when={self.when} {state} request={self.request}>"

    def matches(self, record: RecordedRequest, when: When) -> bool:
        return (
            self.request is None
            and not self._released.is_set()
            and when == self.when
            and record.method == self.method
            and self._pattern.fullmatch(record.path) is not None
            and (self.match is None or self.match(record))
        )

    # -- the test's side ------------------------------------------------------------------------

    async def arrived(self, *, within: float | None = None) -> RecordedRequest:
        """Wait until a matching request is being held; returns it."""
        await self._wait(self._arrived, within, f"a {self.method} {self.path} to hold")
        assert self.request is not None
        return self.request

    def release(self) -> None:
        """Let the request go on (or be dropped, if its client has gone). Idempotent; a hold
        released before anything arrived catches nothing."""
        self._released.set()
        if self.request is None:
            self._finished.set()
        self.fake.unhold(self)

    async def finished(self, *, within: float | None = None) -> RecordedRequest | None:
        """Wait until the held request was answered or dropped (after `release()`)."""
        await self._wait(self._finished, within, f"the held {self.method} {self.path} to end")
        return self.request

    async def __aenter__(self) -> Hold:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        if self.request is not None:
            await self.finished()

    async def _wait(self, event: asyncio.Event, within: float | None, what: str) -> None:
        limit = self.fake.timeout if within is None else within
        try:
            await asyncio.wait_for(event.wait(), limit)
        except TimeoutError:
            raise AssertionError(
                f"Timed out after {limit}s waiting for {what}.\n{self.fake.describe_requests()}"
            ) from None

    # -- the fake's side ------------------------------------------------------------------------

    async def hold(self, request: web.Request, record: RecordedRequest) -> bool:
        """Keep `request` until released; False if its client went away meanwhile."""
        self.request = record
        self._arrived.set()
        await self.fake.changed()
        await self._released.wait()
        if client_gone(request):
            self.dropped = record.dropped = True
        return not self.dropped

    def done(self) -> None:
        self._finished.set()
