"""The ticket lifecycle on autopilot, inside the bot (no cron): SLA clocks looked at when
due, silent tickets warned and closed, the daily digest sent.

What is due is found by indexed columns (a run's next check, a ticket's last activity),
so a pass costs a couple of small queries when nothing is due. Safe with several
instances: the steps that escalate and close take the routing lock first (they change
who holds what), the rows a step reads are locked as well (SKIP LOCKED on PostgreSQL,
the write lock on SQLite), the daily digest's day is claimed, and what a step did is
committed with its effects: every warning, breach, close and digest happens once
(tests/integration/test_autopilot_processes.py runs two instances as processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from veil.services import autoclose, reports, sla_watch
from veil.services.context import Context
from veil.services.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Step = Callable[[UnitOfWork, Context], Awaitable[int]]
# Each step with the most rows it handles in one transaction.
STEPS: tuple[tuple[str, Step, int], ...] = (
    ("SLA clocks", sla_watch.look_at_due_clocks, sla_watch.LOOKS_PER_UNIT),
    ("silent tickets", autoclose.close_silent, autoclose.SILENT_PER_UNIT),
    ("the daily digest", reports.digest_step, 1),
)


async def run_once(units: UnitOfWorkFactory, ctx: Context) -> None:
    """Everything due now, step by step, batch by batch. A step that fails is logged and
    the next one still runs: nothing of a failed transaction was kept, so its rows are
    still due at the next pass."""
    for name, step, batch in STEPS:
        try:
            while await _one_batch(units, ctx, step) >= batch:
                pass
        except Exception:
            log.exception("autopilot: %s failed; trying again at the next pass", name)


async def _one_batch(units: UnitOfWorkFactory, ctx: Context, step: Step) -> int:
    async with units() as uow:
        handled = await step(uow, ctx)
        await uow.commit()
    return handled


async def run_periodically(
    units: UnitOfWorkFactory, ctx: Context, *, every: float, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        await run_once(units, ctx)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
