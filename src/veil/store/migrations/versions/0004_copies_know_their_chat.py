"""A message's copy on the desk side names its chat: a topic's desk group, or the private
chat of the agent who worked the ticket there (their message ids overlap).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_messages") as batch:
        batch.add_column(sa.Column("desk_chat_id", sa.BigInteger(), nullable=True))
        batch.drop_index("ix_support_messages_desk_msg")
        batch.create_index(
            "ix_support_messages_desk_msg", ["ticket_id", "desk_chat_id", "desk_message_id"]
        )
    # Copies made before this revision: the ticket's desk group is the best knowledge,
    # except for a ticket worked in a private chat right now, whose copies may be there
    # (left unknown: an edit of one is then not carried, rather than aimed at the group).
    op.execute(
        "UPDATE support_messages SET desk_chat_id = (SELECT t.desk_chat_id FROM "
        "support_tickets t WHERE t.id = support_messages.ticket_id) "
        "WHERE desk_message_id IS NOT NULL AND ticket_id NOT IN "
        "(SELECT id FROM support_tickets WHERE private_agent_id IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("support_messages") as batch:
        batch.drop_index("ix_support_messages_desk_msg")
        batch.create_index("ix_support_messages_desk_msg", ["ticket_id", "desk_message_id"])
        batch.drop_column("desk_chat_id")
