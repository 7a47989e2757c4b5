"""Keeping the bookkeeping tables from growing without end.

Telegram keeps an unconfirmed update for at most 24 hours, so an ``update_id`` older
than that can never come back: remembering it for two days is plenty. A failed update's
payload is kept 30 days for an operator to look at. Delivered outbox
rows are kept a week for inspection. Both deletes are idempotent, so several instances
may run this at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from veil.services import privacy
from veil.services.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

UPDATE_MEMORY = timedelta(hours=48)
# A failed update keeps its payload (names included) for inspection, but not forever.
FAILED_MEMORY = timedelta(days=30)
SENT_MEMORY = timedelta(days=7)
PURGE_BATCH = 200


async def tidy(
    units: UnitOfWorkFactory, clock: Clock, retention: timedelta | None = None
) -> tuple[int, int]:
    """One pass; returns how many update records and outbox rows were dropped. With a
    ``retention``, the contents of tickets closed longer ago are erased too."""
    now = clock()
    async with units() as uow:
        updates = await uow.updates.forget_before(now - UPDATE_MEMORY, now - FAILED_MEMORY)
        sent = await uow.outbox.forget_sent_before(now - SENT_MEMORY)
        await uow.commit()
    if updates or sent:
        log.info("housekeeping dropped %s update records and %s sent deliveries", updates, sent)
    async with units() as uow:  # older than any window a limit counts in
        await uow.limits.forget_events_before(now - timedelta(days=2))
        await uow.commit()
    if retention is not None:
        purged = await purge(units, now, retention)
        if purged:
            log.info("housekeeping erased the contents of %s tickets closed long ago", purged)
    return updates, sent


async def purge(units: UnitOfWorkFactory, now: datetime, retention: timedelta) -> int:
    """Erase, batch by batch (one transaction each), what tickets closed before
    ``now - retention`` still hold; idempotent, so several instances may run it."""
    total = 0
    while True:
        async with units() as uow:
            purged = await privacy.purge_closed(uow, now, retention, PURGE_BATCH)
            await uow.commit()
        total += purged
        if purged < PURGE_BATCH:
            return total


async def run_periodically(
    units: UnitOfWorkFactory,
    clock: Clock,
    every: float,
    stop: asyncio.Event,
    retention: timedelta | None = None,
) -> None:
    while not stop.is_set():
        try:
            await tidy(units, clock, retention)
        except Exception:
            # Housekeeping failing is worth a log line, never worth stopping the bot.
            log.exception("housekeeping pass failed")
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            continue
