"""Delivery at scale: outbox rows claimed by a sender worker; desk groups that moved;
tickets worked from an agent's private chat.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.add_column(sa.Column("private_agent_id", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_support_tickets_private_agent_id_users"),
            "users",
            ["private_agent_id"],
            ["id"],
        )
        batch.create_index("ix_support_tickets_private", ["private_agent_id"])
    with op.batch_alter_table("support_outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "support_desk_moves",
        sa.Column("old_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_chat_id", name=op.f("pk_support_desk_moves")),
    )


def downgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.drop_index("ix_support_tickets_private")
        batch.drop_constraint(op.f("fk_support_tickets_private_agent_id_users"), type_="foreignkey")
        batch.drop_column("private_agent_id")
    op.drop_table("support_desk_moves")
    with op.batch_alter_table("support_outbox") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
