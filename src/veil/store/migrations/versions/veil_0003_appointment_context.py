"""What a ticket is about (the host's appointment) and the changes offered on it.

Revision ID: veil_0003
Revises: veil_0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0003"
down_revision = "veil_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.add_column(sa.Column("about", sa.JSON(), nullable=True))
    op.create_table(
        "support_offers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appointment_ref", sa.String(length=40), nullable=False),
        sa.Column("slot_ref", sa.String(length=40), nullable=True),
        sa.Column("slot_label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_offers_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_offers")),
    )
    with op.batch_alter_table("support_offers") as batch:
        batch.create_index("ix_support_offers_ticket", ["ticket_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_table("support_offers")
    with op.batch_alter_table("support_tickets") as batch:
        batch.drop_column("about")
