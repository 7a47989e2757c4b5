"""Two units of work on one ticket at once, as a client and an agent writing side by side.

Their updates come from different chats, so the bot handles them concurrently; on
PostgreSQL the second must wait for the first instead of numbering its message from the
same count (a unique conflict, retried, and lost once the retries ran out).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.domain.model import ClosedBy, Direction, TicketError
from veil.services import client
from veil.services.context import Context, Incoming, Sender
from veil.services.people import id_of
from veil.services.relay import record_message
from veil.store.uow import SqlStore

ALICE = Sender(telegram_id=5_000_000_101, language="en")


async def _someone_waits_for_a_lock(engine: AsyncEngine) -> None:
    """Until another connection is blocked on a row lock (PostgreSQL); at once on SQLite,
    whose second writer waits in BEGIN IMMEDIATE whatever the test does."""
    if engine.dialect.name != "postgresql":
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with engine.connect() as conn:
        while True:
            waiting = (await conn.execute(query)).scalar_one()
            # pg_stat_activity is a snapshot kept until the transaction ends: end it, or
            # every poll reads the first answer again.
            await conn.rollback()
            if waiting:
                return
            await asyncio.sleep(0.01)  # polling a server-side state: nothing to await


async def _with_a_ticket(engine: AsyncEngine, clock: FakeClock) -> tuple[SqlStore, Context, int]:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    async with store() as uow:
        opened = await client.open_ticket(uow, ctx, ALICE)
        await uow.commit()
    return store, ctx, id_of(opened)


def _message(n: int) -> Incoming:
    return Incoming(chat_id=ALICE.telegram_id, message_id=n, sender=ALICE, kind="text", text="hi")


async def test_messages_written_side_by_side_are_numbered_one_after_the_other(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx, ticket_id = await _with_a_ticket(engine, clock)

    async def second_writer() -> int:
        async with store() as uow:
            ticket = await uow.tickets.get(ticket_id)
            assert ticket is not None
            record = await record_message(uow, ctx, ticket, _message(2), Direction.FROM_AGENT, 1)
            await uow.commit()
            return record.seq

    async with store() as first:
        ticket = await first.tickets.get(ticket_id)
        assert ticket is not None
        mine = await record_message(first, ctx, ticket, _message(1), Direction.FROM_CLIENT, None)
        other = asyncio.create_task(second_writer())
        # The other writer has read the ticket (or is waiting to) before this one commits.
        await asyncio.wait_for(_someone_waits_for_a_lock(engine), 30)
        await first.commit()
    assert (mine.seq, await asyncio.wait_for(other, 30)) == (1, 2)
    async with store() as uow:
        stored = await uow.messages.for_ticket(ticket_id, include_internal=True)
        after = await uow.tickets.get(ticket_id)
    assert [m.seq for m in stored] == [1, 2]
    assert after is not None and after.message_count == 2


async def test_a_message_cannot_slip_into_a_ticket_closed_meanwhile(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx, ticket_id = await _with_a_ticket(engine, clock)

    async def late_writer() -> str:
        async with store() as uow:
            ticket = await uow.tickets.get(ticket_id)
            assert ticket is not None
            try:
                await record_message(uow, ctx, ticket, _message(3), Direction.FROM_CLIENT, None)
            except TicketError:
                return "refused"
            await uow.commit()
            return "stored"

    async with store() as closing:
        ticket = await closing.tickets.get(ticket_id)
        assert ticket is not None
        ticket.close(ClosedBy.AGENT, clock())
        await closing.session.flush()
        writer = asyncio.create_task(late_writer())
        await asyncio.wait_for(_someone_waits_for_a_lock(engine), 30)
        await closing.commit()
    # It waited for the close and saw it: the closed-ticket rule held.
    assert await asyncio.wait_for(writer, 30) == "refused"


async def test_an_invite_opened_twice_at_once_makes_one_agent(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from veil.domain.model import Role
    from veil.services import agents
    from veil.services.people import set_role

    store = SqlStore(engine, clock)
    tokens = iter(["tok-race"])
    ctx = replace(make_ctx(clock), new_token=lambda: next(tokens))
    admin, first, second = Sender(9_001), Sender(9_002), Sender(9_003)
    async with store() as uow:
        await set_role(uow, ctx, admin.telegram_id, Role.ADMIN)
        await set_role(uow, ctx, first.telegram_id, Role.CLIENT)
        await set_role(uow, ctx, second.telegram_id, Role.CLIENT)
        await agents.invite(uow, ctx, admin, "L2")
        await uow.commit()

    async def accept(sender: Sender) -> None:
        async with store() as uow:
            await agents.accept_invite(uow, ctx, sender, "tok-race")
            await uow.commit()

    async with store() as uow:
        await agents.accept_invite(uow, ctx, first, "tok-race")
        other = asyncio.create_task(accept(second))
        await asyncio.wait_for(_someone_waits_for_a_lock(engine), 30)
        await uow.commit()
    await asyncio.wait_for(other, 30)
    async with store() as uow:
        roles = [
            (await uow.users.by_telegram_id(s.telegram_id)).role  # type: ignore[union-attr]
            for s in (first, second)
        ]
    assert roles == [Role.SUPPORT_AGENT, Role.CLIENT]
