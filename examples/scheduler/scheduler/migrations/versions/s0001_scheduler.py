"""The scheduler's tables, and a clinic to book: two services, two providers, slots.

Revision ID: s0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False, server_default="client"),
        sa.Column("language", sa.String(8)),
    )
    services = op.create_table(
        "services",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    providers = op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    slots = op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("slots.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="booked"),
    )
    op.bulk_insert(services, [{"id": 1, "name": "Haircut"}, {"id": 2, "name": "Massage"}])
    op.bulk_insert(providers, [{"id": 1, "name": "Dr Bob Lee"}, {"id": 2, "name": "Ann Stone"}])
    # A week of slots from tomorrow: three a day for each provider.
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [
        {"provider_id": provider, "starts_at": day + timedelta(days=d, hours=h)}
        for d in range(1, 8)
        for h in (10, 11.5, 15)
        for provider in (1, 2)
    ]
    op.bulk_insert(slots, rows)


def downgrade() -> None:
    for name in ("bookings", "slots", "providers", "services", "users"):
        op.drop_table(name)
