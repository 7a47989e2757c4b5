"""The entities of a support desk and the rules of their life cycle."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from veil.domain.appointments import Appointment


class Role(enum.StrEnum):
    """The roles of a scheduler's people: a host bot's, and the ones Veil gives itself."""

    CLIENT = "client"
    PROVIDER = "provider"
    ADMIN = "admin"
    SUPPORT_AGENT = "support_agent"


class TicketStatus(enum.StrEnum):
    NEW = "new"  # opened, no agent has answered yet
    OPEN = "open"  # an agent has answered; the conversation goes on
    CLOSED = "closed"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Level(enum.StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"


class Direction(enum.StrEnum):
    """Which way a message of a ticket went."""

    FROM_CLIENT = "from_client"
    FROM_AGENT = "from_agent"
    NOTE = "note"  # internal: stays in the desk, never reaches the client


class ClosedBy(enum.StrEnum):
    CLIENT = "client"
    AGENT = "agent"
    SYSTEM = "system"  # Veil itself, after the ticket was silent too long (auto-close)


class Idle(enum.Enum):
    """What a silent ticket calls for."""

    WARN = "warn"
    CLOSE = "close"


class TicketError(Exception):
    """A rule of the ticket life cycle was broken; the message says which."""


@dataclass(eq=False)
class User:
    """A person Veil has met. ``role`` is the one Veil gave them (agents it made, admins
    from its settings); ``host_role`` is what the host bot's own records say, read afresh
    with each unit of work and never written. Either can make someone staff."""

    telegram_id: int
    role: Role
    language: str | None
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    host_role: Role | None = None
    # The host keeps a language for them: it wins over Telegram's.
    host_language: str | None = None

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in (self.role, self.host_role)

    @property
    def can_answer_tickets(self) -> bool:
        return self.is_admin or Role.SUPPORT_AGENT in (self.role, self.host_role)

    @property
    def agent_by_host(self) -> bool:
        """An agent because the host says so: only the host can take that away."""
        return self.host_role is Role.SUPPORT_AGENT and not self.is_admin

    def touch_language(self, language: str | None, now: datetime) -> None:
        language = language_tag(language)
        if self.host_language is None and language and language != self.language:
            self.language = language
            self.updated_at = now


@dataclass(eq=False)
class Ticket:
    public_id: str
    client_id: int
    created_at: datetime
    last_activity_at: datetime
    desk_chat_id: int
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.NORMAL
    category: str | None = None
    required_level: Level = Level.L1
    assigned_agent_id: int | None = None
    desk_topic_id: int | None = None
    card_message_id: int | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: ClosedBy | None = None
    message_count: int = 0
    escalation_reason: str | None = None  # told to the next owner, then cleared
    # The agent working the ticket from their private chat with the bot, where the
    # client's messages then go (their chat's budget is their own, not the desk's).
    private_agent_id: int | None = None
    # The host's appointment this ticket is about, as the host described it.
    about: Appointment | None = None
    # When the client was told that the silent ticket will close (cleared by activity).
    idle_warned_at: datetime | None = None
    # The client's ticket this one follows, opened after the reopen window had passed.
    previous_ticket_id: int | None = None
    # Since when the client waits for an answer (None: an agent spoke last); kept by the
    # SLA bookkeeping so that only a message that starts or ends a wait touches the clocks.
    awaiting_reply_since: datetime | None = None
    id: int | None = None

    @property
    def is_closed(self) -> bool:
        return self.status is TicketStatus.CLOSED

    def next_seq(self, now: datetime) -> int:
        """Number the next message of this ticket and note the activity."""
        self._require_open("add a message to")
        self.message_count += 1
        self.last_activity_at = now
        self.idle_warned_at = None  # it is not silent any more
        return self.message_count

    def agent_answered(self, now: datetime) -> None:
        self._require_open("answer")
        if self.first_response_at is None:
            self.first_response_at = now
        self.status = TicketStatus.OPEN

    @property
    def is_waiting(self) -> bool:
        """In the queue: open and nobody owns it."""
        return not self.is_closed and self.assigned_agent_id is None

    def assign(self, agent_id: int) -> None:
        self._require_open("assign")
        if self.assigned_agent_id == agent_id:
            raise TicketError(f"ticket {self.public_id} is already with that agent")
        self.assigned_agent_id = agent_id
        if self.private_agent_id not in (None, agent_id):
            self.private_agent_id = None  # a new owner works it in the topic first

    def release(self) -> int | None:
        """Back to the queue; returns who had it."""
        previous, self.assigned_agent_id = self.assigned_agent_id, None
        self.private_agent_id = None
        return previous

    def work_privately(self, agent_id: int) -> None:
        self._require_open("work on")
        self.private_agent_id = agent_id

    def back_to_topic(self) -> int | None:
        """The ticket's messages go to its topic again; returns who had it privately."""
        previous, self.private_agent_id = self.private_agent_id, None
        return previous

    def reprioritise(self, priority: Priority) -> None:
        self._require_open("change the priority of")
        self.priority = priority

    def escalate(self, level: Level, reason: str) -> None:
        self._require_open("escalate")
        self.required_level = level
        self.escalation_reason = reason

    def close(self, by: ClosedBy, now: datetime) -> None:
        self._require_open("close")
        self.status = TicketStatus.CLOSED
        self.closed_at = now
        self.closed_by = by
        self.last_activity_at = now
        self.private_agent_id = None

    def reopen(self, now: datetime) -> None:
        """The client came back soon after a close: the same conversation goes on."""
        if not self.is_closed:
            raise TicketError(f"cannot reopen ticket {self.public_id}: it is not closed")
        self.status = TicketStatus.OPEN if self.first_response_at else TicketStatus.NEW
        self.closed_at = None
        self.closed_by = None
        self.last_activity_at = now
        self.idle_warned_at = None

    def idle(self, now: datetime, close_after: timedelta, warn_before: timedelta) -> Idle | None:
        """What silence calls for, on a ticket that waits for its client: one warning
        ``warn_before`` the end of ``close_after`` without a message, then the close, and
        never a close sooner than ``warn_before`` after the warning (a bot that was down
        warns first, whatever the time)."""
        if self.is_closed:
            return None
        silent = now - self.last_activity_at
        if warn_before <= timedelta(0):
            return Idle.CLOSE if silent >= close_after else None
        if self.idle_warned_at is None:
            return Idle.WARN if silent >= close_after - warn_before else None
        if silent >= close_after and now - self.idle_warned_at >= warn_before:
            return Idle.CLOSE
        return None

    def _require_open(self, action: str) -> None:
        if self.is_closed:
            raise TicketError(f"cannot {action} ticket {self.public_id}: it is closed")


@dataclass(eq=False)
class SupportMessage:
    ticket_id: int
    seq: int
    direction: Direction
    kind: str
    created_at: datetime
    text: str | None = None
    author_id: int | None = None
    client_message_id: int | None = None
    # Where the desk side's copy is: message ids are per chat, and a ticket's copies may
    # be in its topic's group or in the private chat of an agent who worked it there.
    desk_chat_id: int | None = None
    desk_message_id: int | None = None
    media_group_id: str | None = None
    edited_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def is_internal(self) -> bool:
        return self.direction is Direction.NOTE

    def edit(self, text: str | None, now: datetime) -> None:
        self.text = text
        self.edited_at = now


LANGUAGE_LIMIT = 16  # the longest language tag kept (the people table's column)
_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")


def language_tag(code: str | None) -> str | None:
    """A language tag as Telegram should send it (``en``, ``pt-br``): its well-formed
    leading subtags within ``LANGUAGE_LIMIT`` characters; None when it starts with none."""
    kept = ""
    for subtag in (code or "").replace("_", "-").split("-"):
        candidate = f"{kept}-{subtag}" if kept else subtag
        if not _SUBTAG.fullmatch(subtag) or len(candidate) > LANGUAGE_LIMIT:
            break
        kept = candidate
    return kept if kept and kept[:1].isalpha() else None
