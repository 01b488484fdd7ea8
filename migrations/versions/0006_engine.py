"""the learning engine: FSRS memory cards and review logs, streak rules, XP period totals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Existing data is carried over, not reinterpreted: every stored study day stays a counted day
(the old rule counted any activity); a review card becomes a learning card due on its old due
date; XP totals per period are computed from the stored XP events in each server's zone.
Items answered before this revision have no card until they are answered again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(sa.Column("retention", sa.Float(), nullable=False, server_default="0.9"))
        batch.add_column(
            sa.Column("new_per_day", sa.Integer(), nullable=False, server_default="10")
        )
        batch.add_column(sa.Column("rolling_day", sa.Date(), nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("xp_reached_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("streak_mode", _STR(length=8), nullable=False, server_default="daily")
        )
        batch.add_column(
            sa.Column("streak_target", sa.Integer(), nullable=False, server_default="3")
        )
        batch.add_column(sa.Column("streak_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("streak_latest", sa.Date(), nullable=True))
        batch.add_column(sa.Column("week_days", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("zone_next", _STR(length=64), nullable=True))
        batch.add_column(sa.Column("zone_next_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("zone_changed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("activity_days") as batch:
        for name in ("lessons", "dailies", "exercises", "answers"):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE activity_days SET counted = " + _true())
    op.create_table(
        "streak_forgiven",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streak_forgiven")),
        sa.UniqueConstraint("guild_id", "user_id", "day", name="uq_streak_forgiven"),
    )
    op.create_table(
        "streak_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", _STR(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streak_events")),
    )
    op.create_index("ix_streak_event_member", "streak_events", ["guild_id", "user_id", "day"])
    op.create_table(
        "xp_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("period", _STR(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("xp", sa.Integer(), nullable=False),
        sa.Column("reached_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xp_totals")),
        sa.UniqueConstraint("guild_id", "period", "user_id", name="uq_xp_total"),
    )
    op.create_index(
        "ix_xp_total_board",
        "xp_totals",
        ["guild_id", "period", sa.text("xp DESC"), "reached_at", "user_id"],
    )
    op.create_table(
        "memory_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", _STR(length=64), nullable=False),
        sa.Column("kind", _STR(length=8), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", UTCDateTime(), nullable=False),
        sa.Column("last_review", UTCDateTime(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("introduced_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_cards")),
        sa.UniqueConstraint("guild_id", "user_id", "item_id", name="uq_memory_card"),
    )
    op.create_index("ix_memory_card_due", "memory_cards", ["guild_id", "user_id", "kind", "due"])
    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", _STR(length=64), nullable=False),
        sa.Column("source", _STR(length=8), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("elapsed_days", sa.Float(), nullable=False),
        sa.Column("scheduled_days", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
    )
    op.create_index("ix_review_log_member", "review_logs", ["guild_id", "user_id", "item_id", "at"])
    _carry_over()
    op.drop_table("review_cards")
    # The models set these in Python; the server defaults were only for the rows above.
    _drop_defaults()


def _true() -> str:
    return "true" if op.get_bind().dialect.name == "postgresql" else "1"


def _carry_over() -> None:
    bind = op.get_bind()
    cards = sa.table(
        "memory_cards",
        *(sa.column(n) for n in ("guild_id", "user_id", "item_id", "kind", "state", "step")),
        *(sa.column(n) for n in ("due", "reps", "lapses")),
    )
    rows = bind.execute(
        sa.text("SELECT guild_id, user_id, item_id, due_on, reps, lapses FROM review_cards")
    ).all()
    if rows:
        bind.execute(
            sa.insert(cards),
            [
                {
                    "guild_id": g,
                    "user_id": u,
                    "item_id": item,
                    "kind": "quiz",
                    "state": 1,
                    "step": 0,
                    "due": _midnight(due),
                    "reps": reps,
                    "lapses": lapses,
                }
                for g, u, item, due, reps, lapses in rows
            ],
        )
    _totals(bind)


def _midnight(day: Any) -> str | datetime:
    value = date.fromisoformat(day) if isinstance(day, str) else day
    instant = datetime.combine(value, time(0), tzinfo=UTC)
    if op.get_bind().dialect.name == "postgresql":
        return instant
    return instant.strftime("%Y-%m-%d %H:%M:%S.%f")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _totals(bind: Any) -> None:
    """Period totals from the XP events (the same sums `studybot db rebuild-stats` makes)."""
    zones = {
        int(g): _zone(z)
        for g, z in bind.execute(sa.text("SELECT guild_id, timezone FROM guild_settings"))
    }
    sums: dict[tuple[int, str, int], list[Any]] = defaultdict(lambda: [0, None])
    for g, u, amount, at in bind.execute(
        sa.text("SELECT guild_id, user_id, amount, at FROM xp_events")
    ):
        instant = at if isinstance(at, datetime) else datetime.fromisoformat(at)
        instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant
        day = instant.astimezone(zones.get(int(g), ZoneInfo("UTC"))).date()
        monday = day - timedelta(days=day.weekday())
        for period in ("all", f"w:{monday}", f"m:{day:%Y-%m}", f"d:{day}"):
            total = sums[(int(g), period, int(u))]
            total[0] += int(amount)
            total[1] = instant if total[1] is None or instant > total[1] else total[1]
    if not sums:
        return
    pg = bind.dialect.name == "postgresql"
    table = sa.table("xp_totals", *(sa.column(n) for n in ("guild_id", "period", "user_id")))
    table.append_column(sa.column("xp"))
    table.append_column(sa.column("reached_at"))
    bind.execute(
        sa.insert(table),
        [
            {
                "guild_id": g,
                "period": period,
                "user_id": u,
                "xp": xp,
                "reached_at": at if pg else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            }
            for (g, period, u), (xp, at) in sums.items()
        ],
    )


def _drop_defaults() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.alter_column("retention", server_default=None)
        batch.alter_column("new_per_day", server_default=None)
    with op.batch_alter_table("members") as batch:
        for name in ("streak_mode", "streak_target", "week_days"):
            batch.alter_column(name, server_default=None)
    with op.batch_alter_table("activity_days") as batch:
        for name in ("lessons", "dailies", "exercises", "answers", "counted"):
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    op.create_table(
        "review_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", _STR(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cards")),
        sa.UniqueConstraint("guild_id", "user_id", "item_id", name="uq_review_card"),
    )
    op.drop_table("review_logs")
    op.drop_table("memory_cards")
    op.drop_table("xp_totals")
    op.drop_table("streak_events")
    op.drop_table("streak_forgiven")
    with op.batch_alter_table("activity_days") as batch:
        for name in ("lessons", "dailies", "exercises", "answers", "counted"):
            batch.drop_column(name)
    with op.batch_alter_table("members") as batch:
        for name in (
            "xp_reached_at",
            "streak_mode",
            "streak_target",
            "streak_start",
            "streak_latest",
            "week_days",
            "zone_next",
            "zone_next_at",
            "zone_changed_at",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("guild_settings") as batch:
        for name in ("retention", "new_per_day", "rolling_day"):
            batch.drop_column(name)
