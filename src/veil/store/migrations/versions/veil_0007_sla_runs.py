"""SLA clock runs: one row per run of a ticket's first-response, next-response and
resolution clocks, with what was found on it (warning, breach) and when it stopped.

Revision ID: veil_0007
Revises: veil_0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0007"
down_revision = "veil_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_sla_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("clock", sa.String(length=24), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used", sa.Float(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent_id", ID, nullable=True),
        sa.Column("level", sa.String(length=2), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_sla_runs_ticket_id_support_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_sla_runs_agent_id_support_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_sla_runs")),
    )
    with op.batch_alter_table("support_sla_runs") as batch:
        batch.create_index("ix_support_sla_runs_ticket", ["ticket_id", "stopped_at"])
        batch.create_index("ix_support_sla_runs_period", ["clock", "stopped_at"])
        batch.create_index(
            "ix_support_sla_runs_due",
            ["check_at"],
            sqlite_where=sa.text("check_at IS NOT NULL"),
            postgresql_where=sa.text("check_at IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_table("support_sla_runs")
