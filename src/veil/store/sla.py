"""The runs of SLA clocks, and the job's claim on the ones that are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veil.domain.sla import ClockRun, SlaClock
from veil.store.tables import support_sla_runs, support_tickets

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
        # The run and its ticket are locked together, rows another transaction holds
        # passed over: a relay holds the ticket, then writes its runs; a look that took
        # a run and then waited for its ticket could deadlock with it. SQLite's write
        # lock, taken at BEGIN, serialises it all anyway.
        query = (
            select(ClockRun)
            .join(support_tickets, support_tickets.c.id == _runs.ticket_id)
            .where(_runs.check_at.is_not(None), _runs.check_at <= now)
            .order_by(_runs.check_at, _runs.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=[support_sla_runs, support_tickets])
        )
        return list((await self._session.execute(query)).scalars())
