"""Erasing contents and links: texts, appointment context, deliveries, a Telegram id."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.model import TicketStatus, User
from veil.services.deliveries import UserChat, address_lane
from veil.store.tables import support_messages, support_offers, support_outbox, support_tickets


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
            delete(support_outbox).where(support_outbox.c.ticket_id.in_(ids))
        )
        return int(getattr(erased, "rowcount", 0))

    async def chat_deliveries(self, user_id: int) -> int:
        result = await self._session.execute(
            delete(support_outbox).where(support_outbox.c.lane == address_lane(UserChat(user_id)))
        )
        return int(getattr(result, "rowcount", 0))

    async def forget_person(self, user: User, now: datetime) -> None:
        user.telegram_id = None  # type: ignore[assignment]
        # Unique, and the hash of no Telegram id: no lookup will ever find this row again.
        user._telegram_key = f"forgotten:{secrets.token_hex(16)}"  # type: ignore[attr-defined]
        user.updated_at = now

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
