"""The audit log's chain: each entry numbered (``seq``) and hashed with the one before.

Revision ID: veil_0005
Revises: veil_0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "veil_0005"
down_revision = "veil_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing wrote the log before this revision: it is empty, so columns can be required.
    with op.batch_alter_table("support_audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=False))
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
        batch.create_index("ix_support_audit_log_seq", ["seq"], unique=False)
        batch.create_index("ix_support_audit_log_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("support_audit_log") as batch:
        batch.drop_index("ix_support_audit_log_at")
        batch.drop_index("ix_support_audit_log_seq")
        batch.alter_column("hash", existing_type=sa.String(64), nullable=True)
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=True)
        batch.drop_column("seq")
