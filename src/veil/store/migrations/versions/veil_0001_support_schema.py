"""Veil's schema, every table ``support_*``, on a branch and version table of its own.

One baseline for what revisions 0001 to 0004 built under the default ``alembic_version``
(with the people in ``users``); a database made by them is adopted in place by
``veil.store.legacy`` rather than rebuilt.

Revision ID: veil_0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "veil_0001"
down_revision = None
# Hosts that run Alembic themselves include Veil's revisions as this branch.
branch_labels = ("veil",)
depends_on = None

# Made in this order (a table after the ones it refers to), dropped in the reverse.
TABLES = (
    "support_alerts",
    "support_desk_moves",
    "support_outbox",
    "support_people",
    "support_processed_updates",
    "support_agent_status",
    "support_canned_answers",
    "support_invites",
    "support_rate_limits",
    "support_tickets",
    "support_agent_assignments",
    "support_audit_log",
    "support_messages",
)


def upgrade() -> None:
    op.create_table(
        "support_alerts",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_support_alerts")),
    )
    op.create_table(
        "support_desk_moves",
        sa.Column("old_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("new_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("old_chat_id", name=op.f("pk_support_desk_moves")),
    )
    op.create_table(
        "support_outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", ID, nullable=True),
        sa.Column("delivery", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_outbox")),
    )
    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_support_outbox_pending", ["status", "lane", "id"], unique=False)

    op.create_table(
        "support_people",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="client", nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_people")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_support_people_telegram_id")),
    )
    with op.batch_alter_table("support_people", schema=None) as batch_op:
        batch_op.create_index("ix_support_people_role", ["role"], unique=False)

    op.create_table(
        "support_processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="done", nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_support_processed_updates")),
    )
    op.create_table(
        "support_agent_status",
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("alias", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=2), server_default="L1", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="offline", nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="5", nullable=False),
        sa.Column("open_tickets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_agent_status_agent_id_support_people"),
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_support_agent_status")),
        sa.UniqueConstraint("alias", name=op.f("uq_support_agent_status_alias")),
    )
    with op.batch_alter_table("support_agent_status", schema=None) as batch_op:
        batch_op.create_index("ix_support_agent_status_routing", ["status", "level"], unique=False)

    op.create_table(
        "support_canned_answers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["support_people.id"],
            name=op.f("fk_support_canned_answers_created_by_support_people"),
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
            ["created_by"],
            ["support_people.id"],
            name=op.f("fk_support_invites_created_by_support_people"),
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["support_people.id"],
            name=op.f("fk_support_invites_used_by_support_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_invites_token_hash")),
    )
    op.create_table(
        "support_rate_limits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["support_people.id"],
            name=op.f("fk_support_rate_limits_user_id_support_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_rate_limits")),
        sa.UniqueConstraint(
            "user_id", "action", "window_start", name="uq_support_rate_limits_window"
        ),
    )
    op.create_table(
        "support_tickets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), server_default="normal", nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("required_level", sa.String(length=2), server_default="L1", nullable=False),
        sa.Column("assigned_agent_id", ID, nullable=True),
        sa.Column("desk_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("desk_topic_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("private_agent_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_tickets_assigned_agent_id_support_people"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["support_people.id"],
            name=op.f("fk_support_tickets_client_id_support_people"),
        ),
        sa.ForeignKeyConstraint(
            ["private_agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_tickets_private_agent_id_support_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
        sa.UniqueConstraint("public_id", name=op.f("uq_support_tickets_public_id")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_tickets_agent", ["assigned_agent_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_support_tickets_client", ["client_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_support_tickets_private", ["private_agent_id"], unique=False)
        batch_op.create_index(
            "ix_support_tickets_queue",
            ["required_level", "priority", "created_at"],
            unique=False,
            sqlite_where=sa.text("assigned_agent_id IS NULL AND status != 'closed'"),
            postgresql_where=sa.text("assigned_agent_id IS NULL AND status != 'closed'"),
        )
        batch_op.create_index(
            "ix_support_tickets_status", ["status", "priority", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_support_tickets_topic", ["desk_chat_id", "desk_topic_id"], unique=False
        )
        batch_op.create_index(
            "uq_support_tickets_one_open",
            ["client_id"],
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )

    op.create_table(
        "support_agent_assignments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["support_people.id"],
            name=op.f("fk_support_agent_assignments_agent_id_support_people"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_agent_assignments_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_agent_assignments")),
    )
    with op.batch_alter_table("support_agent_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_agent_assignments_agent", ["agent_id", "released_at"], unique=False
        )
        batch_op.create_index(
            "ix_support_agent_assignments_ticket", ["ticket_id", "assigned_at"], unique=False
        )

    op.create_table(
        "support_audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", ID, nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_audit_log_ticket_id_support_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_audit_log")),
    )
    with op.batch_alter_table("support_audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_support_audit_log_ticket", ["ticket_id", "at"], unique=False)

    op.create_table(
        "support_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("client_message_id", sa.BigInteger(), nullable=True),
        sa.Column("desk_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("desk_message_id", sa.BigInteger(), nullable=True),
        sa.Column("media_group_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["support_people.id"],
            name=op.f("fk_support_messages_author_id_support_people"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
        sa.UniqueConstraint("ticket_id", "seq", name="uq_support_messages_ticket_seq"),
    )
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_messages_client_msg", ["ticket_id", "client_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_support_messages_desk_msg",
            ["ticket_id", "desk_chat_id", "desk_message_id"],
            unique=False,
        )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
