"""Two instances running the autopilot at once, as two processes on one database: every
warning, breach, escalation and close happens exactly once."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.domain.audit import Action
from veil.domain.model import ClosedBy, Level, TicketStatus
from veil.services import client
from veil.services.context import Sender
from veil.services.deliveries import SendText, TicketTopic, decode
from veil.store.audit import export
from veil.store.tables import support_outbox, support_tickets
from veil.store.uow import SqlStore

TICKETS = 30
ROOT = Path(__file__).resolve().parents[2]


async def _instance(url: str, now: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.autopilot_worker", url, now, "3", cwd=ROOT
    )
    return await process.wait()


async def test_two_instances_act_on_each_ticket_once(
    engine: AsyncEngine, clock: FakeClock, database_url: str
) -> None:
    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    for n in range(TICKETS):
        async with store() as uow:
            await client.open_ticket(uow, ctx, Sender(8_000_000 + n))
            await uow.commit()
    # A day and an hour later: every first response missed, every ticket silent too long.
    later = (clock() + timedelta(hours=25)).isoformat()
    codes = await asyncio.gather(_instance(database_url, later), _instance(database_url, later))
    assert codes == [0, 0]
    breaches = Counter(
        [
            (e["ticket"], e["details"]["clock"])
            async for e in export(engine)
            if e["action"] == Action.SLA_BREACHED.value
        ]
    )
    assert len(breaches) == TICKETS * 2  # first response and resolution, each ticket
    assert set(breaches.values()) == {1}
    async with engine.connect() as conn:
        tickets = (await conn.execute(select(support_tickets))).all()
        rows = await conn.scalars(select(support_outbox.c.delivery))
        deliveries = [decode(r) for r in rows]
    assert {(t.status, t.closed_by, t.required_level) for t in tickets} == {
        (TicketStatus.CLOSED, ClosedBy.SYSTEM, Level.L2)  # escalated once, closed once
    }
    closing = Counter(
        d.to.ticket_id
        for d in deliveries
        if isinstance(d, SendText)
        and isinstance(d.to, TicketTopic)
        and "Closed automatically" in d.text
    )
    assert len(closing) == TICKETS and set(closing.values()) == {1}
