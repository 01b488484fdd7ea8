"""quiz runs; review cards lose the unused box and interval columns

A quiz or review session becomes a row (`quiz_runs`) that buttons name by id and step, so a
stale button is recognised and a run's missed questions can be listed. `review_cards.box` and
`interval_days` were written but never read; the spacing model replaces them later.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quiz_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("results", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_runs")),
    )
    with op.batch_alter_table("quiz_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quiz_run_member", ["guild_id", "user_id", "created_at"], unique=False
        )
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.drop_column("box")
        batch_op.drop_column("interval_days")


def downgrade() -> None:
    with op.batch_alter_table("review_cards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interval_days", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("box", sa.Integer(), nullable=False, server_default="0"))
    op.drop_table("quiz_runs")
