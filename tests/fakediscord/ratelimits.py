"""Discord's REST rate limits: per-route buckets, the global limit, and the headers describing them.

Off unless `FakeDiscord(rate_limits=True)` (or `fake.rate_limiter.enabled = True`). Then every
bot-token request counts against its route's bucket, keyed like Discord's by the route and its
top-level resource (channel, guild, webhook or interaction), and against the global limit of 50
requests per second (interaction and webhook-token routes are exempt, as on Discord). Answers
carry `X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket`; an exhausted bucket answers 429
with `{"message", "retry_after", "global"}`, `Retry-After` and `X-RateLimit-Scope`, which is what
discord.py's limiter reads to pace itself and retry.

Windows are fixed (the first request opens one, `per` seconds long) and measured on real
monotonic time, since discord.py sleeps real seconds. Discord publishes no per-route numbers;
`ROUTE_LIMITS` holds the commonly observed ones, and tests may change `buckets` to go faster.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limit:
    """`count` requests per `per` seconds."""

    count: int
    per: float


#: Per-route limits, keyed "METHOD /path/{template}" as the fake's routes are written.
ROUTE_LIMITS: dict[str, Limit] = {
    "POST /channels/{channel_id}/messages": Limit(5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": Limit(5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": Limit(5, 1.0),
    "POST /channels/{channel_id}/messages/{message_id}/threads": Limit(10, 10.0),
    "POST /channels/{channel_id}/threads": Limit(10, 10.0),
    "POST /users/@me/channels": Limit(10, 10.0),
}
#: Any other route.
DEFAULT_LIMIT = Limit(10, 1.0)
GLOBAL_LIMIT = Limit(50, 1.0)

#: Path parameters that make a separate bucket ("top-level resources").
MAJOR_PARAMETERS = ("channel_id", "guild_id", "app", "token", "interaction_id")


@dataclass
class _Window:
    used: int = 0
    resets_at: float = 0.0


@dataclass
class Verdict:
    """What the limiter says about one request: headers to send, and a 429 body if refused."""

    headers: dict[str, str] = field(default_factory=dict)
    refused: dict[str, Any] | None = None


def bucket_hash(route: str) -> str:
    """An opaque per-route id, shaped like Discord's `X-RateLimit-Bucket` values."""
    return hashlib.sha1(route.encode()).hexdigest()[:32]


class RateLimiter:
    """Counts requests per bucket and globally; `check()` admits or refuses one request."""

    def __init__(self, *, enabled: bool = False) -> None:
        self.enabled = enabled
        #: Per-route limits in force; copy of `ROUTE_LIMITS`, change freely in a test.
        self.buckets: dict[str, Limit] = dict(ROUTE_LIMITS)
        self.default = DEFAULT_LIMIT
        self.global_limit = GLOBAL_LIMIT
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global = _Window()

    def limit_for(self, route: str) -> Limit:
        return self.buckets.get(route, self.default)

    def check(self, route: str, major: str, *, global_scope: bool) -> Verdict:
        """Count one request to `route` (e.g. "POST /channels/{channel_id}/messages") on the
        resource `major`; refuse it if the global limit or the route's bucket is spent."""
        if not self.enabled:
            return Verdict()
        now = time.monotonic()
        if global_scope:
            spent = self._take(self._global, self.global_limit, now)
            if spent is not None:
                return _global_refusal(spent)
        limit = self.limit_for(route)
        window = self._windows.setdefault((route, major), _Window())
        spent = self._take(window, limit, now)
        reset_after = _seconds(max(window.resets_at - now, 0.0))
        headers = {
            "X-RateLimit-Limit": str(limit.count),
            "X-RateLimit-Remaining": str(max(limit.count - window.used, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route),
        }
        if spent is None:
            return Verdict(headers)
        headers.update({"X-RateLimit-Scope": "user", "Retry-After": str(math.ceil(spent))})
        body = {"message": "You are being rate limited.", "retry_after": _seconds(spent)}
        return Verdict(headers, {**body, "global": False})

    @staticmethod
    def _take(window: _Window, limit: Limit, now: float) -> float | None:
        """Use one request of the window; None if admitted, else seconds until it resets."""
        if now >= window.resets_at:
            window.used = 0
            window.resets_at = now + limit.per
        if window.used >= limit.count:
            return window.resets_at - now
        window.used += 1
        return None


def _global_refusal(retry_after: float) -> Verdict:
    headers = {
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global",
        "Retry-After": str(math.ceil(retry_after)),
    }
    body = {"message": "You are being rate limited.", "retry_after": _seconds(retry_after)}
    return Verdict(headers, {**body, "global": True})


def _seconds(value: float) -> float:
    """Rounded up to the millisecond, so a client that waits that long finds the bucket reset."""
    return math.ceil(value * 1000) / 1000
