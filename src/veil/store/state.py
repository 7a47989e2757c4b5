"""Facts Veil keeps for itself: written once by whichever process comes first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from veil.store.tables import support_state


async def kept(engine: AsyncEngine, key: str, make: Callable[[], str], now: datetime) -> str:
    """The value kept under ``key``, made (and kept) by ``make`` when there is none yet.

    Several processes starting at once agree: the first insert wins, the others read it.
    """
    read = select(support_state.c.value).where(support_state.c.key == key)
    async with engine.begin() as connection:
        found = await connection.scalar(read)
        if found is not None:
            return str(found)
    try:
        async with engine.begin() as connection:
            value = make()
            await connection.execute(
                insert(support_state).values(key=key, value=value, created_at=now)
            )
            return value
    except IntegrityError:
        async with engine.begin() as connection:
            return str(await connection.scalar(read))
