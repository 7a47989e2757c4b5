"""The SLA clocks, looked at inside the bot (no cron): due runs are found by their next
check in the database, so a pass costs one indexed query when nothing is due.

Safe with several instances: each due run is held by the unit of work looking at it
(``uow.sla.due``), and what it found is committed with its effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from veil.services import sla_watch
from veil.services.context import Context
from veil.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


async def look_once(units: UnitOfWorkFactory, ctx: Context) -> int:
    """Look at everything due now, batch by batch; returns how many runs were due."""
    total = 0
    while True:
        async with units() as uow:
            due = await sla_watch.look_at_due_clocks(uow, ctx)
            await uow.commit()
        total += due
        if due < sla_watch.LOOKS_PER_UNIT:
            return total


async def run_periodically(
    units: UnitOfWorkFactory, ctx: Context, *, every: float, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await look_once(units, ctx)
        except Exception:
            # A failed pass is logged and tried again: its runs are still due, since
            # nothing of a failed transaction was kept.
            log.exception("SLA watch pass failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
