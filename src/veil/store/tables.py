"""The schema: Veil's tables, every one named ``support_*``.

Veil lives beside a host bot's own tables (often its own ``users``) in one database, so
nothing of Veil's may take a name a host could use: its people are ``support_people``, its
Alembic version table ``support_alembic_version``, and the naming convention below gives
every index and constraint the table's prefix (PostgreSQL index names share one namespace
per schema). Alembic migrations create it; this module is what the code maps and queries.
"""

from __future__ import annotations

import enum
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from veil.domain.agents import AgentStatus
from veil.domain.appointments import Appointment, OfferKind, OfferStatus
from veil.domain.model import ClosedBy, Direction, Level, Priority, Role, TicketStatus
from veil.domain.sla import SlaClock
from veil.store.sealing import SealedInt, SealedJson, SealedText

# Veil's Alembic revisions: a branch of their own, recorded in a table of their own, so that
# they sit beside a host's history (or inside it, for hosts that run Alembic themselves).
BRANCH = "veil"
VERSION_TABLE = "support_alembic_version"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Seconds(TypeDecorator[timedelta]):
    """A duration kept as seconds, so that SQL can take medians and sums of it on every
    backend (an INTERVAL is a different thing on each)."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: timedelta | None, dialect: Dialect) -> float | None:
        return None if value is None else value.total_seconds()

    def process_result_value(self, value: Any, dialect: Dialect) -> timedelta | None:
        return None if value is None else timedelta(seconds=float(value))


class AboutJson(TypeDecorator[Appointment]):
    """The appointment a ticket is about, kept as the host described it (sealed JSON)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Appointment | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        fields = asdict(value)
        fields["starts_at"] = value.starts_at.isoformat() if value.starts_at else None
        return SealedJson().process_bind_param(fields, dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> Appointment | None:
        value = SealedJson().process_result_value(value, dialect)
        if not value:
            return None
        starts = value.get("starts_at")
        return Appointment(
            ref=str(value["ref"]),
            service=str(value["service"]),
            when=str(value["when"]),
            provider=str(value["provider"]),
            status=str(value["status"]),
            starts_at=datetime.fromisoformat(starts) if starts else None,
        )


def _enum(cls: type[enum.StrEnum], length: int) -> Enum:
    """A domain enum stored as its value in a plain string column (no native type)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


people = Table(
    # Veil's own record of each person it has met: the role Veil gave them (admins from
    # VEIL_ADMIN_IDS, agents it made); a host's roles are read, never written, elsewhere.
    "support_people",
    metadata,
    _id(),
    # Sealed: found by telegram_key, the keyed hash of the id (store/crypto.py). An id
    # erased at the person's request (/forget_me) leaves the row, and its tickets, with
    # no way back to them.
    Column("telegram_id", SealedInt),
    Column("telegram_key", String(64), nullable=False, unique=True),
    Column("role", _enum(Role, 20), nullable=False, server_default="client"),
    Column("language", String(16)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_support_people_role", "role"),
)

support_tickets = Table(
    "support_tickets",
    metadata,
    _id(),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("client_id", Id, ForeignKey("support_people.id"), nullable=False),
    Column("status", _enum(TicketStatus, 16), nullable=False),
    Column("priority", _enum(Priority, 16), nullable=False, server_default="normal"),
    Column("category", String(64)),
    Column("required_level", _enum(Level, 2), nullable=False, server_default="L1"),
    Column("assigned_agent_id", Id, ForeignKey("support_people.id")),
    Column("desk_chat_id", BigInteger, nullable=False),
    Column("desk_topic_id", BigInteger),
    Column("card_message_id", BigInteger),
    Column("message_count", Integer, nullable=False, server_default="0"),
    Column("escalation_reason", Text),
    Column("private_agent_id", Id, ForeignKey("support_people.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("first_response_at", UtcDateTime),
    Column("last_activity_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("closed_by", _enum(ClosedBy, 16)),
    Column("about", AboutJson),
    Column("idle_warned_at", UtcDateTime),
    Column("previous_ticket_id", Id, ForeignKey("support_tickets.id")),
    Column("awaiting_reply_since", UtcDateTime),
    Index("ix_support_tickets_client", "client_id", "created_at"),
    Index("ix_support_tickets_topic", "desk_chat_id", "desk_topic_id"),
    Index("ix_support_tickets_status", "status", "priority", "created_at"),
    Index("ix_support_tickets_agent", "assigned_agent_id", "status"),
    Index("ix_support_tickets_private", "private_agent_id"),
    # The queue: only waiting tickets, so the head is found without reading the rest.
    Index(
        "ix_support_tickets_queue",
        "required_level",
        "priority",
        "created_at",
        sqlite_where=text("assigned_agent_id IS NULL AND status != 'closed'"),
        postgresql_where=text("assigned_agent_id IS NULL AND status != 'closed'"),
    ),
    # Silent tickets, for auto-close: only the open ones, by their last activity.
    Index(
        "ix_support_tickets_idle",
        "last_activity_at",
        sqlite_where=text("status != 'closed'"),
        postgresql_where=text("status != 'closed'"),
    ),
    # One open conversation per client, enforced by the database under concurrency.
    Index(
        "uq_support_tickets_one_open",
        "client_id",
        unique=True,
        sqlite_where=text("status != 'closed'"),
        postgresql_where=text("status != 'closed'"),
    ),
)

support_messages = Table(
    "support_messages",
    metadata,
    _id(),
    Column("ticket_id", Id, ForeignKey("support_tickets.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("direction", _enum(Direction, 16), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("text", SealedText),
    Column("author_id", Id, ForeignKey("support_people.id")),
    Column("client_message_id", BigInteger),
    # The copy on the desk side: a topic's message, or one in an agent's private chat.
    Column("desk_chat_id", BigInteger),
    Column("desk_message_id", BigInteger),
    Column("media_group_id", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("edited_at", UtcDateTime),
    UniqueConstraint("ticket_id", "seq", name="uq_support_messages_ticket_seq"),
    Index("ix_support_messages_client_msg", "ticket_id", "client_message_id"),
    Index("ix_support_messages_desk_msg", "ticket_id", "desk_chat_id", "desk_message_id"),
    # A client's messages in the last hour (the hourly limit), newest first.
    Index("ix_support_messages_ticket_time", "ticket_id", "created_at"),
)

support_agent_assignments = Table(
    "support_agent_assignments",
    metadata,
    _id(),
    Column("ticket_id", Id, ForeignKey("support_tickets.id", ondelete="CASCADE"), nullable=False),
    Column("agent_id", Id, ForeignKey("support_people.id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
    Column("release_reason", String(32)),
    Index("ix_support_agent_assignments_ticket", "ticket_id", "assigned_at"),
    Index("ix_support_agent_assignments_agent", "agent_id", "released_at"),
)

support_agent_status = Table(
    "support_agent_status",
    metadata,
    Column("agent_id", Id, ForeignKey("support_people.id"), primary_key=True),
    Column("alias", String(32), nullable=False, unique=True),
    Column("level", _enum(Level, 2), nullable=False, server_default="L1"),
    Column("status", _enum(AgentStatus, 16), nullable=False, server_default="offline"),
    Column("capacity", Integer, nullable=False, server_default="5"),
    Column("open_tickets", Integer, nullable=False, server_default="0"),
    Column("last_activity_at", UtcDateTime),
    Column("status_changed_at", UtcDateTime),
    Column("last_assigned_at", UtcDateTime),
    Index("ix_support_agent_status_routing", "status", "level"),
)

support_invites = Table(
    "support_invites",
    metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("level", _enum(Level, 2), nullable=False),
    Column("created_by", Id, ForeignKey("support_people.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_by", Id, ForeignKey("support_people.id")),
    Column("used_at", UtcDateTime),
)

support_canned_answers = Table(
    "support_canned_answers",
    metadata,
    _id(),
    Column("name", String(32), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("created_by", Id, ForeignKey("support_people.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

support_alerts = Table(
    "support_alerts",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("raised_at", UtcDateTime),
    Column("cleared_at", UtcDateTime),
)

# What an admin decided about one person: a ban (``ban``, until a time or lifted) or
# another limit than the settings' (``tickets_per_day``, ``messages_per_hour``).
support_rate_limits = Table(
    "support_rate_limits",
    metadata,
    _id(),
    Column("user_id", Id, ForeignKey("support_people.id"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("allowance", Integer),
    Column("until", UtcDateTime),
    Column("reason", SealedText),
    Column("created_by", Id, ForeignKey("support_people.id")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("user_id", "kind", name="uq_support_rate_limits_user_kind"),
)

# Events counted against a limit that no other table records (an agent's desk actions),
# when Redis is not there to count them.
support_rate_events = Table(
    "support_rate_events",
    metadata,
    _id(),
    Column("key", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_support_rate_events_key", "key", "at"),
)

# A person told they are over a limit (or banned): told once, until this time.
support_limit_notices = Table(
    "support_limit_notices",
    metadata,
    Column("user_id", Id, ForeignKey("support_people.id"), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("until", UtcDateTime),
)

# Who did what, chained by hashes (domain/audit.py). ``seq`` is the chain's order, given
# under a lock; it is deliberately not unique, so that a row slipped in with a number
# already taken is there to be found by `veil audit verify` rather than refused unseen.
# One run of one SLA clock of one ticket (domain/sla.py): a ticket has a first-response
# and a resolution run, and a next-response run per client message left unanswered.
support_sla_runs = Table(
    "support_sla_runs",
    metadata,
    _id(),
    Column("ticket_id", Id, ForeignKey("support_tickets.id"), nullable=False),
    Column("clock", _enum(SlaClock, 24), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("target", Seconds, nullable=False),
    Column("running_since", UtcDateTime),
    Column("used", Seconds, nullable=False),
    Column("stopped_at", UtcDateTime),
    Column("warned_at", UtcDateTime),
    Column("breached_at", UtcDateTime),
    Column("check_at", UtcDateTime),
    Column("agent_id", Id, ForeignKey("support_people.id")),
    Column("level", _enum(Level, 2)),
    Column("answered", Boolean, nullable=False),
    Column("closed_by", _enum(ClosedBy, 16)),
    Column("reopened", Boolean, nullable=False, server_default=text("false")),
    Column("escalated_at", UtcDateTime),
    Column("settled", Boolean, nullable=False, server_default=text("false")),
    # The runs of a ticket still under way (each event of a ticket reads them).
    Index("ix_support_sla_runs_ticket", "ticket_id", "stopped_at"),
    # What the job looks at: runs with something due, soonest first.
    Index(
        "ix_support_sla_runs_due",
        "check_at",
        sqlite_where=text("check_at IS NOT NULL"),
        postgresql_where=text("check_at IS NOT NULL"),
    ),
    # Figures over a period: runs by when they ended, per clock.
    Index("ix_support_sla_runs_period", "clock", "stopped_at"),
)

# A client's rating of a closed conversation: one per ticket.
support_ratings = Table(
    "support_ratings",
    metadata,
    _id(),
    Column("ticket_id", Id, ForeignKey("support_tickets.id"), nullable=False, unique=True),
    Column("score", Integer, nullable=False),
    Column("rated_at", UtcDateTime, nullable=False),
    Column("agent_id", Id, ForeignKey("support_people.id")),
    Column("level", _enum(Level, 2)),
    Column("comment", SealedText),
    Column("comment_asked_at", UtcDateTime),
    Index("ix_support_ratings_rated", "rated_at"),
)

support_audit_log = Table(
    "support_audit_log",
    metadata,
    _id(),
    Column("seq", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("ticket_id", Id, ForeignKey("support_tickets.id")),
    Column("details", JSON),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_support_audit_log_ticket", "ticket_id", "at"),
    Index("ix_support_audit_log_seq", "seq"),
    Index("ix_support_audit_log_at", "at"),
)

support_outbox = Table(
    "support_outbox",
    metadata,
    _id(),
    Column("lane", String(64), nullable=False),
    Column("ticket_id", Id),
    Column("delivery", SealedJson, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("error", Text),
    # A sender worker holds a row while it delivers it; a worker that dies lets go when
    # the lease ends, so another may deliver the row (the one possible duplicate).
    Column("claimed_by", String(64)),
    Column("claimed_until", UtcDateTime),
    Index("ix_support_outbox_pending", "status", "lane", "id"),
)

# A desk group that Telegram moved to a new chat id (migrate_to_chat_id): remembered so a
# restart with the old id in the settings still finds the desk.
support_desk_moves = Table(
    "support_desk_moves",
    metadata,
    Column("old_chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("new_chat_id", BigInteger, nullable=False),
    Column("moved_at", UtcDateTime, nullable=False),
)

support_processed_updates = Table(
    "support_processed_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("processed_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="done"),
    Column("payload", SealedText),
    Column("error", Text),
)

# What an agent offered to change about a ticket's appointment, and what became of it.
support_offers = Table(
    "support_offers",
    metadata,
    _id(),
    Column("ticket_id", Id, ForeignKey("support_tickets.id", ondelete="CASCADE"), nullable=False),
    Column("kind", _enum(OfferKind, 16), nullable=False),
    Column("status", _enum(OfferStatus, 16), nullable=False),
    Column("appointment_ref", String(40), nullable=False),
    Column("slot_ref", String(40)),
    Column("slot_label", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Index("ix_support_offers_ticket", "ticket_id", "status"),
)

# Small facts Veil keeps for itself across restarts and processes (the webhook's secret
# when the operator set none): one row each, written once.
support_state = Table(
    "support_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", SealedText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
