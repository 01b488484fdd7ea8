"""Checks that any engine test can make of a database: the caches agree with the facts.

Totals are caches of the XP events (docs/rules.md, DESIGN.md's Data section). Whatever a test
did to get here — concurrent answers, a killed process, a rebuild — every cached sum must equal
the sum computed again, here, straight from `xp_events`, in each server's zone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.progress import local_day, zone_named
from bot.domain.xp import ROLLING_DAYS
from bot.storage.db import Database, Sql, Tx

_GUILDS = Sql("SELECT guild_id, timezone, rolling_day FROM guild_settings")
_EVENTS = Sql("SELECT guild_id, user_id, amount, at FROM xp_events")
_TOTALS = Sql("SELECT guild_id, period, user_id, xp, reached_at FROM xp_totals")
_MEMBERS = Sql("SELECT guild_id, user_id, xp_total FROM members")

Key = tuple[int, str, int]  # (guild, period, user)


def _week(day: date) -> str:
    return f"w:{(day - timedelta(days=day.weekday())).isoformat()}"


def expected_totals(tx: Tx) -> tuple[dict[Key, tuple[int, datetime]], dict[tuple[int, int], int]]:
    """Every period total and every member's XP, summed from the events alone.

    Written apart from `engine.rebuild_totals` on purpose: a second derivation of the same
    rules catches a mistake the engine would make twice."""
    guilds = {int(g): (zone, tx.read_day(rolled)) for g, zone, rolled in tx.all(_GUILDS)}
    sums: dict[Key, list[Any]] = defaultdict(lambda: [0, None])
    members: dict[tuple[int, int], int] = defaultdict(int)
    for g, u, amount, raw in tx.all(_EVENTS):
        g, u, amount = int(g), int(u), int(amount)
        instant = tx.read_instant(raw)
        assert instant is not None
        zone_name, rolled = guilds.get(g, (None, None))
        day = local_day(instant, zone_named(zone_name) or ZoneInfo("UTC"))
        periods = ["all", _week(day), f"m:{day:%Y-%m}", f"d:{day.isoformat()}"]
        # The rolling window ends on the date the server's board last rolled to.
        if rolled is not None and rolled - timedelta(days=ROLLING_DAYS - 1) <= day <= rolled:
            periods.append("r")
        for period in periods:
            total = sums[(g, period, u)]
            total[0] += amount
            total[1] = instant if total[1] is None else max(total[1], instant)
        members[(g, u)] += amount
    return {key: (xp, at) for key, (xp, at) in sums.items()}, dict(members)


def assert_totals_consistent(db: Database) -> None:
    """xp_totals (all, week, month, day, rolling) and members.xp_total equal the sums of
    xp_events; no total row exists without events, no event lacks its totals."""

    def work(tx: Tx) -> None:
        want, want_members = expected_totals(tx)
        have: dict[Key, tuple[int, datetime]] = {}
        for g, period, u, xp, raw in tx.all(_TOTALS):
            at = tx.read_instant(raw)
            assert at is not None
            have[(int(g), str(period), int(u))] = (int(xp), at)
        wrong = {
            key: (have.get(key), want.get(key))
            for key in have.keys() | want.keys()
            if have.get(key) != want.get(key)
        }
        assert not wrong, f"xp_totals (stored, from events) differ: {sorted(wrong.items())[:10]}"
        stored = {(int(g), int(u)): int(xp) for g, u, xp in tx.all(_MEMBERS)}
        missing = want_members.keys() - stored.keys()
        assert not missing, f"XP events of members without a row: {sorted(missing)[:10]}"
        off = {
            key: (xp, want_members.get(key, 0))
            for key, xp in stored.items()
            if xp != want_members.get(key, 0)
        }
        assert not off, f"members.xp_total (stored, from events) differ: {sorted(off.items())[:10]}"

    db.read_sync(work)
