"""Privacy by default, on every backend: what a client types that agents need not see is
hidden before it is stored or sent; the client is told once."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.domain.permissions import Act, Refusal
from veil.services import client, guard
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import SendText, TicketTopic, UserChat, decode
from veil.services.guard import Pressed
from veil.services.presses import ConfirmForget
from veil.store.tables import support_messages, support_outbox
from veil.store.uow import SqlStore

CLIENT = 5_000_000_777


async def _say(store: SqlStore, ctx: Context, n: int, text: str) -> None:
    async with store() as uow:
        await client.relay_from_client(uow, ctx, Incoming(CLIENT, n, Sender(CLIENT), "text", text))
        await uow.commit()


async def _deliveries(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        rows = await conn.scalars(select(support_outbox.c.delivery).order_by(support_outbox.c.id))
        return [decode(r) for r in rows]


async def test_agents_see_that_something_was_hidden_not_what(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    assert ticket is not None
    await _say(store, ctx, 1, "call me on +44 20 7946 0958 or bob@example.org")
    await _say(store, ctx, 2, "my card 4111 1111 1111 1111, booking on 2026-12-24 at 10:30")
    deliveries = await _deliveries(engine)
    to_desk = [
        d.text
        for d in deliveries
        if isinstance(d, SendText) and d.to == TicketTopic(ticket.id or 0)
    ]
    assert "call me on [phone number hidden] or [e-mail address hidden]" in to_desk
    assert "my card [card number hidden], booking on 2026-12-24 at 10:30" in to_desk
    everything = str(deliveries)
    assert "7946" not in everything and "bob@" not in everything and "4111" not in everything
    async with engine.connect() as conn:
        stored = [str(t) for t in await conn.scalars(select(support_messages.c.text))]
    assert all("7946" not in t and "4111" not in t for t in stored)
    to_client = [
        d.text for d in deliveries if isinstance(d, SendText) and d.to == UserChat(ticket.client_id)
    ]
    assert sum("hidden from the support team" in t for t in to_client) == 1  # told once


async def test_masking_can_be_turned_off(engine: AsyncEngine, clock: FakeClock) -> None:
    store, ctx = SqlStore(engine, clock), dataclasses.replace(make_ctx(clock), masking=False)
    async with store() as uow:
        await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    await _say(store, ctx, 1, "call me on +44 20 7946 0958")
    texts = [d.text for d in await _deliveries(engine) if isinstance(d, SendText)]
    assert "call me on +44 20 7946 0958" in texts


async def _conversation(store: SqlStore, ctx: Context) -> int:
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    assert ticket is not None and ticket.id is not None
    await _say(store, ctx, 1, "my neighbour at flat 5b is too loud")
    return ticket.id


async def _raw_texts(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        return list(await conn.scalars(select(support_messages.c.text)))


async def test_forget_me_erases_the_words_and_the_link_and_keeps_the_audit_log(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from veil.services import privacy
    from veil.store.audit import export, verify_chain

    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    ticket_id = await _conversation(store, ctx)
    async with store() as uow:
        uow.audit.acting_for(CLIENT)
        notice = await privacy.forget_me(uow, ctx, Sender(CLIENT))
        await uow.commit()
    assert "erased" in notice
    assert await _raw_texts(engine) == [None]
    async with store() as uow:
        person = await uow.users.by_telegram_id(CLIENT)
        assert person is not None and person.id is not None
        assert await uow.tickets.count_for_client(person.id) == 0  # no ticket leads to them
        ticket = await uow.tickets.get(ticket_id)
        assert ticket is not None and ticket.is_closed  # the ticket and its number stay
        assert ticket.client_id != person.id
        nobody = await uow.users.get(ticket.client_id)
        assert nobody is not None and nobody.telegram_id is None
    deliveries = await _deliveries(engine)
    assert "flat 5b" not in str(deliveries)
    entries = [e async for e in export(engine)]
    assert any(e["action"] == "contents.forgotten" for e in entries)
    assert any(e["action"] == "message.from_client" for e in entries)  # history, no words
    assert "flat 5b" not in str(entries)
    assert (await verify_chain(engine)).broken is None
    # Writing again is starting afresh.
    async with store() as uow:
        again = await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    assert again is not None and again.id != ticket_id
    async with store() as uow:
        assert await uow.tickets.count_for_client(again.client_id) == 1


async def test_contents_of_tickets_closed_past_the_retention_are_purged(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from datetime import timedelta

    from veil.jobs import housekeeping
    from veil.services import desk

    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    ticket_id = await _conversation(store, ctx)
    async with store() as uow:
        await uow.agents.lock_routing()  # closing changes who holds what
        ticket = await uow.tickets.get(ticket_id)
        assert ticket is not None
        await desk.close_ticket(uow, ctx, ticket)
        await uow.commit()
    clock.advance(days=29)
    await housekeeping.tidy(store, clock, retention=timedelta(days=30))
    assert await _raw_texts(engine) != [None]  # not yet
    clock.advance(days=2)
    await housekeeping.tidy(store, clock, retention=timedelta(days=30))
    assert await _raw_texts(engine) == [None]
    assert "flat 5b" not in str(await _deliveries(engine))


async def test_forgetting_is_no_way_round_the_daily_limit(
    engine: AsyncEngine, clock: FakeClock
) -> None:

    from veil.domain.limits import Limits
    from veil.services import privacy

    store = SqlStore(engine, clock)
    ctx = dataclasses.replace(make_ctx(clock), limits=Limits(tickets_per_day=1))
    await _conversation(store, ctx)
    async with store() as uow:
        await privacy.forget_me(uow, ctx, Sender(CLIENT))
        await uow.commit()
    async with store() as uow:  # the erased ticket still counts for the day
        assert await client.open_ticket(uow, ctx, Sender(CLIENT)) is None
        await uow.commit()
    clock.advance(days=1, seconds=1)  # a day after that ticket: one more may open
    async with store() as uow:
        again = await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    assert again is not None


async def test_staff_cannot_forget_themselves(engine: AsyncEngine, clock: FakeClock) -> None:
    from veil.domain.model import Role
    from veil.services.people import set_role

    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    async with store() as uow:
        await set_role(uow, ctx, CLIENT, Role.SUPPORT_AGENT)
        await uow.commit()
    async with store() as uow:
        press = Pressed(ConfirmForget(), CLIENT)
        refused = await guard.admit(uow, ctx, Sender(CLIENT), Act.FORGET_ME, press)
        await uow.commit()
    assert refused is not None and refused.why is Refusal.STAFF
    async with store() as uow:
        assert await uow.users.by_telegram_id(CLIENT) is not None
