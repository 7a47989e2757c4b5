"""Facts Veil keeps for itself across restarts and processes (the webhook's secret).

Revision ID: veil_0002
Revises: veil_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "veil_0002"
down_revision = "veil_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_support_state")),
    )


def downgrade() -> None:
    op.drop_table("support_state")
