"""Periodic desk watching: agents who lost their right (the host's records changed),
offline agents' tickets back to the queue, queue alerts.

Safe with several instances: requeueing happens under the routing lock and the alert
is raised at most once because its state lives in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from veil.services import agents, watch
from veil.services.context import Context
from veil.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


async def watch_once(
    units: UnitOfWorkFactory, ctx: Context, grace: timedelta, threshold: timedelta
) -> None:
    async with units() as uow:
        await agents.retire_lapsed(uow, ctx)
        await uow.commit()
    async with units() as uow:
        await watch.requeue_from_offline(uow, ctx, grace)
        await uow.commit()
    async with units() as uow:
        await watch.watch_queue(uow, ctx, threshold)
        await uow.commit()


async def run_periodically(
    units: UnitOfWorkFactory,
    ctx: Context,
    *,
    every: float,
    grace: timedelta,
    threshold: timedelta,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            await watch_once(units, ctx, grace, threshold)
        except Exception:
            # A failed pass is logged and tried again; it must never stop the bot.
            log.exception("desk watch pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
