"""Two instances running the autopilot at once, as two processes on one database: every
warning, breach, escalation and close happens exactly once (twice in time: a day less
half an hour after opening, then a day and half an hour)."""

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
from veil.domain.model import ClosedBy, Direction, Level, TicketStatus
from veil.services import client
from veil.services.context import Incoming, Sender
from veil.services.deliveries import SendText, TicketTopic, decode
from veil.services.relay import record_message
from veil.store.audit import export
from veil.store.tables import support_outbox, support_tickets
from veil.store.uow import SqlStore

TICKETS = 30
DESK = -1001000000001
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
    answered: set[str] = set()
    for n in range(TICKETS):
        async with store() as uow:
            ticket = await client.open_ticket(uow, ctx, Sender(8_000_000 + n))
            assert ticket is not None
            if n % 2:  # half answered: they wait for their clients, then close
                hello = Incoming(DESK, 100 + n, Sender(1), "text", "hello")
                await record_message(uow, ctx, ticket, hello, Direction.FROM_AGENT, None)
                answered.add(ticket.public_id)
            await uow.commit()
    start = clock()
    for later in (timedelta(hours=23, minutes=30), timedelta(hours=24, minutes=31)):
        now = (start + later).isoformat()
        codes = await asyncio.gather(_instance(database_url, now), _instance(database_url, now))
        assert codes == [0, 0]
    entries = [e async for e in export(engine)]
    breaches = Counter(
        (e["ticket"], e["details"]["clock"])
        for e in entries
        if e["action"] == Action.SLA_BREACHED.value
    )
    waiting = TICKETS - len(answered)
    assert len(breaches) == waiting * 2 and set(breaches.values()) == {1}
    assert not {ticket for ticket, _ in breaches} & answered
    escalations = Counter(
        e["ticket"] for e in entries if e["action"] == Action.TICKET_ESCALATED.value
    )
    assert len(escalations) == waiting and set(escalations.values()) == {2}  # L2, then L3
    async with engine.connect() as conn:
        tickets = (await conn.execute(select(support_tickets))).all()
        rows = await conn.scalars(select(support_outbox.c.delivery))
        deliveries = [decode(r) for r in rows]
    states = {t.public_id: (t.status, t.closed_by, t.required_level) for t in tickets}
    for public_id, state in states.items():
        if public_id in answered:
            assert state == (TicketStatus.CLOSED, ClosedBy.SYSTEM, Level.L1)
        else:
            assert state == (TicketStatus.NEW, None, Level.L3)
    texts = [d for d in deliveries if isinstance(d, SendText)]
    warned = Counter(d.to for d in texts if "will close in" in d.text)
    closing = Counter(
        d.to.ticket_id
        for d in texts
        if isinstance(d.to, TicketTopic) and "Closed automatically" in d.text
    )
    assert len(warned) == len(answered) and set(warned.values()) == {1}
    assert len(closing) == len(answered) and set(closing.values()) == {1}
