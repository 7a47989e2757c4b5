"""SLA clock runs in the store, on every backend: kept as the domain left them, found
when due, and each due run looked at by one unit of work at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.domain import sla
from veil.domain.model import Level, Priority
from veil.domain.sla import Finding, Owner, SlaClock, SlaPolicy
from veil.services import client
from veil.services.context import Sender
from veil.store.uow import SqlStore

POLICY = SlaPolicy.default()


async def _tickets(store: SqlStore, clock: FakeClock, count: int) -> list[int]:
    ctx, ids = make_ctx(clock), []
    for n in range(count):
        async with store() as uow:
            ticket = await client.open_ticket(uow, ctx, Sender(7_000_000 + n))
            await uow.commit()
        assert ticket.id is not None
        ids.append(ticket.id)
    return ids


async def test_a_run_comes_back_as_it_was_left(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    (ticket_id,) = await _tickets(store, clock, 1)  # its clocks start with it
    start = clock()
    async with store() as uow:
        sla.reprioritised(await uow.sla.running(ticket_id), Priority.HIGH, POLICY)
        await uow.commit()
    clock.advance(minutes=3)
    async with store() as uow:
        running = await uow.sla.running(ticket_id)
        sla.agent_answered(running, clock(), POLICY, Owner(None, Level.L2))
        await uow.commit()
    async with store() as uow:
        left = await uow.sla.running(ticket_id)
    (resolution,) = left
    assert resolution.clock is SlaClock.RESOLUTION
    assert resolution.used == timedelta(minutes=3) and resolution.running_since is None
    assert resolution.target == timedelta(hours=8) and resolution.check_at is None
    async with store() as uow:
        assert await uow.sla.due(start + timedelta(days=999), 10) == []  # stopped or paused


async def test_due_runs_come_soonest_first_and_no_sooner(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    tickets = await _tickets(store, clock, 3)
    start = clock()
    async with store() as uow:
        for ticket_id, priority in zip(
            tickets, (Priority.LOW, Priority.URGENT, Priority.NORMAL), strict=True
        ):
            sla.reprioritised(await uow.sla.running(ticket_id), priority, POLICY)
        await uow.commit()
    async with store() as uow:
        early = await uow.sla.due(start + timedelta(seconds=95), 10)
        due = await uow.sla.due(start + timedelta(minutes=9), 10)
        one = await uow.sla.due(start + timedelta(minutes=9), 1)
    assert early == []  # urgent's warning comes at 96 s
    assert [(r.ticket_id, r.clock) for r in due] == [
        (tickets[1], SlaClock.FIRST_RESPONSE),  # urgent: warned at 96 s
        (tickets[2], SlaClock.FIRST_RESPONSE),  # normal: warned at 8 min
    ]
    assert [r.ticket_id for r in one] == [tickets[1]]


async def test_two_units_looking_at_once_find_each_warning_once(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    tickets = await _tickets(store, clock, 6)  # normal priority: warned at 8 min
    start = clock()
    now = start + timedelta(minutes=8, seconds=30)

    async def look() -> list[tuple[int, Finding]]:
        found = []
        async with store() as uow:
            for run in await uow.sla.due(now, 100):
                finding = run.look(now, POLICY)
                if finding is not None:
                    found.append((run.ticket_id, finding))
            await asyncio.sleep(0)  # the other unit asks while this one holds its runs
            await uow.commit()
        return found

    first, second = await asyncio.gather(look(), look())
    found = first + second
    assert sorted(found) == sorted((t, Finding.WARNED) for t in tickets)
    async with store() as uow:
        assert await uow.sla.due(now, 100) == []
