"""Facts Veil keeps for itself: written once by whichever process comes first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

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


class SqlClaims:
    """Things to be done once, whatever the number of instances (a day's digest): the
    first unit of work to claim a key gets it, inside its own transaction, so a claim
    whose work fails is released with it."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, key: str, now: datetime) -> bool:
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert_or_nothing = pg_insert if dialect == "postgresql" else sqlite_insert
        result = await self._session.execute(
            insert_or_nothing(support_state)
            .values(key=key, value="claimed", created_at=now)
            .on_conflict_do_nothing()
        )
        return bool(getattr(result, "rowcount", 0) == 1)
