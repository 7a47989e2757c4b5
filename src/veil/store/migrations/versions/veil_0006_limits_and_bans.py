"""Rate limits and bans: per-person decisions, events of limits no other table counts,
the notices already given, and an index for a client's messages in the last hour.

``support_rate_limits`` of the baseline was never written (a fixed-window counter that
nothing used); it is made again in the shape limits and bans need.

Revision ID: veil_0006
Revises: veil_0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0006"
down_revision = "veil_0005"
branch_labels = None
depends_on = None


def _person(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["support_people.id"], name=op.f(f"fk_{table}_{column}_support_people")
    )


def upgrade() -> None:
    op.drop_table("support_rate_limits")
    op.create_table(
        "support_rate_limits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("allowance", sa.Integer(), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _person("user_id", "support_rate_limits"),
        _person("created_by", "support_rate_limits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_rate_limits")),
        sa.UniqueConstraint("user_id", "kind", name="uq_support_rate_limits_user_kind"),
    )
    op.create_table(
        "support_rate_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_rate_events")),
    )
    with op.batch_alter_table("support_rate_events") as batch:
        batch.create_index("ix_support_rate_events_key", ["key", "at"], unique=False)
    op.create_table(
        "support_limit_notices",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        _person("user_id", "support_limit_notices"),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_support_limit_notices")),
    )
    with op.batch_alter_table("support_messages") as batch:
        batch.create_index(
            "ix_support_messages_ticket_time", ["ticket_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_messages") as batch:
        batch.drop_index("ix_support_messages_ticket_time")
    op.drop_table("support_limit_notices")
    op.drop_table("support_rate_events")
    op.drop_table("support_rate_limits")
    op.create_table(
        "support_rate_limits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        _person("user_id", "support_rate_limits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_rate_limits")),
        sa.UniqueConstraint(
            "user_id", "action", "window_start", name="uq_support_rate_limits_window"
        ),
    )
