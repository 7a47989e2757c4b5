"""SQLAlchemy repositories of agents, their assignments, invites, canned answers and
the offers they make on appointments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.agents import Agent, AgentStatus, AssignmentRecord, CannedAnswer, Invite
from veil.domain.appointments import Offer, OfferStatus
from veil.domain.model import Level
from veil.domain.routing import AgentLoad
from veil.services.ports import RoutingLockTooLate
from veil.store.guard import holdings_read, note_routing_locked, routing_locked
from veil.store.repositories import add_entity, findable
from veil.store.tables import (
    support_agent_assignments,
    support_agent_status,
    support_alerts,
    support_canned_answers,
    support_invites,
    support_offers,
)

# Any constant will do, as long as every process uses the same one.
ROUTING_LOCK_KEY = 0x7E11_0001


class SqlAgents:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, agent_id: int) -> Agent | None:
        return await self._session.get(Agent, agent_id)

    async def by_alias(self, alias: str) -> Agent | None:
        if not findable(alias):
            return None
        query = select(Agent).where(support_agent_status.c.alias == alias)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def add(self, agent: Agent) -> None:
        await add_entity(self._session, agent)

    async def remove(self, agent: Agent) -> None:
        await self._session.delete(agent)
        await self._session.flush()

    async def all(self) -> Sequence[Agent]:
        query = select(Agent).order_by(support_agent_status.c.agent_id)
        return (await self._session.execute(query)).scalars().all()

    async def with_room(self) -> Sequence[AgentLoad]:
        s = support_agent_status.c
        await self._session.flush()  # plain rows, not entities: make pending changes visible
        query = select(
            s.agent_id, s.level, s.status, s.capacity, s.open_tickets, s.last_assigned_at
        ).where(s.status == AgentStatus.ONLINE, s.open_tickets < s.capacity)
        return [AgentLoad(*row) for row in await self._session.execute(query)]

    async def lock_routing(self) -> None:
        if routing_locked(self._session):
            return
        read = holdings_read(self._session)
        if read is not None:
            raise RoutingLockTooLate(f"the routing lock was asked for after reading {read}")
        bind = self._session.get_bind()
        if bind.dialect.name == "postgresql":
            # Held to the end of the transaction: one routing decision at a time, in
            # every process. SQLite needs nothing: BEGIN IMMEDIATE already serialises.
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROUTING_LOCK_KEY}
            )
        note_routing_locked(self._session)


class SqlAssignments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: AssignmentRecord) -> None:
        await add_entity(self._session, record)

    async def current(self, ticket_id: int) -> AssignmentRecord | None:
        a = support_agent_assignments.c
        query = (
            select(AssignmentRecord)
            .where(a.ticket_id == ticket_id, a.released_at.is_(None))
            .order_by(a.id.desc())
            .limit(1)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def last(self, ticket_id: int) -> AssignmentRecord | None:
        a = support_agent_assignments.c
        query = select(AssignmentRecord).where(a.ticket_id == ticket_id).order_by(a.id.desc())
        return (await self._session.execute(query.limit(1))).scalar_one_or_none()


class SqlInvites:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, invite: Invite) -> None:
        await add_entity(self._session, invite)

    async def redeem(self, token_hash: str, user_id: int, now: datetime) -> Level | None:
        # One conditional update: of two people opening one link at once, the second
        # waits for the first and then finds nothing left to use.
        i = support_invites.c
        result = await self._session.execute(
            update(support_invites)
            .where(i.token_hash == token_hash, i.used_by.is_(None), i.expires_at > now)
            .values(used_by=user_id, used_at=now)
            .returning(i.level)
        )
        level = result.scalar_one_or_none()
        return Level(level) if level is not None else None


class SqlCanned:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, answer: CannedAnswer) -> None:
        await add_entity(self._session, answer)

    async def by_name(self, name: str) -> CannedAnswer | None:
        if not findable(name):
            return None
        query = select(CannedAnswer).where(support_canned_answers.c.name == name)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def get(self, answer_id: int) -> CannedAnswer | None:
        return await self._session.get(CannedAnswer, answer_id)

    async def all(self) -> Sequence[CannedAnswer]:
        query = select(CannedAnswer).order_by(support_canned_answers.c.name)
        return (await self._session.execute(query)).scalars().all()

    async def remove(self, answer: CannedAnswer) -> None:
        await self._session.delete(answer)
        await self._session.flush()


class SqlOffers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, offer: Offer) -> None:
        await add_entity(self._session, offer)

    async def get(self, offer_id: int) -> Offer | None:
        # Read afresh: the caller holds the ticket's lock, and a copy loaded before it was
        # taken may predate a change another unit made.
        return await self._session.get(Offer, offer_id, populate_existing=True)

    async def ticket_of(self, offer_id: int) -> int | None:
        query = select(support_offers.c.ticket_id).where(support_offers.c.id == offer_id)
        found = await self._session.scalar(query)
        return int(found) if found is not None else None

    async def open_for_ticket(self, ticket_id: int) -> Sequence[Offer]:
        query = (
            select(Offer)
            .where(
                support_offers.c.ticket_id == ticket_id,
                support_offers.c.status.in_([OfferStatus.DRAFT, OfferStatus.PROPOSED]),
            )
            .order_by(support_offers.c.id)
        )
        return (await self._session.execute(query)).scalars().all()


class SqlAlerts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def active_since(self, kind: str) -> datetime | None:
        a = support_alerts.c
        query = select(a.raised_at).where(a.kind == kind, a.cleared_at.is_(None))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def raise_alert(self, kind: str, now: datetime) -> None:
        await self._session.execute(support_alerts.delete().where(support_alerts.c.kind == kind))
        await self._session.execute(
            insert(support_alerts).values(kind=kind, raised_at=now, cleared_at=None)
        )

    async def clear(self, kind: str, now: datetime) -> None:
        a = support_alerts.c
        await self._session.execute(
            update(support_alerts)
            .where(a.kind == kind, a.cleared_at.is_(None))
            .values(cleared_at=now)
        )
