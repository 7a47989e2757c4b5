"""Since when a ticket's client waits for an answer: only a message that starts or ends
a wait touches the SLA clocks.

Revision ID: veil_0011
Revises: veil_0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "veil_0011"
down_revision = "veil_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.add_column(
            sa.Column("awaiting_reply_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("support_tickets") as batch:
        batch.drop_column("awaiting_reply_since")
