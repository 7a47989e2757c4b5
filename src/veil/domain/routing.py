"""Who takes which ticket: eligibility, least load, fair ties, and the queue's order.

Pure decisions over snapshots; the service layer loads the snapshot under a lock and
writes the decisions back in the same transaction.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from veil.domain.agents import AgentStatus
from veil.domain.model import Level, Priority

LEVEL_RANK = {Level.L1: 1, Level.L2: 2, Level.L3: 3}
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
NEVER = datetime.min.replace(tzinfo=UTC)


def outranks_or_equals(level: Level, required: Level) -> bool:
    return LEVEL_RANK[level] >= LEVEL_RANK[required]


def next_level(level: Level) -> Level | None:
    """The level a ticket escalates to, or None at the top."""
    return {Level.L1: Level.L2, Level.L2: Level.L3, Level.L3: None}[level]


@dataclass(frozen=True)
class AgentLoad:
    """An agent as routing sees them."""

    agent_id: int
    level: Level
    status: AgentStatus
    capacity: int
    open_tickets: int
    last_assigned_at: datetime | None = None

    @property
    def spare(self) -> int:
        return self.capacity - self.open_tickets

    @property
    def is_free(self) -> bool:
        """Online with room for one more ticket."""
        return self.status is AgentStatus.ONLINE and self.spare > 0

    def can_take(self, required: Level) -> bool:
        return self.is_free and outranks_or_equals(self.level, required)

    @property
    def load(self) -> float:
        return self.open_tickets / self.capacity if self.capacity > 0 else float("inf")


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket without an owner, as the queue sees it."""

    ticket_id: int
    priority: Priority
    required_level: Level
    waiting_since: datetime


def queue_key(ticket: WaitingTicket) -> tuple[int, datetime, int]:
    """Most urgent first, then the longest waiting, then the oldest ticket."""
    return (-PRIORITY_RANK[ticket.priority], ticket.waiting_since, ticket.ticket_id)


def queue_order(waiting: Iterable[WaitingTicket]) -> list[WaitingTicket]:
    return sorted(waiting, key=queue_key)


def agent_key(agent: AgentLoad) -> tuple[float, datetime, int]:
    """Least loaded first; on a tie, whoever got a ticket longest ago (or never)."""
    return (agent.load, agent.last_assigned_at or NEVER, agent.agent_id)


@dataclass(frozen=True)
class Assignment:
    ticket_id: int
    agent_id: int


def plan(
    agents: Sequence[AgentLoad], waiting: Iterable[WaitingTicket], now: datetime
) -> list[Assignment]:
    """Assign, in queue order, every waiting ticket some agent can take right now.

    A ticket nobody can take (its level is not online, or that level is full) does not
    hold up tickets behind it that others can take. Agents wait in one heap per level,
    so a decision costs a few heap operations, not a scan of every agent.
    """
    heaps: dict[Level, list[tuple[tuple[float, datetime, int], AgentLoad]]] = {
        level: [] for level in Level
    }
    for agent in agents:
        if agent.is_free:
            heapq.heappush(heaps[agent.level], (agent_key(agent), agent))
    decisions: list[Assignment] = []
    for ticket in queue_order(waiting):
        tops = [
            heap[0]
            for level, heap in heaps.items()
            if heap and outranks_or_equals(level, ticket.required_level)
        ]
        if not tops:
            continue
        _, agent = min(tops, key=lambda top: top[0])
        heapq.heappop(heaps[agent.level])
        decisions.append(Assignment(ticket.ticket_id, agent.agent_id))
        busier = replace(agent, open_tickets=agent.open_tickets + 1, last_assigned_at=now)
        if busier.spare > 0:
            heapq.heappush(heaps[agent.level], (agent_key(busier), busier))
    return decisions
