"""Satisfaction ratings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.ratings import Rating
from veil.store.repositories import add_entity
from veil.store.tables import support_ratings, support_tickets

_r = support_ratings.c


class SqlRatings:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, rating: Rating) -> None:
        await add_entity(self._session, rating)  # the unique ticket_id: Conflict

    async def for_ticket(self, ticket_id: int) -> Rating | None:
        query = select(Rating).where(_r.ticket_id == ticket_id)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def awaiting_comment(self, client_id: int, since: datetime) -> Rating | None:
        query = (
            select(Rating)
            .join(support_tickets, support_tickets.c.id == _r.ticket_id)
            .where(
                support_tickets.c.client_id == client_id,
                _r.comment_asked_at >= since,
                _r.comment.is_(None),
            )
            .order_by(_r.comment_asked_at.desc())
            .limit(1)
            # Two quick messages: the second waits, then finds the comment taken.
            .with_for_update(of=support_ratings)
        )
        return (await self._session.execute(query)).scalar_one_or_none()
