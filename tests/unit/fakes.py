"""In-memory adapters of the ports: the use cases run against these in unit tests."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from veil.domain.agents import Agent, AgentStatus, AssignmentRecord
from veil.domain.appointments import Offer
from veil.domain.audit import Action, Actor, Detail
from veil.domain.limits import Ban, LimitKind
from veil.domain.model import Direction, Level, Role, SupportMessage, Ticket, TicketStatus, User
from veil.domain.ratings import Rating
from veil.domain.routing import AgentLoad, WaitingTicket, queue_key
from veil.domain.sla import ClockRun, SlaClock
from veil.services.deliveries import Delivery, lane_of
from veil.services.ports import Conflict, PendingDelivery, RoutingLockTooLate


@dataclass
class Memory:
    """What a database would hold; shared by the units of work of one test."""

    users: dict[int, User] = field(default_factory=dict)
    tickets: dict[int, Ticket] = field(default_factory=dict)
    messages: dict[int, SupportMessage] = field(default_factory=dict)
    outbox: list[tuple[int, str, Delivery, str]] = field(default_factory=list)  # id, lane, d, state
    updates: set[int] = field(default_factory=set)
    agents: dict[int, Agent] = field(default_factory=dict)
    assignments: list[AssignmentRecord] = field(default_factory=list)
    alerts: dict[str, datetime] = field(default_factory=dict)
    desk_moves: dict[int, int] = field(default_factory=dict)
    # What a host bot's own users table says of a Telegram id (read, never written).
    host_roles: dict[int, Role] = field(default_factory=dict)
    offers: dict[int, Offer] = field(default_factory=dict)
    audit: list[tuple[Action, int | None, dict[str, Any]]] = field(default_factory=list)
    allowances: dict[tuple[int, LimitKind], int | None] = field(default_factory=dict)
    bans: dict[int, Ban] = field(default_factory=dict)
    told: dict[tuple[int, str], datetime | None] = field(default_factory=dict)
    sla_runs: dict[int, ClockRun] = field(default_factory=dict)
    ratings: dict[int, Rating] = field(default_factory=dict)  # by ticket
    claimed: set[str] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class FakeUsers:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        found = next((u for u in self.m.users.values() if u.telegram_id == telegram_id), None)
        return self._known(found)

    async def get(self, user_id: int) -> User | None:
        return self._known(self.m.users.get(user_id))

    async def host_role(self, telegram_id: int) -> Role | None:
        return self.m.host_roles.get(telegram_id)

    def _known(self, user: User | None) -> User | None:
        if user is not None:
            user.host_role = self.m.host_roles.get(user.telegram_id)
        return user

    async def with_role(self, role: Role) -> Sequence[User]:
        return [u for u in self.m.users.values() if u.role is role]

    async def add(self, user: User) -> None:
        if await self.by_telegram_id(user.telegram_id) is not None:
            raise Conflict("uq_users_telegram_id")
        user.id = next(self.m.ids)
        self.m.users[user.id] = user
        self._known(user)


class FakeTickets:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, ticket: Ticket) -> None:
        if await self.by_public_id(ticket.public_id) is not None:
            raise Conflict("uq_support_tickets_public_id")
        if await self.open_for_client(ticket.client_id) is not None:
            raise Conflict("uq_support_tickets_one_open")
        ticket.id = next(self.m.ids)
        self.m.tickets[ticket.id] = ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        return self.m.tickets.get(ticket_id)

    async def by_public_id(self, public_id: str) -> Ticket | None:
        return next((t for t in self.m.tickets.values() if t.public_id == public_id), None)

    async def open_for_client(self, client_id: int) -> Ticket | None:
        return next(
            (t for t in self.m.tickets.values() if t.client_id == client_id and not t.is_closed),
            None,
        )

    async def worked_privately_by(self, agent_id: int) -> Ticket | None:
        return next(
            (
                t
                for t in self.m.tickets.values()
                if t.private_agent_id == agent_id and t.status is not TicketStatus.CLOSED
            ),
            None,
        )

    async def open_by_desk(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for t in self.m.tickets.values():
            if t.status is not TicketStatus.CLOSED:
                counts[t.desk_chat_id] = counts.get(t.desk_chat_id, 0) + 1
        return counts

    async def move_desk(self, old_chat_id: int, new_chat_id: int) -> int:
        moving = [t for t in self.m.tickets.values() if t.desk_chat_id == old_chat_id]
        for t in moving:
            t.desk_chat_id = new_chat_id
        return len(moving)

    async def by_topic(self, desk_chat_id: int, topic_id: int) -> Ticket | None:
        return next(
            (
                t
                for t in self.m.tickets.values()
                if (t.desk_chat_id, t.desk_topic_id) == (desk_chat_id, topic_id)
            ),
            None,
        )

    async def for_client(self, client_id: int, limit: int) -> Sequence[Ticket]:
        mine = [t for t in self.m.tickets.values() if t.client_id == client_id]
        return sorted(mine, key=lambda t: (t.created_at, t.id or 0), reverse=True)[:limit]

    async def count_for_client(self, client_id: int) -> int:
        return sum(t.client_id == client_id for t in self.m.tickets.values())

    def _queue(self) -> list[Ticket]:
        waiting = [t for t in self.m.tickets.values() if t.is_waiting]
        return sorted(
            waiting,
            key=lambda t: queue_key(
                WaitingTicket(t.id or 0, t.priority, t.required_level, t.created_at)
            ),
        )

    async def waiting(self, levels: Sequence[Level], limit: int) -> Sequence[Ticket]:
        return [t for t in self._queue() if t.required_level in levels][:limit]

    async def silent(
        self, close_cutoff: datetime, warn_cutoff: datetime, limit: int
    ) -> Sequence[Ticket]:
        waiting_for_client = {
            r.ticket_id
            for r in self.m.sla_runs.values()
            if r.clock is SlaClock.RESOLUTION and not r.is_stopped and not r.is_running
        }
        found = [
            t
            for t in self.m.tickets.values()
            if not t.is_closed
            and t.id in waiting_for_client
            and (
                t.last_activity_at <= close_cutoff
                or (t.last_activity_at <= warn_cutoff and t.idle_warned_at is None)
            )
        ]
        return sorted(found, key=lambda t: (t.last_activity_at, t.id or 0))[:limit]

    async def queue_head(self, levels: Sequence[Level], limit: int) -> Sequence[WaitingTicket]:
        return [
            WaitingTicket(t.id or 0, t.priority, t.required_level, t.created_at)
            for t in await self.waiting(levels, limit)
        ]

    async def queue_position(self, ticket: Ticket) -> int:
        return [t.id for t in self._queue()].index(ticket.id) + 1

    async def open_for_agent(self, agent_id: int) -> Sequence[Ticket]:
        return [
            t
            for t in self.m.tickets.values()
            if t.assigned_agent_id == agent_id and not t.is_closed
        ]


class HoldingsGuard:
    """The store's routing-lock rule: holdings are read under the lock, or not locked."""

    def __init__(self) -> None:
        self.locked = False
        self.read: str | None = None

    def note_read(self, what: str) -> None:
        if not self.locked and self.read is None:
            self.read = what

    def lock(self) -> None:
        if self.locked:
            return
        if self.read is not None:
            raise RoutingLockTooLate(f"the routing lock was asked for after reading {self.read}")
        self.locked = True


class Watched:
    """A repository whose reads the guard sees, as the store's session sees them."""

    WRITES = frozenset({"add", "remove", "lock_routing", "move_desk"})

    def __init__(self, repository: Any, guard: HoldingsGuard, name: str) -> None:
        self._repository = repository
        self._guard = guard
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._repository, attr)
        if attr in self.WRITES or attr.startswith("_") or not callable(value):
            return value

        async def read(*args: Any, **kwargs: Any) -> Any:
            self._guard.note_read(f"{self._name}.{attr}")
            return await value(*args, **kwargs)

        return read


class FakeAgents:
    def __init__(self, memory: Memory, guard: HoldingsGuard | None = None) -> None:
        self.m = memory
        self.guard = guard or HoldingsGuard()

    async def get(self, agent_id: int) -> Agent | None:
        return self.m.agents.get(agent_id)

    async def by_alias(self, alias: str) -> Agent | None:
        return next((a for a in self.m.agents.values() if a.alias == alias), None)

    async def add(self, agent: Agent) -> None:
        self.m.agents[agent.agent_id] = agent

    async def remove(self, agent: Agent) -> None:
        self.m.agents.pop(agent.agent_id, None)

    async def all(self) -> Sequence[Agent]:
        return list(self.m.agents.values())

    async def with_room(self) -> Sequence[AgentLoad]:
        return [
            AgentLoad(a.agent_id, a.level, a.status, a.capacity, a.open_tickets, a.last_assigned_at)
            for a in self.m.agents.values()
            if a.status is AgentStatus.ONLINE and a.open_tickets < a.capacity
        ]

    async def lock_routing(self) -> None:
        # One test, one task: nothing to serialise, but the store's rule holds here too.
        self.guard.lock()


class FakeAssignments:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, record: AssignmentRecord) -> None:
        record.id = next(self.m.ids)
        self.m.assignments.append(record)

    async def last(self, ticket_id: int) -> AssignmentRecord | None:
        return next((r for r in reversed(self.m.assignments) if r.ticket_id == ticket_id), None)

    async def current(self, ticket_id: int) -> AssignmentRecord | None:
        return next(
            (
                r
                for r in reversed(self.m.assignments)
                if r.ticket_id == ticket_id and r.released_at is None
            ),
            None,
        )


class FakeMessages:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, message: SupportMessage) -> None:
        message.id = next(self.m.ids)
        self.m.messages[message.id] = message

    async def get(self, message_id: int) -> SupportMessage | None:
        return self.m.messages.get(message_id)

    async def delivered_to_client(self, message_id: int, client_message_id: int) -> None:
        if (record := self.m.messages.get(message_id)) is not None:
            record.client_message_id = client_message_id

    async def delivered_to_desk(
        self, message_id: int, desk_chat_id: int, desk_message_id: int
    ) -> None:
        if (record := self.m.messages.get(message_id)) is not None:
            record.desk_chat_id, record.desk_message_id = desk_chat_id, desk_message_id

    async def by_client_message(
        self, ticket_id: int, client_message_id: int
    ) -> SupportMessage | None:
        return next(
            (
                x
                for x in self.m.messages.values()
                if x.ticket_id == ticket_id and x.client_message_id == client_message_id
            ),
            None,
        )

    async def by_desk_message(
        self, ticket_id: int, desk_chat_id: int, desk_message_id: int
    ) -> SupportMessage | None:
        return next(
            (
                x
                for x in self.m.messages.values()
                if (x.ticket_id, x.desk_chat_id, x.desk_message_id)
                == (ticket_id, desk_chat_id, desk_message_id)
            ),
            None,
        )

    async def count_on_desk(self, ticket_id: int, desk_chat_id: int, desk_message_id: int) -> int:
        return sum(
            (x.ticket_id, x.desk_chat_id, x.desk_message_id)
            == (ticket_id, desk_chat_id, desk_message_id)
            for x in self.m.messages.values()
        )

    async def for_ticket(
        self, ticket_id: int, *, include_internal: bool
    ) -> Sequence[SupportMessage]:
        found = [
            x
            for x in self.m.messages.values()
            if x.ticket_id == ticket_id and (include_internal or x.direction is not Direction.NOTE)
        ]
        return sorted(found, key=lambda x: x.seq)


class FakeOutbox:
    def __init__(self, memory: Memory) -> None:
        self.m = memory
        self.added: list[Delivery] = []

    def add(self, delivery: Delivery) -> None:
        self.added.append(delivery)

    async def heads(self, now: datetime, limit: int) -> Sequence[PendingDelivery]:
        seen: dict[str, PendingDelivery] = {}
        for row_id, lane, delivery, state in self.m.outbox:
            if state == "pending" and lane not in seen:
                seen[lane] = PendingDelivery(row_id, lane, delivery, 0)
        return list(seen.values())[:limit]

    async def backlog(self) -> int:
        return sum(state == "pending" for *_, state in self.m.outbox)


class FakeUpdates:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def claim(self, update_id: int, now: datetime) -> bool:
        if update_id in self.m.updates:
            return False
        self.m.updates.add(update_id)
        return True


class FakeAlerts:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def active_since(self, kind: str) -> datetime | None:
        return self.m.alerts.get(kind)

    async def raise_alert(self, kind: str, now: datetime) -> None:
        self.m.alerts[kind] = now

    async def clear(self, kind: str, now: datetime) -> None:
        self.m.alerts.pop(kind, None)


class FakeDeskMoves:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def record(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        self.m.desk_moves[old_chat_id] = new_chat_id

    async def all(self) -> Sequence[tuple[int, int]]:
        return list(self.m.desk_moves.items())


class FakeOffers:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, offer: Offer) -> None:
        offer.id = next(self.m.ids)
        self.m.offers[offer.id] = offer

    async def get(self, offer_id: int) -> Offer | None:
        return self.m.offers.get(offer_id)

    async def ticket_of(self, offer_id: int) -> int | None:
        offer = self.m.offers.get(offer_id)
        return offer.ticket_id if offer is not None else None

    async def open_for_ticket(self, ticket_id: int) -> Sequence[Offer]:
        return [o for o in self.m.offers.values() if o.ticket_id == ticket_id and o.is_open]


class FakeLimits:
    """Counts from the tickets and messages held, like the store's."""

    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def recent_tickets(self, client_id: int, count: int, since: datetime) -> list[datetime]:
        times = [t.created_at for t in self.m.tickets.values() if t.client_id == client_id]
        return sorted((t for t in times if t > since), reverse=True)[:count]

    async def recent_messages(self, client_id: int, count: int, since: datetime) -> list[datetime]:
        mine = {i for i, t in self.m.tickets.items() if t.client_id == client_id}
        times = [
            m.created_at
            for m in self.m.messages.values()
            if m.ticket_id in mine and m.direction is Direction.FROM_CLIENT
        ]
        return sorted((t for t in times if t > since), reverse=True)[:count]

    async def allowance(self, user_id: int, kind: LimitKind) -> int | None:
        return self.m.allowances.get((user_id, kind))

    async def set_allowance(
        self, user_id: int, kind: LimitKind, allowance: int | None, by: int | None, now: datetime
    ) -> None:
        self.m.allowances[(user_id, kind)] = allowance

    async def foresee_messages(self, user_id: int, count: int, since: datetime) -> None:
        return None  # a hint: the memory answers every question as cheaply

    async def ban_of(self, user_id: int) -> Ban | None:
        return self.m.bans.get(user_id)

    async def ban(self, ban: Ban, by: int | None) -> None:
        self.m.bans[ban.user_id] = ban

    async def unban(self, user_id: int) -> bool:
        return self.m.bans.pop(user_id, None) is not None

    async def told_until(self, user_id: int, kind: str) -> datetime | None:
        return self.m.told.get((user_id, kind))

    async def tell_until(self, user_id: int, kind: str, until: datetime | None) -> None:
        self.m.told[(user_id, kind)] = until

    async def forget_told(self, user_id: int, kind: str) -> None:
        self.m.told.pop((user_id, kind), None)

    async def told_before(self, kind: str, now: datetime, limit: int) -> list[int]:
        return [u for (u, k), t in self.m.told.items() if k == kind and t and t <= now][:limit]

    async def forget_events_before(self, cutoff: datetime) -> int:
        return 0


class FakeAudit:
    """The entries use cases give (refusals); the changes themselves the real store logs."""

    def __init__(self, memory: Memory) -> None:
        self.m = memory
        self.given: list[tuple[Action, int | None, dict[str, Any]]] = []

    def acting_for(self, telegram_id: int) -> None:
        pass

    def acting_as(self, actor: Actor) -> None:
        pass

    def record(self, action: Action, ticket_id: int | None, **details: Detail) -> None:
        self.given.append((action, ticket_id, details))

    def refused(self, attempted: str, reason: str, ticket_id: int | None = None) -> None:
        self.record(Action.REFUSED, ticket_id, attempted=attempted, reason=reason)


class FakeSlaRuns:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, run: ClockRun) -> None:
        run.id = next(self.m.ids)
        self.m.sla_runs[run.id] = run

    async def running(self, ticket_id: int) -> list[ClockRun]:
        runs = self.m.sla_runs.values()
        return sorted(
            (r for r in runs if r.ticket_id == ticket_id and not r.is_stopped),
            key=lambda r: r.id or 0,
        )

    async def last_resolution(self, ticket_id: int) -> ClockRun | None:
        ended = [
            r
            for r in self.m.sla_runs.values()
            if r.ticket_id == ticket_id and r.clock is SlaClock.RESOLUTION and r.is_stopped
        ]
        return max(ended, key=lambda r: (r.stopped_at, r.id or 0), default=None)

    async def due(self, now: datetime, limit: int) -> list[ClockRun]:
        due = [r for r in self.m.sla_runs.values() if r.check_at is not None and r.check_at <= now]
        return sorted(due, key=lambda r: (r.check_at, r.id))[:limit]


class FakeRatings:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def add(self, rating: Rating) -> None:
        if rating.ticket_id in self.m.ratings:
            raise Conflict("uq_support_ratings_ticket_id")
        rating.id = next(self.m.ids)
        self.m.ratings[rating.ticket_id] = rating

    async def for_ticket(self, ticket_id: int) -> Rating | None:
        return self.m.ratings.get(ticket_id)

    async def awaiting_comment(self, client_id: int, since: datetime) -> Rating | None:
        found = [
            r
            for r in self.m.ratings.values()
            if self.m.tickets[r.ticket_id].client_id == client_id
            and r.comment is None
            and r.comment_asked_at is not None
            and r.comment_asked_at >= since
        ]
        return max(found, key=lambda r: r.comment_asked_at or since, default=None)


class FakeClaims:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def claim(self, key: str, now: datetime) -> bool:
        if key in self.m.claimed:
            return False
        self.m.claimed.add(key)
        return True


class FakeUnitOfWork:
    """Changes to entities are live (like an identity map); deliveries land on commit."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.users = FakeUsers(memory)
        self.guard = HoldingsGuard()
        self.tickets: Any = Watched(FakeTickets(memory), self.guard, "tickets")
        self.messages = FakeMessages(memory)
        self.outbox = FakeOutbox(memory)
        self.updates = FakeUpdates(memory)
        self.agents: Any = Watched(FakeAgents(memory, self.guard), self.guard, "agents")
        self.assignments: Any = Watched(FakeAssignments(memory), self.guard, "assignments")
        self.alerts = FakeAlerts(memory)
        self.desk_moves = FakeDeskMoves(memory)
        self.offers = FakeOffers(memory)
        self.audit = FakeAudit(memory)
        self.limits = FakeLimits(memory)
        self.sla = FakeSlaRuns(memory)
        self.ratings = FakeRatings(memory)
        self.claims = FakeClaims(memory)
        self.committed = False

    async def commit(self) -> None:
        self.memory.audit.extend(self.audit.given)
        self.audit.given.clear()
        for delivery in self.outbox.added:
            self.memory.outbox.append(
                (next(self.memory.ids), lane_of(delivery), delivery, "pending")
            )
        self.outbox.added.clear()
        self.committed = True

    async def rollback(self) -> None:
        self.outbox.added.clear()


class FakeStore:
    def __init__(self) -> None:
        self.memory = Memory()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeUnitOfWork]:
        uow = FakeUnitOfWork(self.memory)
        yield uow

    def sent(self) -> list[Delivery]:
        return [d for *_, d, _ in self.memory.outbox]
