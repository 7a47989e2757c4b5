"""Ticket lifecycle: the auto-close warning given to a silent ticket, the link from a
ticket to the one it follows, and an index of open tickets by their last activity.

Revision ID: veil_0008
Revises: veil_0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0008"
down_revision = "veil_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.add_column(sa.Column("idle_warned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_ticket_id", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_support_tickets_previous_ticket_id_support_tickets"),
            "support_tickets",
            ["previous_ticket_id"],
            ["id"],
        )
        batch.create_index(
            "ix_support_tickets_idle",
            ["last_activity_at"],
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.drop_index("ix_support_tickets_idle")
        batch.drop_constraint(
            op.f("fk_support_tickets_previous_ticket_id_support_tickets"), type_="foreignkey"
        )
        batch.drop_column("previous_ticket_id")
        batch.drop_column("idle_warned_at")
