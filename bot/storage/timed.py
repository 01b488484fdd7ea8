"""Queries of the timed posts: schedules, the deliveries that make each post happen once, and
members' reminders. Each method is one transaction on one thread hop, like `Store`'s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    bindparam,
    case,
    func,
    or_,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain.streaks import zone_in_force
from bot.domain.values import Claim, DeliveryRow, MemberRef, ReminderTarget, ScheduleRow
from bot.storage.db import Database
from bot.storage.models import Delivery, GuildSettings, Member, Schedule
from bot.storage.types import UTCDateTime

# Given the schedule's cursor: the post's reference (a lesson id) and the next cursor.
PickRef = Callable[[str | None], tuple[str | None, str | None]]


def _schedule_row(schedule: Schedule, zone: str | None, grace: int | None) -> ScheduleRow:
    assert schedule.id is not None
    return ScheduleRow(
        id=schedule.id,
        guild_id=schedule.guild_id,
        kind=schedule.kind,
        channel_id=schedule.channel_id,
        hour=schedule.hour,
        minute=schedule.minute,
        days=schedule.days,
        track=schedule.track,
        period=schedule.period,
        cursor=schedule.cursor,
        enabled=schedule.enabled,
        problem=schedule.problem,
        configured_by=schedule.configured_by,
        guild_timezone=zone,
        grace_hours=6 if grace is None else grace,
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _delivery_row(delivery: Delivery) -> DeliveryRow:
    assert delivery.id is not None
    return DeliveryRow(
        id=delivery.id,
        guild_id=delivery.guild_id,
        kind=delivery.kind,
        key=delivery.key,
        ref=delivery.ref,
        state=delivery.state,
        channel_id=delivery.channel_id,
        message_id=delivery.message_id,
        fire_at=delivery.fire_at,
        created_at=delivery.created_at,
    )


_FIND_DELIVERY = (
    text(
        "SELECT id, state, ref, message_id, lease_until, created_at, updated_at FROM deliveries"
        " WHERE guild_id = :g AND kind = :k AND key = :key"
    )
    .bindparams(bindparam("g", type_=BigInteger()))
    .columns(
        id=Integer(),
        state=String(),
        ref=String(),
        message_id=BigInteger(),
        lease_until=UTCDateTime(),
        created_at=UTCDateTime(),
        updated_at=UTCDateTime(),
    )
)
_TAKE_OVER = text(
    "UPDATE deliveries SET lease_until = :until, updated_at = :at WHERE id = :id"
    " AND state = 'claimed' AND (lease_until IS NULL OR lease_until <= :at) RETURNING id"
).bindparams(bindparam("until", type_=UTCDateTime()), bindparam("at", type_=UTCDateTime()))
_SCHEDULE_STATE = text("SELECT enabled, cursor FROM schedules WHERE id = :id").columns(
    enabled=Boolean(), cursor=String()
)
_NEW_CLAIM = text(
    "INSERT INTO deliveries (guild_id, kind, key, ref, state, channel_id, fire_at,"
    " lease_until, created_at, updated_at)"
    " VALUES (:g, :k, :key, :ref, 'claimed', :channel, :fire, :until, :at, :at) RETURNING id"
).bindparams(
    bindparam("fire", type_=UTCDateTime()),
    bindparam("until", type_=UTCDateTime()),
    bindparam("at", type_=UTCDateTime()),
)
_MOVE_CURSOR = text("UPDATE schedules SET cursor = :cursor WHERE id = :id")
_LATEST_POSTED = (
    text(
        "SELECT id, guild_id, kind, key, ref, state, channel_id, message_id, fire_at,"
        " created_at FROM deliveries WHERE guild_id = :g AND kind = :k AND key < :key"
        " AND state = 'posted' ORDER BY key DESC LIMIT 1"
    )
    .bindparams(bindparam("g", type_=BigInteger()))
    .columns(
        id=Integer(),
        guild_id=BigInteger(),
        kind=String(),
        key=String(),
        ref=String(),
        state=String(),
        channel_id=BigInteger(),
        message_id=BigInteger(),
        fire_at=UTCDateTime(),
        created_at=UTCDateTime(),
    )
)


class TimedStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- schedules -----------------------------------------------------------------------

    @staticmethod
    def _rows(session: Session, *where: Any) -> list[ScheduleRow]:
        query = (
            select(Schedule, GuildSettings.timezone, GuildSettings.grace_hours)
            .outerjoin(GuildSettings, col(GuildSettings.guild_id) == col(Schedule.guild_id))
            .where(*where)
            .order_by(col(Schedule.guild_id), col(Schedule.kind))
        )
        rows: list[ScheduleRow] = []
        for row in session.execute(query).all():
            schedule: Schedule = row[0]
            rows.append(_schedule_row(schedule, _opt_str(row[1]), _opt_int(row[2])))
        return rows

    async def schedules(self, guild_id: int) -> list[ScheduleRow]:
        return await self.db.read(
            lambda session: self._rows(session, col(Schedule.guild_id) == guild_id)
        )

    async def schedule(self, schedule_id: int) -> ScheduleRow | None:
        def work(session: Session) -> ScheduleRow | None:
            rows = self._rows(session, col(Schedule.id) == schedule_id)
            return rows[0] if rows else None

        return await self.db.read(work)

    async def enabled_schedules(self) -> list[ScheduleRow]:
        return await self.db.read(lambda session: self._rows(session, col(Schedule.enabled)))

    async def version(self) -> tuple[Any, int]:
        """Changes whenever any schedule (or a server's zone) changes: polled by every process,
        so a schedule set through one process reaches the jobs of all."""

        def work(session: Session) -> tuple[Any, int]:
            latest, count, enabled = session.execute(
                select(
                    func.max(col(Schedule.updated_at)),
                    func.count(col(Schedule.id)),
                    func.sum(case((col(Schedule.enabled), col(Schedule.id)), else_=0)),
                )
            ).one()
            zones = session.execute(select(func.max(col(GuildSettings.updated_at)))).scalar()
            return (latest, zones, enabled), int(str(count))

        return await self.db.read(work)

    async def save_schedule(
        self, guild_id: int, kind: str, values: dict[str, Any], at: datetime
    ) -> ScheduleRow:
        """Create or replace a guild's schedule of one kind (switched on, problem cleared)."""

        def work(session: Session) -> ScheduleRow:
            found = session.execute(
                select(Schedule).where(
                    col(Schedule.guild_id) == guild_id, col(Schedule.kind) == kind
                )
            ).scalar_one_or_none()
            if found is None:
                found = Schedule(guild_id=guild_id, kind=kind, created_at=at, **values)
            else:
                for name, value in values.items():
                    setattr(found, name, value)
            found.enabled, found.problem, found.updated_at = True, None, at
            session.add(found)
            session.flush()
            assert found.id is not None
            return self._rows(session, col(Schedule.id) == found.id)[0]

        return await self.db.write(work)

    async def switch_off(
        self, guild_id: int, kind: str, problem: str | None, at: datetime
    ) -> ScheduleRow | None:
        """Switch a schedule off (saying why, if it broke); the row when this call switched it
        off, None when there is none or it already was (so a breakage is reported once)."""

        def work(session: Session) -> ScheduleRow | None:
            changed = session.execute(
                update(Schedule)
                .where(
                    col(Schedule.guild_id) == guild_id,
                    col(Schedule.kind) == kind,
                    col(Schedule.enabled),
                )
                .values(enabled=False, problem=problem, updated_at=at)
                .returning(col(Schedule.id))
            ).scalar_one_or_none()
            if changed is None:
                return None
            return self._rows(session, col(Schedule.id) == changed)[0]

        return await self.db.write(work)

    # -- deliveries ----------------------------------------------------------------------

    @staticmethod
    def _delivery(session: Session, guild_id: int, kind: str, key: str) -> Delivery | None:
        return session.execute(
            select(Delivery).where(
                col(Delivery.guild_id) == guild_id,
                col(Delivery.kind) == kind,
                col(Delivery.key) == key,
            )
        ).scalar_one_or_none()

    async def delivery(self, guild_id: int, kind: str, key: str) -> DeliveryRow | None:
        def work(session: Session) -> DeliveryRow | None:
            found = self._delivery(session, guild_id, kind, key)
            return _delivery_row(found) if found is not None else None

        return await self.db.read(work)

    @staticmethod
    def latest_posted_in(
        session: Session, guild_id: int, kind: str, before_key: str
    ) -> DeliveryRow | None:
        found = session.execute(_LATEST_POSTED, {"g": guild_id, "k": kind, "key": before_key})
        row = found.first()
        values: tuple[Any, ...] = tuple(row) if row is not None else ()
        return DeliveryRow(*values) if values else None

    async def latest_posted(self, guild_id: int, kind: str, before_key: str) -> DeliveryRow | None:
        """The guild's most recent posted delivery of a kind whose key sorts before
        `before_key` (keys of a kind embed ISO dates, so they sort by day)."""
        return await self.db.read(
            lambda session: self.latest_posted_in(session, guild_id, kind, before_key)
        )

    def claim_in(
        self,
        session: Session,
        schedule: ScheduleRow,
        kind: str,
        key: str,
        fire_at: datetime,
        at: datetime,
        lease: timedelta,
        pick: PickRef | None = None,
    ) -> Claim:
        """`claim`'s work inside a caller's transaction (a challenge post claims and makes its
        challenge in one). Prepared SQL: at 10,000 servers this runs 10,000 times a minute."""
        ids = {"g": schedule.guild_id, "k": kind, "key": key}
        found = session.execute(_FIND_DELIVERY, ids).first()
        if found is not None:
            values: tuple[Any, ...] = tuple(found)
            delivery_id, state, ref, message_id, lease_until, created_at, updated_at = values
            if state != "claimed":
                return Claim("done", delivery_id, ref, message_id, created_at)
            if lease_until is not None and lease_until > at:
                return Claim("busy", delivery_id, ref)
            taken = session.execute(
                _TAKE_OVER, {"id": delivery_id, "until": at + lease, "at": at}
            ).first()
            if taken is None:
                return Claim("busy", delivery_id, ref)
            return Claim("stale", delivery_id, ref, None, updated_at)
        current = session.execute(_SCHEDULE_STATE, {"id": schedule.id}).first()
        if current is None or not current[0]:
            return Claim("off")  # switched off (here or by another process) since it was read
        ref, cursor = pick(current[1]) if pick is not None else (None, None)
        delivery_id = session.execute(
            _NEW_CLAIM,
            {
                **ids,
                "ref": ref,
                "channel": schedule.channel_id,
                "fire": fire_at,
                "until": at + lease,
                "at": at,
            },
        ).scalar_one()
        if pick is not None:
            session.execute(_MOVE_CURSOR, {"id": schedule.id, "cursor": cursor})
        return Claim("new", int(delivery_id), ref, None, at)

    async def claim(
        self,
        schedule: ScheduleRow,
        kind: str,
        key: str,
        fire_at: datetime,
        at: datetime,
        lease: timedelta,
        pick: PickRef | None = None,
    ) -> Claim:
        """Claim the post `key` for this process, or say why not (see `Claim`). A new claim
        of a lesson post picks its lesson from the schedule's cursor (read in this
        transaction) and moves the cursor on, so a lesson is never skipped or posted twice."""
        try:
            return await self.db.write(
                lambda session: self.claim_in(
                    session, schedule, kind, key, fire_at, at, lease, pick
                )
            )
        except IntegrityError:  # a concurrent claim of the same key won the insert
            return Claim("busy")

    async def record(
        self,
        delivery_id: int,
        state: str,
        at: datetime,
        *,
        message_id: int | None = None,
        channel_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """The end of a claim: posted (with its message) or skipped (with why)."""

        def work(session: Session) -> None:
            values: dict[str, Any] = {"state": state, "updated_at": at, "lease_until": None}
            if message_id is not None:
                values["message_id"] = message_id
            if channel_id is not None:
                values["channel_id"] = channel_id
            if detail is not None:
                values["detail"] = detail[:300]
            session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(values))

        await self.db.write(work)

    async def skip(
        self, guild_id: int, kind: str, key: str, fire_at: datetime, detail: str, at: datetime
    ) -> bool:
        """Record a post that will not be made (missed beyond its grace window); True when it
        was recorded now, so it is logged once."""

        def work(session: Session) -> bool:
            if self._delivery(session, guild_id, kind, key) is not None:
                return False
            session.add(
                Delivery(
                    guild_id=guild_id,
                    kind=kind,
                    key=key,
                    state="skipped",
                    fire_at=fire_at,
                    detail=detail[:300],
                    created_at=at,
                    updated_at=at,
                )
            )
            return True

        try:
            return await self.db.write(work)
        except IntegrityError:
            return False

    async def lapsed_claims(self, at: datetime, limit: int = 100) -> list[DeliveryRow]:
        """Claims whose lease ran out without a message: a process died or a post failed."""

        def work(session: Session) -> list[DeliveryRow]:
            rows: Any = session.execute(
                select(Delivery)
                .where(col(Delivery.state) == "claimed", col(Delivery.lease_until) <= at)
                .order_by(col(Delivery.id))
                .limit(limit)
            ).scalars()
            return [_delivery_row(row) for row in rows]

        return await self.db.read(work)

    async def deliveries_since(
        self, guild_id: int, kinds: Sequence[str], since: datetime | None
    ) -> list[DeliveryRow]:
        def work(session: Session) -> list[DeliveryRow]:
            query = select(Delivery).where(
                col(Delivery.guild_id) == guild_id,
                col(Delivery.kind).in_(list(kinds)),
                col(Delivery.state) == "posted",
            )
            if since is not None:
                query = query.where(col(Delivery.updated_at) > since)
            rows: Any = session.execute(query.order_by(col(Delivery.id))).scalars()
            return [_delivery_row(row) for row in rows]

        return await self.db.read(work)

    # -- the console's feed mark and reminders ------------------------------------------

    async def feed_seen(self, who: MemberRef, at: datetime) -> datetime | None:
        """The member's previous feed mark, moved to `at`."""

        def work(session: Session) -> datetime | None:
            member = session.execute(
                select(Member).where(
                    col(Member.guild_id) == who.guild_id, col(Member.user_id) == who.user_id
                )
            ).scalar_one_or_none()
            if member is None:
                return None
            before = member.feed_seen_at
            member.feed_seen_at = at
            session.add(member)
            return before

        return await self.db.write(work)

    async def set_reminders(self, who: MemberRef, on: bool, at: datetime) -> None:
        def work(session: Session) -> None:
            member = session.execute(
                select(Member).where(
                    col(Member.guild_id) == who.guild_id, col(Member.user_id) == who.user_id
                )
            ).scalar_one_or_none()
            if member is None:
                member = Member(
                    guild_id=who.guild_id,
                    user_id=who.user_id,
                    display_name=who.display_name,
                    created_at=at,
                )
            member.reminders = on
            session.add(member)

        await self.db.write(work)

    async def reminder_targets(self, at: datetime) -> list[ReminderTarget]:
        """Members who asked for reminders, with the zone in force at `at` (a requested change
        applies from its instant on) and the last day they studied (any streak mode)."""

        def work(session: Session) -> list[ReminderTarget]:
            rows = session.execute(
                select(Member, GuildSettings.timezone)
                .outerjoin(GuildSettings, col(GuildSettings.guild_id) == col(Member.guild_id))
                .where(col(Member.reminders))
            ).all()
            targets = []
            for row in rows:
                member: Member = row[0]
                zone = zone_in_force(member.timezone, member.zone_next, member.zone_next_at, at)
                targets.append(
                    ReminderTarget(
                        member.guild_id,
                        member.user_id,
                        member.display_name,
                        zone,
                        _opt_str(row[1]),
                        member.reminded_on,
                        member.streak_latest,
                    )
                )
            return targets

        return await self.db.read(work)

    async def claim_reminder(self, who: MemberRef, today: date) -> bool:
        """At most one reminder a day: True for the one call that moved `reminded_on`."""

        def work(session: Session) -> bool:
            moved = session.execute(
                update(Member)
                .where(
                    col(Member.guild_id) == who.guild_id,
                    col(Member.user_id) == who.user_id,
                    col(Member.reminders),
                    or_(col(Member.reminded_on).is_(None), col(Member.reminded_on) < today),
                )
                .values(reminded_on=today)
                .returning(col(Member.id))
            ).scalar_one_or_none()
            return moved is not None

        return await self.db.write(work)
