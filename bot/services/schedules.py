"""A server's timed posts: moderators set the timetable, the dispatcher asks what is due.

The database is the source of truth. A fire instant becomes a post only through a claim of its
key in `deliveries` (see `TimedStore.claim`): the first process to claim it posts it, a second
finds it done or busy, a claim whose lease ran out is looked for in the channel before it is
posted again. Late posts (the bot was down) go out within their window and are otherwise
skipped, once, with the reason logged:
- a lesson, a leaderboard or the portfolio showcase: within the server's grace window (default
  6 hours);
- the daily challenge: until its local day ends (it is that day's challenge).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import Card, CardField, Tone, UserError
from bot.domain.progress import member_zone
from bot.domain.schedules import (
    Kind,
    Period,
    ScheduleError,
    Timetable,
    days_text,
    delivery_key,
    fires_between,
    last_fire,
    next_fire,
    parse_days,
    parse_period,
    parse_time,
)
from bot.domain.values import Claim, DeliveryRow, MemberRef, ScheduleRow
from bot.services.challenges import ChallengeService
from bot.services.context import Context
from bot.services.leaderboard import PERIODS, LeaderboardService
from bot.services.lessons import LessonService
from bot.services.portfolio import PortfolioService
from bot.storage.timed import PickRef, TimedStore

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)
THREAD_NAME_MAX = 100
FINISHED = ""  # a lessons cursor past the last lesson
DISCUSS = Card(
    title="💬 Questions about this lesson?",
    body="Ask them here, share what you tried from *Try it*, or help someone who is stuck.",
)


@dataclass(frozen=True)
class Planned:
    """What the dispatcher needs to make a job: which schedule, when, in which zone."""

    schedule_id: int
    guild_id: int
    kind: Kind
    timetable: Timetable
    zone: ZoneInfo
    row: ScheduleRow  # as read when the jobs were made; a claim checks it is still on


@dataclass(frozen=True)
class Post:
    """One message to make (or edit) for a claimed delivery, transport-neutral."""

    delivery_id: int | None
    schedule_id: int | None
    guild_id: int
    kind: str
    key: str
    channel_id: int | None
    cards: tuple[Card, ...]
    nonce: str
    title: str  # how the message is recognised in the channel (its first card's title)
    claimed_at: datetime | None = None
    look_first: bool = False  # the claim lapsed: the message may exist already
    edit_message_id: int | None = None  # a leaderboard of the same period: edit it
    reply_to: int | None = None  # the reveal answers yesterday's challenge post
    thread_name: str | None = None  # open a thread on the message (a lesson's discussion)
    thread_cards: tuple[Card, ...] = ()  # the lesson's further pages, in that thread


@dataclass(frozen=True)
class Notice:
    """A schedule broke: tell the moderator who set it, else the server's system channel."""

    guild_id: int
    user_id: int | None
    text: str


def _anyone(guild_id: int) -> bool:
    return True


def nonce_of(guild_id: int, kind: str, key: str) -> str:
    """Discord drops a second message with the same nonce sent within minutes."""
    digest = hashlib.sha256(f"{guild_id}:{kind}:{key}".encode()).digest()
    return str(int.from_bytes(digest[:7], "big"))


def _timetable(row: ScheduleRow) -> Timetable:
    return Timetable(row.hour, row.minute, parse_days(row.days))


def _zone(row: ScheduleRow) -> ZoneInfo:
    return member_zone(None, row.guild_timezone)


def claimed_post(
    row: ScheduleRow, kind: str, key: str, claim: Claim, card: Card, **extra: Any
) -> Post:
    """A post made under a claim: its delivery, nonce and title, and a lapsed claim's
    "look in the channel first" (`extra`: where it goes otherwise, a thread, a reply)."""
    values: dict[str, Any] = {"channel_id": row.channel_id, **extra}
    return Post(
        delivery_id=claim.delivery_id,
        schedule_id=row.id,
        guild_id=row.guild_id,
        kind=kind,
        key=key,
        cards=(card,),
        nonce=nonce_of(row.guild_id, kind, key),
        title=card.title,
        claimed_at=claim.claimed_at,
        look_first=claim.status == "stale",
        **values,
    )


class ScheduleService:
    def __init__(
        self,
        ctx: Context,
        lessons: LessonService,
        challenges: ChallengeService,
        leaderboard: LeaderboardService,
        lease: timedelta = DEFAULT_LEASE,
        portfolio: PortfolioService | None = None,
    ) -> None:
        self.ctx = ctx
        self.lessons = lessons
        self.challenges = challenges
        self.leaderboard = leaderboard
        self.lease = lease
        self.portfolio = portfolio or PortfolioService(ctx)

    @property
    def timed(self) -> TimedStore:
        return self.ctx.store.timed

    # -- moderators ----------------------------------------------------------------------

    async def _save(
        self,
        guild_id: int,
        kind: Kind,
        channel_id: int | None,
        when: tuple[str, str],
        by: int | None,
        **extra: str | None,
    ) -> Card:
        """Save one kind's schedule: where, at what time on which days (`when`), by whom, and
        what the kind itself needs (a track and cursor, a period)."""
        hour, minute, day_set = self._when(*when)
        values = {
            "channel_id": channel_id,
            "hour": hour,
            "minute": minute,
            "days": days_text(day_set),
            "track": None,
            "period": None,
            "configured_by": by,
            **extra,
        }
        row = await self.timed.save_schedule(guild_id, kind, values, self._now())
        return await self._saved(row)

    async def set_lessons(
        self,
        guild_id: int,
        channel_id: int | None,
        at_time: str,
        days: str,
        track: str | None = None,
        by: int | None = None,
    ) -> Card:
        """Post the roadmap's lessons in order, one per post, from a track or the start."""
        self._when(at_time, days)  # a bad time or day is named before a bad track
        first = self._first_lesson(track)
        chosen = track.strip().lower() if track else None
        return await self._save(
            guild_id, Kind.LESSONS, channel_id, (at_time, days), by, track=chosen, cursor=first
        )

    async def set_challenge(
        self, guild_id: int, channel_id: int | None, at_time: str, by: int | None = None
    ) -> Card:
        return await self._save(guild_id, Kind.CHALLENGE, channel_id, (at_time, "daily"), by)

    async def set_leaderboard(
        self,
        guild_id: int,
        channel_id: int | None,
        day: str,
        at_time: str,
        period: str,
        by: int | None = None,
    ) -> Card:
        chosen = self._period(period).value
        return await self._save(
            guild_id, Kind.LEADERBOARD, channel_id, (at_time, day), by, period=chosen
        )

    async def set_showcase(
        self,
        guild_id: int,
        channel_id: int | None,
        day: str,
        at_time: str,
        by: int | None = None,
    ) -> Card:
        """A weekly post of the best-reviewed new portfolio projects (one per ISO week)."""
        return await self._save(guild_id, Kind.SHOWCASE, channel_id, (at_time, day), by)

    async def off(self, guild_id: int, kind: str) -> Card:
        which = self._kind(kind)
        row = await self.timed.switch_off(guild_id, which, None, self._now())
        if row is None:
            raise UserError(f"There is no {which.value} schedule switched on here.")
        return Card(
            title=f"Schedule off: {which.value}",
            body="Nothing more is posted on that schedule; set it again to switch it back on.",
            tone=Tone.SUCCESS,
            ephemeral=True,
        )

    async def show(self, guild_id: int) -> Card:
        """Each schedule, its next run as a Discord timestamp (the reader's own clock), and
        any problem that switched it off."""
        rows = await self.timed.schedules(guild_id)
        now = self._now()
        fields = []
        for row in rows:
            timetable, zone = _timetable(row), _zone(row)
            where = f"<#{row.channel_id}>" if row.channel_id else "the console"
            what = {
                Kind.LESSONS: f"lessons from `{row.track or 'the start'}`",
                Kind.CHALLENGE: "the daily challenge",
                Kind.LEADERBOARD: f"the leaderboard, {PERIODS.get(row.period or 'week')}",
                Kind.SHOWCASE: "the portfolio showcase",
            }[Kind(row.kind)]
            line = f"{what} in {where}, {timetable.days_text} at {timetable.time_text} ({zone.key})"
            if row.enabled:
                upcoming = next_fire(timetable, zone, now)
                line += f"\nnext: <t:{int(upcoming.timestamp())}:F>"
                if row.kind == Kind.LESSONS and row.cursor == FINISHED:
                    line += "\nevery lesson has been posted: set it again to start over"
            else:
                line += f"\n⚠️ off: {row.problem or 'switched off'}"
            fields.append(CardField(row.kind.capitalize(), line))
        settings = await self.ctx.store.guild_settings(guild_id)
        zone_note = (
            ""
            if settings and settings.timezone != "UTC"
            else "This server has no time zone set, so times are UTC: set one with "
            "`/admin setup timezone`."
        )
        body = "\n\n".join(
            part for part in (zone_note, "" if rows else "Nothing is scheduled yet.") if part
        )
        return Card(
            title="🗓️ Schedules",
            body=body,
            fields=tuple(fields),
            footer=f"Missed posts go out up to {settings.grace_hours if settings else 6} h late",
            ephemeral=True,
        )

    async def preview(self, guild_id: int, days: int = 7) -> Card:
        """What will be posted when over the next days, in the server's zone."""
        days = max(1, min(31, days))
        rows = [r for r in await self.timed.schedules(guild_id) if r.enabled]
        now = self._now()
        events: list[tuple[datetime, str]] = []
        for row in rows:
            timetable, zone = _timetable(row), _zone(row)
            cursor = row.cursor
            for fire in fires_between(timetable, zone, now, now + timedelta(days=days)):
                if row.kind == Kind.LESSONS:
                    lesson_id, cursor = self._pick(row, cursor)
                    what = (
                        f"lesson: {self.ctx.curriculum.lessons[lesson_id].title}"
                        if lesson_id
                        else "no lesson (the roadmap is done)"
                    )
                elif row.kind == Kind.CHALLENGE:
                    what = "daily challenge"
                elif row.kind == Kind.SHOWCASE:
                    what = f"portfolio showcase ({delivery_key(Kind.SHOWCASE, fire, zone)})"
                else:
                    period = Period(row.period or "week")
                    key = delivery_key(Kind.LEADERBOARD, fire, zone, period)
                    what = f"leaderboard ({PERIODS[period.value]}, {key})"
                where = f"#{row.channel_id}" if row.channel_id else "console"
                local = fire.astimezone(zone)
                events.append((fire, f"{local:%a %d %b %H:%M} {zone.key} · {where} · {what}"))
        events.sort()
        body = "\n".join(line for _fire, line in events) or "Nothing is scheduled."
        return Card(title=f"🗓️ The next {days} days", body=body)

    def _when(self, at_time: str, days: str) -> tuple[int, int, frozenset[int]]:
        try:
            hour, minute = parse_time(at_time)
            return hour, minute, parse_days(days)
        except ScheduleError as error:
            raise UserError(str(error)) from None

    @staticmethod
    def _period(text: str) -> Period:
        try:
            return parse_period(text)
        except ScheduleError as error:
            raise UserError(str(error)) from None

    @staticmethod
    def _kind(text: str) -> Kind:
        try:
            return Kind(text.strip().lower())
        except ValueError:
            raise UserError(
                f"`{text.strip()}` is not a schedule: use lessons, challenge, leaderboard or "
                "showcase."
            ) from None

    def _first_lesson(self, track: str | None) -> str:
        curriculum = self.ctx.curriculum
        if not track:
            ordered = curriculum.lessons_in_order()
            if not ordered:
                raise UserError("There are no lessons loaded to schedule.")
            return ordered[0].id
        wanted = track.strip().lower()
        found = next((t for t in curriculum.tracks if t.id == wanted), None)
        if found is None or not found.lesson_ids:
            names = ", ".join(t.id for t in curriculum.tracks)
            raise UserError(f"There is no track `{wanted}`. Tracks: {names}.")
        return found.lesson_ids[0]

    async def _saved(self, row: ScheduleRow) -> Card:
        card = await self.show(row.guild_id)
        return replace(card, title="🗓️ Schedule saved", tone=Tone.SUCCESS)

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    # -- the dispatcher ------------------------------------------------------------------

    async def planned(self) -> list[Planned]:
        """Every switched-on schedule, to make jobs from."""
        plans = []
        for row in await self.timed.enabled_schedules():
            try:
                timetable = _timetable(row)
            except ScheduleError:
                log.warning("schedule %d has an unreadable timetable; skipped", row.id)
                continue
            plans.append(Planned(row.id, row.guild_id, Kind(row.kind), timetable, _zone(row), row))
        return plans

    async def fire(self, schedule: int | ScheduleRow, now: datetime) -> list[Post]:
        """The posts due for a schedule at `now` (its latest fire at or before now), claimed
        for this process; nothing when it was posted already, is being posted by another
        process, or is too late (then it is recorded as skipped, once, and logged). Given a
        row (the dispatcher's, from its last sync), the claim checks the schedule is still on;
        given an id, it is read first."""
        row = await self.timed.schedule(schedule) if isinstance(schedule, int) else schedule
        if row is None or not row.enabled:
            return []
        timetable, zone = _timetable(row), _zone(row)
        fire = last_fire(timetable, zone, now)
        kind = Kind(row.kind)
        period = Period(row.period or "week") if kind is Kind.LEADERBOARD else None
        key = delivery_key(kind, fire, zone, period)
        late = now - fire
        if kind is Kind.CHALLENGE:
            too_late = now.astimezone(zone).date() != fire.astimezone(zone).date()
        else:
            too_late = late > timedelta(hours=row.grace_hours)
        if kind is Kind.LEADERBOARD:
            return await self._leaderboard(row, key, fire, now, too_late)
        if too_late:
            await self._skip(row, kind, key, fire, now, late)
            return []
        if kind is Kind.CHALLENGE:
            return await self._challenge(row, key, fire, zone, now)
        if kind is Kind.SHOWCASE:
            claim = await self.timed.claim(row, kind, key, fire, now, self.lease)
            return await self._showcase(row, key, claim, now)
        claim = await self.timed.claim(
            row, kind, key, fire, now, self.lease, self._lesson_pick(row)
        )
        if claim.status not in ("new", "stale"):
            return []
        if not claim.ref:
            assert claim.delivery_id is not None
            await self.timed.record(claim.delivery_id, "skipped", now, detail="roadmap done")
            return []
        return [self._lesson_post(row, key, claim)]

    async def _challenge(
        self, row: ScheduleRow, key: str, fire: datetime, zone: ZoneInfo, now: datetime
    ) -> list[Post]:
        """Claim the day's challenge post and make it (one transaction), with the reveal of
        the previous challenge when there is one."""
        day = fire.astimezone(zone).date()
        made = await self.ctx.store.claim_challenge(
            row, key, day, self.challenges.pick(row.guild_id, day), fire, now, self.lease
        )
        claim = made.claim
        if claim.status not in ("new", "stale") or made.challenge is None:
            return []
        card = self.challenges.challenge_card(made.challenge, made.answered)
        post = claimed_post(row, Kind.CHALLENGE.value, key, claim, card)
        reveals = await self._reveal(row, made.previous, fire, now) if made.previous else []
        return [*reveals, post]

    async def _skip(
        self,
        row: ScheduleRow,
        kind: Kind,
        key: str,
        fire: datetime,
        now: datetime,
        late: timedelta,
    ) -> None:
        hours = late.total_seconds() / 3600
        detail = f"missed by {hours:.1f} h, beyond its window"
        if await self.timed.skip(row.guild_id, kind, key, fire, detail, now):
            log.warning("guild %d: %s %s not posted: %s", row.guild_id, kind.value, key, detail)

    async def _showcase(
        self, row: ScheduleRow, key: str, claim: Claim, now: datetime
    ) -> list[Post]:
        """The week's showcase, or nothing (recorded as skipped) when no new project has a
        review: an empty board every week would only be noise in the channel."""
        if claim.status not in ("new", "stale"):
            return []
        card = await self.portfolio.showcase(row.guild_id, key, now)
        if card is None:
            assert claim.delivery_id is not None
            await self.timed.record(claim.delivery_id, "skipped", now, detail="nothing reviewed")
            return []
        return [claimed_post(row, Kind.SHOWCASE.value, key, claim, card)]

    def _lesson_pick(self, row: ScheduleRow) -> PickRef:
        def pick(cursor: str | None) -> tuple[str | None, str | None]:
            return self._pick(row, cursor)

        return pick

    def _pick(self, row: ScheduleRow, cursor: str | None) -> tuple[str | None, str | None]:
        """The lesson at the cursor and the cursor after it (the roadmap's order)."""
        ordered = [lesson.id for lesson in self.ctx.curriculum.lessons_in_order()]
        if cursor == FINISHED:
            return None, FINISHED
        if cursor not in ordered:  # unset, or removed by a content reload
            cursor = self._first_lesson(row.track) if ordered else None
        if cursor is None:
            return None, FINISHED
        index = ordered.index(cursor)
        following = ordered[index + 1] if index + 1 < len(ordered) else FINISHED
        return cursor, following

    def _lesson_post(self, row: ScheduleRow, key: str, claim: Claim) -> Post:
        """A lesson's first page in the channel; its other pages go in a thread on it."""
        assert claim.ref is not None
        cards = self.lessons.post_cards(self.ctx.curriculum.lessons[claim.ref])
        first = cards[0]
        return claimed_post(
            row,
            Kind.LESSONS.value,
            key,
            claim,
            first,
            thread_name=f"📖 {first.title}"[:THREAD_NAME_MAX],
            thread_cards=(*cards[1:], DISCUSS),
        )

    async def _reveal(
        self, row: ScheduleRow, previous: DeliveryRow, fire: datetime, now: datetime
    ) -> list[Post]:
        """When a challenge is posted, the previous one closes: its answer goes under it."""
        day = date.fromisoformat(previous.key.split(":", 1)[1])
        if previous.message_id is None or fire.date() - day > timedelta(days=7):
            return []
        key = f"reveal:{day.isoformat()}"
        claim = await self.timed.claim(row, "reveal", key, fire, now, self.lease)
        if claim.status not in ("new", "stale"):
            return []
        challenge, _answered = await self.challenges.of_day(row.guild_id, day)
        card = await self.challenges.reveal_card(challenge)
        channel = previous.channel_id or row.channel_id
        reply = previous.message_id
        return [claimed_post(row, "reveal", key, claim, card, channel_id=channel, reply_to=reply)]

    async def _leaderboard(
        self, row: ScheduleRow, key: str, fire: datetime, now: datetime, too_late: bool
    ) -> list[Post]:
        """One message per period: the first run of a period posts it, later runs edit it."""
        if too_late:  # a missed update of a board is harmless: the next run brings it up to date
            log.info("guild %d: leaderboard run of %s skipped (late)", row.guild_id, fire)
            return []
        period = row.period or "week"
        card = await self.leaderboard.card(row.guild_id, period, chart=True)
        existing = await self.timed.delivery(row.guild_id, Kind.LEADERBOARD, key)
        if existing is not None and existing.state == "posted" and existing.message_id:
            return [
                Post(
                    delivery_id=None,
                    schedule_id=row.id,
                    guild_id=row.guild_id,
                    kind=Kind.LEADERBOARD.value,
                    key=key,
                    channel_id=existing.channel_id or row.channel_id,
                    cards=(card,),
                    nonce=nonce_of(row.guild_id, "leaderboard", key),
                    title=card.title,
                    edit_message_id=existing.message_id,
                )
            ]
        claim = await self.timed.claim(row, Kind.LEADERBOARD, key, fire, now, self.lease)
        if claim.status in ("done", "busy"):
            return []
        return [claimed_post(row, Kind.LEADERBOARD.value, key, claim, card)]

    async def lapsed(self, now: datetime, owns: Callable[[int], bool] = _anyone) -> list[Post]:
        """Claims whose lease ran out without a message, claimed again by this process: each
        is looked for in its channel first (`look_first`), then posted."""
        posts: list[Post] = []
        for delivery in await self.timed.lapsed_claims(now):
            if not owns(delivery.guild_id):
                continue
            rows = [
                r
                for r in await self.timed.schedules(delivery.guild_id)
                if r.kind == _schedule_kind(delivery.kind)
            ]
            if not rows or delivery.fire_at is None:
                continue
            row = rows[0]
            if delivery.kind == "reveal":
                continue  # a reveal is remade with the next challenge if it never went out
            posts.extend(await self.fire_at(row, delivery.fire_at, now))
        return posts

    async def fire_at(self, row: ScheduleRow, fire: datetime, now: datetime) -> list[Post]:
        """A lapsed claim of a specific fire instant, taken over by this process."""
        if not row.enabled:
            return []
        kind = Kind(row.kind)
        zone = _zone(row)
        period = Period(row.period or "week") if kind is Kind.LEADERBOARD else None
        key = delivery_key(kind, fire, zone, period)
        if kind is Kind.CHALLENGE:
            return await self._challenge(row, key, fire, zone, now)
        claim = await self.timed.claim(row, kind, key, fire, now, self.lease)
        if claim.status != "stale":
            return []
        if kind is Kind.SHOWCASE:
            return await self._showcase(row, key, claim, now)
        if kind is Kind.LEADERBOARD:
            card = await self.leaderboard.card(row.guild_id, row.period or "week", chart=True)
            return [
                Post(
                    delivery_id=claim.delivery_id,
                    schedule_id=row.id,
                    guild_id=row.guild_id,
                    kind=kind.value,
                    key=key,
                    channel_id=row.channel_id,
                    cards=(card,),
                    nonce=nonce_of(row.guild_id, kind.value, key),
                    title=card.title,
                    claimed_at=claim.claimed_at,
                    look_first=True,
                )
            ]
        return [self._lesson_post(row, key, claim)]

    async def posted(self, post: Post, message_id: int | None) -> None:
        """The message of a claimed post exists: the claim is done."""
        if post.delivery_id is not None:
            await self.timed.record(
                post.delivery_id,
                "posted",
                self._now(),
                message_id=message_id,
                channel_id=post.channel_id,
            )

    async def broke(self, post: Post, reason: str) -> Notice | None:
        """The channel is gone or closed to the bot: switch the schedule off, saying why, and
        return who to tell (only the first time, so moderators hear of it once)."""
        kind = _schedule_kind(post.kind)
        if post.delivery_id is not None:
            await self.timed.record(post.delivery_id, "skipped", self._now(), detail=reason)
        problem = f"cannot post in <#{post.channel_id}>: {reason}"
        row = await self.timed.switch_off(post.guild_id, kind, problem, self._now())
        if row is None:
            return None
        text = (
            f"Studybot switched off this server's {kind} schedule: it {problem}. "
            f"Give the bot access (or pick another channel) and set it again with "
            f"`/admin schedule {kind}`."
        )
        return Notice(post.guild_id, row.configured_by, text)

    # -- the console's feed --------------------------------------------------------------

    async def feed(self, who: MemberRef) -> list[Card]:
        """What the server's schedule posted since the member last looked (today's lesson and
        challenge, say), as the same cards; marks it seen."""
        since = await self.timed.feed_seen(who, self._now())
        posted = await self.timed.deliveries_since(
            who.guild_id, [Kind.LESSONS, Kind.CHALLENGE], since
        )
        cards: list[Card] = []
        for delivery in posted[-10:]:
            lessons = self.ctx.curriculum.lessons
            if delivery.kind == Kind.LESSONS and delivery.ref and delivery.ref in lessons:
                lesson = lessons[delivery.ref]
                cards.append(self.lessons.lesson_card(lesson))
            elif delivery.kind == Kind.CHALLENGE:
                day = datetime.fromisoformat(delivery.key.split(":", 1)[1]).date()
                challenge, answered = await self.challenges.of_day(who.guild_id, day)
                cards.append(self.challenges.challenge_card(challenge, answered))
        return cards


def _schedule_kind(delivery_kind: str) -> str:
    return Kind.CHALLENGE.value if delivery_kind == "reveal" else delivery_kind
