"""The routing lock is taken before a holdings-changing use case reads, on both backends.

A use case that reads tickets, agents or assignments and only then changes who holds
what cannot get the lock any more: it fails loudly instead of deciding on rows another
process may be changing. ``@changes_holdings`` takes the lock first.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.services import client, routing
from veil.services.context import Context, Sender
from veil.services.people import id_of
from veil.services.ports import RoutingLockTooLate, UnitOfWork
from veil.store.uow import SqlStore

ALICE = Sender(telegram_id=5_000_000_201, language="en")


async def _opened(store: SqlStore, ctx: Context) -> int:
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, ALICE)
        await uow.commit()
    return id_of(ticket)


async def test_holdings_changed_after_an_unlocked_read_are_refused(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    ticket_id = await _opened(store, ctx)
    async with store() as uow:
        ticket = await uow.tickets.get(ticket_id)
        assert ticket is not None
        with pytest.raises(RoutingLockTooLate, match="support_tickets"):
            await routing.release(uow, ctx, ticket, "closed")


async def test_a_declared_use_case_locks_before_it_reads(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    ticket_id = await _opened(store, ctx)

    @routing.changes_holdings
    async def requeue(uow: UnitOfWork, ctx: Context, ticket_id: int) -> None:
        ticket = await uow.tickets.get(ticket_id)
        assert ticket is not None
        await routing.release(uow, ctx, ticket, "test")
        await routing.route(uow, ctx)

    async with store() as uow:
        await requeue(uow, ctx, ticket_id)
        await uow.commit()
    # A later unit of work starts afresh: the rule is per transaction, like the lock.
    async with store() as uow:
        await requeue(uow, ctx, ticket_id)
        await uow.commit()


async def test_reads_of_other_tables_may_come_first(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    await _opened(store, ctx)
    async with store() as uow:
        # Every update's unit of work records its update id and meets its sender first.
        assert await uow.updates.claim(77, clock())
        assert await uow.users.by_telegram_id(ALICE.telegram_id) is not None
        await uow.agents.lock_routing()
        await routing.route(uow, ctx)
        await uow.commit()
