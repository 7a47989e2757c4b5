"""Agents at work: load and last assignment, invite links, canned answers, alerts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:29:56.937848
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_alerts",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_support_alerts")),
    )
    op.create_table(
        "support_canned_answers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_support_canned_answers_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_canned_answers")),
        sa.UniqueConstraint("name", name=op.f("uq_support_canned_answers_name")),
    )
    op.create_table(
        "support_invites",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=2), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", ID, nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_support_invites_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_support_invites_used_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_invites_token_hash")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_reason", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_support_tickets_queue",
            ["required_level", "priority", "created_at"],
            unique=False,
            sqlite_where=sa.text("assigned_agent_id IS NULL AND status != 'closed'"),
            postgresql_where=sa.text("assigned_agent_id IS NULL AND status != 'closed'"),
        )
    with op.batch_alter_table("support_agent_status", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_tickets", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_support_tickets_queue")
        batch_op.drop_column("escalation_reason")
    with op.batch_alter_table("support_agent_status", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("open_tickets")

    op.drop_table("support_invites")
    op.drop_table("support_canned_answers")
    op.drop_table("support_alerts")
