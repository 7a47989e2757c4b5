"""Erasing contents and links: texts, appointment context, deliveries, a Telegram id."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.model import Role, TicketStatus
from veil.services.deliveries import UserChat, address_lane
from veil.store.tables import (
    people,
    support_messages,
    support_offers,
    support_outbox,
    support_rate_events,
    support_ratings,
    support_tickets,
)


class SqlErasure:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def contents(self, ticket_ids: Sequence[int]) -> int:
        if not ticket_ids:
            return 0
        ids = list(ticket_ids)
        m = support_messages.c
        await self._session.flush()  # rows, not entities: this unit's changes first
        # Rows, not entities: a message loaded in this unit keeps its text in memory, which
        # no one reads after an erasure (the unit ends with it).
        erased = await self._session.execute(
            update(support_messages)
            .where(m.ticket_id.in_(ids), m.text.is_not(None))
            .values(text=None)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(support_tickets)
            .where(support_tickets.c.id.in_(ids))
            .values(about=None, category=None, escalation_reason=None)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(support_offers)
            .where(support_offers.c.ticket_id.in_(ids))
            .values(slot_label=None)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(support_ratings)  # the score stays in the figures; the words go
            .where(support_ratings.c.ticket_id.in_(ids))
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            delete(support_outbox).where(support_outbox.c.ticket_id.in_(ids))
        )
        return int(getattr(erased, "rowcount", 0))

    async def chat_deliveries(self, user_id: int) -> int:
        result = await self._session.execute(
            delete(support_outbox).where(support_outbox.c.lane == address_lane(UserChat(user_id)))
        )
        return int(getattr(result, "rowcount", 0))

    async def detach(self, ticket_ids: Sequence[int], now: datetime) -> int:
        """Move these tickets to a person of their own who is nobody (no Telegram id, a
        random lookup): the tickets stay, counted in the desk's figures, leading to no one.
        Returns that person's id."""
        # A row, not a User: nobody has no Telegram id, and is found by no lookup.
        nobody = (
            await self._session.execute(
                insert(people)
                .values(
                    telegram_id=None,
                    telegram_key=f"nobody:{secrets.token_hex(16)}",
                    role=Role.CLIENT,
                    created_at=now,
                    updated_at=now,
                )
                .returning(people.c.id)
            )
        ).scalar_one()
        if ticket_ids:
            await self._session.execute(
                update(support_tickets)
                .where(support_tickets.c.id.in_(list(ticket_ids)))
                .values(client_id=nobody)
                .execution_options(synchronize_session=False)
            )
        return int(nobody)

    async def hold(self, key: str, times: Sequence[datetime]) -> None:
        for at in times:
            await self._session.execute(insert(support_rate_events).values(key=key, at=at))

    async def closed_before(self, cutoff: datetime, limit: int) -> Sequence[int]:
        t, m = support_tickets.c, support_messages.c
        kept = exists().where(m.ticket_id == t.id, m.text.is_not(None))
        query = (
            select(t.id)
            .where(
                t.status == TicketStatus.CLOSED,
                t.closed_at < cutoff,
                or_(kept, t.about.is_not(None)),
            )
            .order_by(t.closed_at)
            .limit(limit)
        )
        return list((await self._session.execute(query)).scalars())
