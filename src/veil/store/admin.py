"""Read-only queries for operators' commands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from veil.domain.model import Role
from veil.store.tables import people


async def list_agents(engine: AsyncEngine) -> list[tuple[int, str, datetime]]:
    query = (
        select(people.c.telegram_id, people.c.role, people.c.created_at)
        .where(people.c.role.in_([Role.SUPPORT_AGENT, Role.ADMIN]))
        .order_by(people.c.created_at)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    return [(r.telegram_id, str(r.role), r.created_at) for r in rows]
