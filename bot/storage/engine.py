"""The learning engine's writes: one graded answer, lesson, daily or exercise is one unit.

Everything a study event changes happens here, inside the unit's savepoint of the writer's
batch (bot/storage/db.py): the XP event and the period totals it feeds, the study day and the
streak it may extend, the FSRS card and its review log, the member's caches. The rules are the
pure functions of bot/domain (xp, streaks, memory); this module only reads what they need and
writes what they return, as prepared statements on the driver's cursor.

Replays are harmless by construction: an XP event is unique per (member, reason, ref), an
attempt per (member, question), a day per (member, date); a total changes only when its event
was new, in the same transaction, so a crash leaves all of it or none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import memory, streaks
from bot.domain.progress import local_day, member_zone, zone_named
from bot.domain.xp import ROLLING_DAYS, milestone_ref, milestones_crossed
from bot.storage.db import Sql, Tx

# -- the member and server a unit works for ------------------------------------------------

_TOUCH = Sql(
    "INSERT INTO members (guild_id, user_id, display_name, xp_total, streak_mode,"
    " streak_target, streak_current, streak_best, week_days, freezes, reminders, created_at)"
    " VALUES (:g, :u, :name, 0, 'daily', 3, 0, 0, 0, 0, false, :at)"
    " ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name ="
    " CASE WHEN excluded.display_name <> '' THEN excluded.display_name"
    " ELSE members.display_name END"
    " RETURNING timezone, zone_next, zone_next_at, streak_mode, streak_target, streak_current,"
    " streak_best, last_active_day, streak_start, streak_latest, week_days, freezes, xp_total,"
    " zone_changed_at,"
    # The server's settings in the same statement: one round trip to PostgreSQL, not two.
    " (SELECT timezone FROM guild_settings WHERE guild_id = :g),"
    " (SELECT retention FROM guild_settings WHERE guild_id = :g),"
    " (SELECT rolling_day FROM guild_settings WHERE guild_id = :g)"
)


@dataclass
class Who:
    """A member as a unit sees them: their zones and caches, and what the unit changed."""

    g: int
    u: int
    zone: str | None
    zone_next: str | None
    zone_next_at: datetime | None
    zone_changed_at: datetime | None
    streak: streaks.StreakState
    xp_total: int
    guild_zone: str | None
    retention: float
    rolling_day: date | None
    xp_added: int = 0
    streak_moved: bool = False
    events: list[streaks.StreakEvent] = field(default_factory=list)

    def zone_name(self, at: datetime) -> str | None:
        return streaks.zone_in_force(self.zone, self.zone_next, self.zone_next_at, at)

    def zone_at(self, at: datetime) -> ZoneInfo:
        """The member's zone at an instant (theirs, else the server's, else UTC)."""
        return member_zone(self.zone_name(at), self.guild_zone)

    def day(self, at: datetime) -> date:
        return local_day(at, self.zone_at(at))

    def server_day(self, at: datetime) -> date:
        return local_day(at, zone_named(self.guild_zone) or ZoneInfo("UTC"))

    @property
    def ids(self) -> dict[str, int]:
        return {"g": self.g, "u": self.u}


def member(tx: Tx, g: int, u: int, name: str, at: datetime) -> Who:
    """Create or refresh the member's row and read what the rules need: one statement."""
    row = tx.one(_TOUCH, {"g": g, "u": u, "name": name, "at": tx.instant(at)})
    read_day, read_instant = tx.read_day, tx.read_instant
    state = streaks.StreakState(
        mode=row[3],
        target=int(row[4]),
        current=int(row[5]),
        best=int(row[6]),
        last=read_day(row[7]),
        freezes=int(row[11]),
        start=read_day(row[8]),
        latest=read_day(row[9]),
        week_days=int(row[10]),
    )
    return Who(
        g=g,
        u=u,
        zone=row[0],
        zone_next=row[1],
        zone_next_at=read_instant(row[2]),
        zone_changed_at=read_instant(row[13]),
        streak=state,
        xp_total=int(row[12]),
        guild_zone=row[14],  # the three are NULL only without a settings row (NOT NULL)
        retention=memory.DEFAULT_RETENTION if row[15] is None else float(row[15]),
        rolling_day=read_day(row[16]),
    )


# -- XP and the period totals ---------------------------------------------------------------

_INSERT_XP = Sql(
    "INSERT INTO xp_events (guild_id, user_id, reason, ref, amount, at)"
    " VALUES (:g, :u, :reason, :ref, :amount, :at)"
    " ON CONFLICT (guild_id, user_id, reason, ref) DO NOTHING RETURNING id"
)
# One statement for the five totals an award feeds. reached_at only moves forward, so the
# value equals the rebuilt MAX(at) whatever order awards arrive in.
_ADD_TOTALS_ROWS = (
    "INSERT INTO xp_totals (guild_id, period, user_id, xp, reached_at) VALUES"
    " (:g, 'all', :u, :xp, :at), (:g, :week, :u, :xp, :at), (:g, :month, :u, :xp, :at),"
    " (:g, :day, :u, :xp, :at)"
)
_ADD_TOTALS_CONFLICT = (
    " ON CONFLICT (guild_id, period, user_id) DO UPDATE SET xp = xp_totals.xp + excluded.xp,"
    " reached_at = CASE WHEN excluded.reached_at > xp_totals.reached_at"
    " THEN excluded.reached_at ELSE xp_totals.reached_at END"
)
_ADD_TOTALS = Sql(_ADD_TOTALS_ROWS + ", (:g, 'r', :u, :xp, :at)" + _ADD_TOTALS_CONFLICT)
# An award dated before the rolling window (a clock far behind) feeds the other four only.
_ADD_TOTALS_BEFORE_WINDOW = Sql(_ADD_TOTALS_ROWS + _ADD_TOTALS_CONFLICT)


def period_keys(day: date) -> tuple[str, str, str]:
    """The week, month and day totals a server date adds to."""
    monday = day - timedelta(days=day.weekday())
    return f"w:{monday.isoformat()}", f"m:{day.year:04d}-{day.month:02d}", f"d:{day.isoformat()}"


def award(tx: Tx, who: Who, reason: str, ref: str, amount: int, at: datetime) -> int:
    """The one way XP is awarded: the amount actually awarded (0 when already recorded)."""
    if amount <= 0:
        return 0
    instant = tx.instant(at)
    params = {**who.ids, "reason": reason, "ref": ref, "amount": amount, "at": instant}
    if tx.one(_INSERT_XP, params) is None:
        return 0
    day = who.server_day(at)
    if who.rolling_day is None or day > who.rolling_day:
        roll(tx, who.g, day, who.rolling_day, at)
        who.rolling_day = day
    week, month, on_day = period_keys(day)
    in_window = day > who.rolling_day - timedelta(days=ROLLING_DAYS)
    tx.send(
        _ADD_TOTALS if in_window else _ADD_TOTALS_BEFORE_WINDOW,
        {**who.ids, "xp": amount, "at": instant, "week": week, "month": month, "day": on_day},
    )
    who.xp_added += amount
    return amount


# The server's row may not exist yet (a server never set up): made with the defaults then.
_SET_ROLLING_DAY = Sql(
    "INSERT INTO guild_settings (guild_id, timezone, grace_hours, announce_quizzes, retention,"
    " new_per_day, rolling_day, created_at, updated_at)"
    " VALUES (:g, 'UTC', 6, true, :retention, :new_per_day, :day, :at, :at)"
    " ON CONFLICT (guild_id) DO UPDATE SET rolling_day = excluded.rolling_day"
)
_DROP_ROLLING = Sql("DELETE FROM xp_totals WHERE guild_id = :g AND period = 'r'")
_REFILL_ROLLING = Sql(
    "INSERT INTO xp_totals (guild_id, period, user_id, xp, reached_at)"
    " SELECT guild_id, 'r', user_id, SUM(xp), MAX(reached_at) FROM xp_totals"
    " WHERE guild_id = :g AND period >= :first AND period <= :last GROUP BY guild_id, user_id"
)
_SUBTRACT_ROLLING = Sql(
    "UPDATE xp_totals SET xp = xp - (SELECT COALESCE(SUM(d.xp), 0) FROM xp_totals d"
    " WHERE d.guild_id = xp_totals.guild_id AND d.user_id = xp_totals.user_id"
    " AND d.period >= :first AND d.period <= :last)"
    " WHERE guild_id = :g AND period = 'r' AND user_id IN (SELECT user_id FROM xp_totals"
    " WHERE guild_id = :g AND period >= :first AND period <= :last)"
)
_PRUNE_ROLLING = Sql("DELETE FROM xp_totals WHERE guild_id = :g AND period = 'r' AND xp <= 0")


def roll(tx: Tx, g: int, day: date, was: date | None, at: datetime) -> None:
    """Move the rolling-30-days totals to end on `day`: the days that left the window are
    subtracted (set-based, once a day per server), or, after a long gap, the window is
    summed again from the day totals.

    The window never moves back (`day` before `was` changes nothing): no XP event is dated
    after the window's last day, which is what lets a move forward only subtract. Two units
    that read the clock either side of midnight can reach the writer in the other order; the
    earlier one then adds to the window it falls in."""
    if was is not None and day <= was:
        return
    first_kept = day - timedelta(days=ROLLING_DAYS - 1)
    if was is not None and (day - was).days <= ROLLING_DAYS:
        gone_first = was - timedelta(days=ROLLING_DAYS - 1)
        gone_last = first_kept - timedelta(days=1)
        span = {"g": g, "first": f"d:{gone_first.isoformat()}", "last": f"d:{gone_last}"}
        tx.send(_SUBTRACT_ROLLING, span)
        tx.send(_PRUNE_ROLLING, {"g": g})
    else:
        tx.send(_DROP_ROLLING, {"g": g})
        span = {"g": g, "first": f"d:{first_kept.isoformat()}", "last": f"d:{day.isoformat()}"}
        tx.send(_REFILL_ROLLING, span)
    defaults = {"retention": memory.DEFAULT_RETENTION, "new_per_day": memory.DEFAULT_NEW_PER_DAY}
    tx.send(_SET_ROLLING_DAY, {"g": g, "day": tx.day(day), "at": tx.instant(at), **defaults})


# -- study days and the streak --------------------------------------------------------------

_ACTIVITY = Sql(
    "INSERT INTO activity_days (guild_id, user_id, day, first_at, lessons, dailies, exercises,"
    " answers, counted) VALUES (:g, :u, :day, :at, :lessons, :dailies, :exercises, :answers,"
    " false) ON CONFLICT (guild_id, user_id, day) DO UPDATE SET"
    " lessons = activity_days.lessons + excluded.lessons,"
    " dailies = activity_days.dailies + excluded.dailies,"
    " exercises = activity_days.exercises + excluded.exercises,"
    " answers = activity_days.answers + excluded.answers"
    " RETURNING lessons, dailies, exercises, answers, counted"
)
_COUNT_DAY = Sql(
    "UPDATE activity_days SET counted = true WHERE guild_id = :g AND user_id = :u AND day = :day"
)
_COUNTED_DAYS = Sql(
    "SELECT day FROM activity_days WHERE guild_id = :g AND user_id = :u AND counted"
)
_FORGIVEN = Sql("SELECT day FROM streak_forgiven WHERE guild_id = :g AND user_id = :u")
_STREAK_EVENT = Sql(
    "INSERT INTO streak_events (guild_id, user_id, kind, day, count)"
    " VALUES (:g, :u, :kind, :day, :count)"
)
_DROP_STREAK_EVENTS = Sql("DELETE FROM streak_events WHERE guild_id = :g AND user_id = :u")


def forgiven(tx: Tx, who: Who) -> list[date]:
    """The dates zone changes forgave (none for a member who never changed zone)."""
    if who.zone_changed_at is None:
        return []
    return [d for (raw,) in tx.all(_FORGIVEN, who.ids) if (d := tx.read_day(raw)) is not None]


def study(
    tx: Tx,
    who: Who,
    at: datetime,
    *,
    lessons: int = 0,
    dailies: int = 0,
    exercises: int = 0,
    answers: int = 0,
) -> None:
    """Record what was done on the member's day; the first time the day qualifies, it counts
    for the streak (freezes, restarts, milestones and their XP follow from the rules)."""
    day = who.day(at)
    params = {
        **who.ids,
        "day": tx.day(day),
        "at": tx.instant(at),
        "lessons": lessons,
        "dailies": dailies,
        "exercises": exercises,
        "answers": answers,
    }
    row = tx.one(_ACTIVITY, params)
    if bool(row[4]) or not streaks.day_qualifies(
        lessons=int(row[0]), dailies=int(row[1]), exercises=int(row[2]), answers=int(row[3])
    ):
        return
    tx.send(_COUNT_DAY, {**who.ids, "day": tx.day(day)})
    skipped = forgiven(tx, who)
    before = who.streak
    try:
        after, events = before.count(day, skipped)
    except streaks.OutOfOrder:  # a westward zone change brought back an earlier date
        rebuilt(tx, who)
        return
    who.streak, who.streak_moved = after, True
    _log_events(tx, who, events)
    _milestones(tx, who, before, after, at)


def _log_events(tx: Tx, who: Who, events: Iterable[streaks.StreakEvent]) -> None:
    rows = [{**who.ids, "kind": e.kind, "day": tx.day(e.day), "count": e.count} for e in events]
    tx.many(_STREAK_EVENT, rows)
    who.events.extend(events)


def _milestones(
    tx: Tx, who: Who, before: streaks.StreakState, after: streaks.StreakState, at: datetime
) -> None:
    start = after.start
    if start is None:
        return
    was = before.current if before.start == start else 0
    for length, xp in milestones_crossed(was, after.current):
        award(tx, who, "milestone", milestone_ref(after.mode, length, start), xp, at)


def rebuilt(tx: Tx, who: Who) -> None:
    """The member's streak folded again from every counted day, its events written anew."""
    days = [d for (raw,) in tx.all(_COUNTED_DAYS, who.ids) if (d := tx.read_day(raw))]
    before = who.streak
    state, events = streaks.rebuild(days, forgiven(tx, who), before.mode, before.target)
    tx.send(_DROP_STREAK_EVENTS, who.ids)
    who.events.clear()
    _log_events(tx, who, events)
    who.streak, who.streak_moved = state, True


# -- the member's caches, written once per unit ---------------------------------------------

_SAVE = Sql(
    "UPDATE members SET xp_total = xp_total + :xp,"
    " xp_reached_at = CASE WHEN :xp > 0 THEN :at ELSE xp_reached_at END,"
    " streak_mode = :mode, streak_target = :target, streak_current = :current,"
    " streak_best = :best, last_active_day = :last, streak_start = :start,"
    " streak_latest = :latest, week_days = :week_days, freezes = :freezes"
    " WHERE guild_id = :g AND user_id = :u RETURNING xp_total"
)
_ADD_XP = Sql(
    "UPDATE members SET xp_total = xp_total + :xp, xp_reached_at = :at"
    " WHERE guild_id = :g AND user_id = :u RETURNING xp_total"
)


def save(tx: Tx, who: Who, at: datetime) -> int:
    """Write what the unit changed of the member's row; their XP total after it."""
    if who.streak_moved:
        s = who.streak
        row = tx.one(
            _SAVE,
            {
                **who.ids,
                "xp": who.xp_added,
                "at": tx.instant(at),
                "mode": s.mode,
                "target": s.target,
                "current": s.current,
                "best": s.best,
                "last": tx.day(s.last),
                "start": tx.day(s.start),
                "latest": tx.day(s.latest),
                "week_days": s.week_days,
                "freezes": s.freezes,
            },
        )
        who.streak_moved = False
    elif who.xp_added:
        row = tx.one(_ADD_XP, {**who.ids, "xp": who.xp_added, "at": tx.instant(at)})
    else:
        return who.xp_total
    who.xp_total, who.xp_added = int(row[0]), 0
    return who.xp_total


# -- memory cards ---------------------------------------------------------------------------

_CARD_COLUMNS = "state, step, stability, difficulty, due, last_review, reps, lapses"
_CARD = Sql(
    f"SELECT {_CARD_COLUMNS} FROM memory_cards"
    " WHERE guild_id = :g AND user_id = :u AND item_id = :item"
)
_CARDS = Sql(
    f"SELECT item_id, {_CARD_COLUMNS} FROM memory_cards"
    " WHERE guild_id = :g AND user_id = :u ORDER BY item_id"
)
_SAVE_CARD = Sql(
    "INSERT INTO memory_cards (guild_id, user_id, item_id, kind, state, step, stability,"
    " difficulty, due, last_review, reps, lapses, introduced_on)"
    " VALUES (:g, :u, :item, :kind, :state, :step, :stability, :difficulty, :due, :last,"
    " :reps, :lapses, :introduced)"
    " ON CONFLICT (guild_id, user_id, item_id) DO UPDATE SET state = excluded.state,"
    " step = excluded.step, stability = excluded.stability, difficulty = excluded.difficulty,"
    " due = excluded.due, last_review = excluded.last_review, reps = excluded.reps,"
    " lapses = excluded.lapses"
)
_REVIEW_LOG = Sql(
    "INSERT INTO review_logs (guild_id, user_id, item_id, source, rating, at, elapsed_days,"
    " scheduled_days) VALUES (:g, :u, :item, :source, :rating, :at, :elapsed, :scheduled)"
)


def card_of(tx: Tx, who: Who, item_id: str, at: datetime) -> memory.MemoryCard:
    """The member's card for an item, or a new one (a first answer is a first review)."""
    return stored(tx, who.ids, item_id) or memory.new_card(at)


def stored(tx: Tx, ids: dict[str, int], item_id: str) -> memory.MemoryCard | None:
    row = tx.one(_CARD, {**ids, "item": item_id})
    return None if row is None else _card(tx, row)


def all_cards(tx: Tx, ids: dict[str, int]) -> list[tuple[str, memory.MemoryCard]]:
    """Every card of a member, by item, in one statement."""
    return [(str(row[0]), _card(tx, row[1:])) for row in tx.all(_CARDS, ids)]


def _card(tx: Tx, row: Any) -> memory.MemoryCard:
    due = tx.read_instant(row[4])
    assert due is not None
    return memory.MemoryCard(
        state=int(row[0]),
        step=None if row[1] is None else int(row[1]),
        stability=None if row[2] is None else float(row[2]),
        difficulty=None if row[3] is None else float(row[3]),
        due=due,
        last_review=tx.read_instant(row[5]),
        reps=int(row[6]),
        lapses=int(row[7]),
    )


def remember(
    tx: Tx, who: Who, item_id: str, kind: str, source: str, correct: bool, at: datetime
) -> memory.MemoryCard:
    """One graded answer as an FSRS review: the card moves, the log keeps the review."""
    card, entry = memory.review(card_of(tx, who, item_id, at), correct, at, who.retention)
    params = {
        **who.ids,
        "item": item_id,
        "kind": kind,
        "state": card.state,
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": tx.instant(card.due),
        "last": tx.instant(card.last_review),
        "reps": card.reps,
        "lapses": card.lapses,
        "introduced": None,  # only cards /review introduces count against the daily allowance
    }
    tx.send(_SAVE_CARD, params)
    log = {
        **who.ids,
        "item": item_id,
        "source": source,
        "rating": entry.rating,
        "at": tx.instant(at),
        "elapsed": entry.elapsed_days,
        "scheduled": entry.scheduled_days,
    }
    tx.send(_REVIEW_LOG, log)
    return card


_CARDED = Sql("SELECT item_id FROM memory_cards WHERE guild_id = :g AND user_id = :u")


def carded(tx: Tx, who: Who, items: Iterable[str]) -> set[str]:
    """Which of these items the member already has a card for (no read when none asked)."""
    wanted = set(items)
    if not wanted:
        return set()
    return {str(item) for (item,) in tx.all(_CARDED, who.ids) if item in wanted}


def introduce(tx: Tx, who: Who, items: Iterable[str], today: date, at: datetime) -> None:
    """New cards for items /review serves for the first time, dated for the daily allowance."""
    card = memory.new_card(at)
    rows = [
        {
            **who.ids,
            "item": item,
            "kind": "quiz",
            "state": card.state,
            "step": card.step,
            "stability": None,
            "difficulty": None,
            "due": tx.instant(card.due),
            "last": None,
            "reps": 0,
            "lapses": 0,
            "introduced": tx.day(today),
        }
        for item in items
    ]
    tx.many(_SAVE_CARD, rows)


# -- rebuilding the totals ------------------------------------------------------------------

_EVENTS = Sql("SELECT user_id, amount, at FROM xp_events WHERE guild_id = :g")
_DROP_TOTALS = Sql("DELETE FROM xp_totals WHERE guild_id = :g")
_PUT_TOTAL = Sql(
    "INSERT INTO xp_totals (guild_id, period, user_id, xp, reached_at)"
    " VALUES (:g, :period, :u, :xp, :at)"
)
_GUILD_ZONE = Sql("SELECT timezone FROM guild_settings WHERE guild_id = :g")


def rebuild_totals(tx: Tx, g: int, at: datetime) -> None:
    """Every period total of a server summed again from its XP events (server dates), the
    rolling window ending on the server's date at `at` (or the latest award's, if later)."""
    row = tx.one(_GUILD_ZONE, {"g": g})
    zone = zone_named(None if row is None else row[0]) or ZoneInfo("UTC")
    sums: dict[tuple[str, int], list[Any]] = {}
    window_end = local_day(at, zone)  # today, or a later day an award is dated
    for u, amount, raw in tx.all(_EVENTS, {"g": g}):
        instant = tx.read_instant(raw)
        assert instant is not None
        day = local_day(instant, zone)
        window_end = max(window_end, day)
        for period in ("all", *period_keys(day)):
            total = sums.setdefault((period, int(u)), [0, instant])
            total[0] += int(amount)
            total[1] = max(total[1], instant)
    tx.send(_DROP_TOTALS, {"g": g})
    tx.many(
        _PUT_TOTAL,
        [
            {"g": g, "period": p, "u": u, "xp": xp, "at": tx.instant(last)}
            for (p, u), (xp, last) in sums.items()
        ],
    )
    roll(tx, g, window_end, None, at)
