"""A resolution run knows how it ended: who closed the ticket, and whether it came back
(the figures then read one table, without joining tickets or looking for later runs); a
missed first response knows when it was last escalated, and when nobody is left above.

Revision ID: veil_0010
Revises: veil_0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "veil_0010"
down_revision = "veil_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_sla_runs") as batch:
        batch.add_column(sa.Column("closed_by", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("reopened", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("settled", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("support_sla_runs") as batch:
        batch.drop_column("settled")
        batch.drop_column("escalated_at")
        batch.drop_column("reopened")
        batch.drop_column("closed_by")
