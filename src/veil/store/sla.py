"""The runs of SLA clocks, and the job's claim on the ones that are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.sla import ClockRun, SlaClock
from veil.store.tables import support_sla_runs

_runs = support_sla_runs.c


class SqlSlaRuns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, run: ClockRun) -> None:
        self._session.add(run)

    async def running(self, ticket_id: int) -> list[ClockRun]:
        query = (
            select(ClockRun)
            .where(_runs.ticket_id == ticket_id, _runs.stopped_at.is_(None))
            .order_by(_runs.id)
        )
        return list((await self._session.execute(query)).scalars())

    async def last_resolution(self, ticket_id: int) -> ClockRun | None:
        query = (
            select(ClockRun)
            .where(
                _runs.ticket_id == ticket_id,
                _runs.clock == SlaClock.RESOLUTION,
                _runs.stopped_at.is_not(None),
            )
            .order_by(_runs.stopped_at.desc(), _runs.id.desc())
            .limit(1)
        )
        return (await self._session.execute(query)).scalar_one_or_none()

    async def due(self, now: datetime, limit: int) -> Sequence[ClockRun]:
        # On PostgreSQL the rows are locked, and rows another instance holds are passed
        # over: two instances never look at one run at once, so what a look finds is
        # acted on once. SQLite's write lock (taken at BEGIN) does the same for it.
        query = (
            select(ClockRun)
            .where(_runs.check_at.is_not(None), _runs.check_at <= now)
            .order_by(_runs.check_at, _runs.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self._session.execute(query)).scalars())
