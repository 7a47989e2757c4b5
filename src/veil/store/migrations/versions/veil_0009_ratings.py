"""Satisfaction ratings: one per ticket (score 1-5, an optional comment, sealed), with
the owner and level at the close, for CSAT per agent and per level.

Revision ID: veil_0009
Revises: veil_0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0009"
down_revision = "veil_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_ratings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("level", sa.String(length=2), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("comment_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_ratings_ticket_id_support_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_ratings_agent_id_support_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_ratings")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_support_ratings_ticket_id")),
    )
    with op.batch_alter_table("support_ratings") as batch:
        batch.create_index("ix_support_ratings_rated", ["rated_at"])


def downgrade() -> None:
    op.drop_table("support_ratings")
