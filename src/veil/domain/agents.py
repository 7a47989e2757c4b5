"""Support agents: their level, availability and capacity."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from veil.domain.model import Level


class AgentStatus(enum.StrEnum):
    ONLINE = "online"
    AWAY = "away"  # keeps their tickets, gets no new ones
    OFFLINE = "offline"  # their tickets go back to the queue after a grace period


class AgentError(Exception):
    """A rule about agents was broken; the message says which."""


MAX_CAPACITY = 50


def alias_for(user_id: int) -> str:
    """How other agents and reports name an agent: never a name, never a Telegram id."""
    return f"Agent-{user_id}"


@dataclass(eq=False)
class Agent:
    agent_id: int  # the agent's id in the host's users table
    alias: str
    level: Level
    capacity: int
    status: AgentStatus = AgentStatus.OFFLINE
    open_tickets: int = 0  # kept by assign/release under the routing lock
    last_activity_at: datetime | None = None
    status_changed_at: datetime | None = None
    last_assigned_at: datetime | None = None

    def set_status(self, status: AgentStatus, now: datetime) -> bool:
        """Change availability; True when it changed."""
        self.last_activity_at = now
        if status is self.status:
            return False
        self.status = status
        self.status_changed_at = now
        return True

    def set_capacity(self, capacity: int) -> None:
        if not 1 <= capacity <= MAX_CAPACITY:
            raise AgentError(f"capacity must be between 1 and {MAX_CAPACITY}")
        self.capacity = capacity

    def took(self, now: datetime) -> None:
        self.open_tickets += 1
        self.last_assigned_at = now

    def released(self) -> None:
        self.open_tickets = max(0, self.open_tickets - 1)


@dataclass(eq=False)
class AssignmentRecord:
    """Who held a ticket, from when to when, and why: one row per holding."""

    ticket_id: int
    agent_id: int
    reason: str  # auto | take | transfer | escalate
    assigned_at: datetime
    released_at: datetime | None = None
    release_reason: str | None = None  # closed | transfer | escalate | offline | removed
    id: int | None = None

    def end(self, reason: str, now: datetime) -> None:
        self.released_at = now
        self.release_reason = reason


@dataclass(eq=False)
class Invite:
    """A one-time, expiring link that makes whoever opens it an agent of ``level``."""

    token_hash: str
    level: Level
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None
    id: int | None = None
    # Used once, before it expires: the store redeems it in one conditional update.


@dataclass(eq=False)
class CannedAnswer:
    name: str
    text: str
    created_by: int
    updated_at: datetime
    id: int | None = None
