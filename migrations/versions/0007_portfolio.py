"""the portfolio board: members' projects and their peer reviews (one per project and reviewer)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portfolio_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("problem", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("data", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("evaluation", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("showcased_in", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_projects")),
    )
    with op.batch_alter_table("portfolio_projects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portfolio_project_created", ["guild_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_portfolio_project_member", ["guild_id", "user_id"], unique=False)

    op.create_table(
        "portfolio_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("problem", sa.Integer(), nullable=False),
        sa.Column("end_to_end", sa.Integer(), nullable=False),
        sa.Column("evaluation", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("helpful_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["portfolio_projects.id"],
            name=op.f("fk_portfolio_reviews_project_id_portfolio_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_reviews")),
        sa.UniqueConstraint("project_id", "reviewer_id", name="uq_portfolio_review"),
    )
    with op.batch_alter_table("portfolio_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portfolio_review_reviewer", ["guild_id", "reviewer_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("portfolio_reviews")
    op.drop_table("portfolio_projects")
