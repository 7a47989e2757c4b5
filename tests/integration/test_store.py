"""The store on real SQLite and real PostgreSQL: the same tests on both."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from veil.domain.model import Direction, Role, Ticket, TicketStatus
from veil.i18n import default_catalog
from veil.services import client, desk, outbound
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import (
    CopyContent,
    OpenTopic,
    SendText,
    TicketTopic,
    UserChat,
    decode,
)
from veil.services.ports import Conflict
from veil.store.tables import support_outbox
from veil.store.uow import SqlStore

DESK = -1001000000001


def make_ctx(clock: FakeClock) -> Context:
    counter = itertools.count(1)
    return Context(
        clock=clock,
        texts=default_catalog(),
        new_suffix=lambda: f"A{next(counter):05d}",
        desk_chat_id=DESK,
    )


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_a_client_gets_one_open_ticket_and_its_deliveries(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    alice = Sender(telegram_id=5_000_000_001, language="en")
    async with store() as uow:
        first = await client.open_ticket(uow, ctx, alice)
        await uow.commit()
    async with store() as uow:
        again = await client.open_ticket(uow, ctx, alice)
        await uow.commit()
        pending = await uow.outbox.heads(clock(), 100)
    assert again.public_id == first.public_id
    assert first.public_id == f"SUPP-{int(clock().timestamp())}-A00001"
    by_lane = {p.lane: p.delivery for p in pending}
    assert isinstance(by_lane[f"topic:{first.id}"], OpenTopic)  # topic first, card after
    assert isinstance(by_lane[f"user:{first.client_id}"], SendText)


async def test_the_database_refuses_a_second_open_ticket(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, Sender(42))
        await uow.commit()
    with pytest.raises(Conflict):
        async with store() as uow:
            twin = Ticket("SUPP-1-ZZZZZZ", ticket.client_id, clock(), clock(), DESK)
            await uow.tickets.add(twin)


async def test_ticket_ids_are_unique_even_when_the_random_part_repeats(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    draws = iter(["AAAAAA", "AAAAAA", "AAAAAA", "BBBBBB"])
    ctx = Context(clock, default_catalog(), lambda: next(draws), DESK)
    ids = []
    for telegram_id in (1, 2):
        async with store() as uow:
            ids.append((await client.open_ticket(uow, ctx, Sender(telegram_id))).public_id)
            await uow.commit()
    assert ids[0] != ids[1]
    assert ids[1].endswith("BBBBBB")


async def test_outbox_hands_out_one_delivery_per_lane_in_order(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        for n in range(3):
            uow.outbox.add(SendText(TicketTopic(7), f"t7-{n}"))
            uow.outbox.add(SendText(TicketTopic(8), f"t8-{n}"))
        await uow.commit()
    seen: list[str] = []
    for _ in range(3):
        async with store() as uow:
            heads = await uow.outbox.heads(clock(), 100)
            assert len(heads) == 2  # both lanes move, each one message at a time
            for head in heads:
                assert isinstance(head.delivery, SendText)
                seen.append(head.delivery.text)
                await uow.outbox.mark_sent([head.id], clock())
            await uow.commit()
    assert [s for s in seen if s.startswith("t7")] == ["t7-0", "t7-1", "t7-2"]
    async with store() as uow:
        assert await uow.outbox.heads(clock(), 100) == []
        assert await uow.outbox.backlog() == 0


async def test_a_claimed_lane_is_held_by_one_worker_until_its_lease_ends(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        for n in range(3):
            uow.outbox.add(SendText(TicketTopic(5), f"t5-{n}"))
        await uow.commit()
    lease = clock() + timedelta(seconds=30)
    async with store() as uow:
        (head,) = await uow.outbox.heads(clock(), 10)
        rest = await uow.outbox.following(head, 10)
        assert [r.delivery.text for r in rest] == ["t5-1", "t5-2"]  # type: ignore[union-attr]
        assert await uow.outbox.claim([head.id, rest[0].id], "w1", clock(), lease)
        await uow.commit()
    async with store() as uow:
        # Held: the lane shows nothing to another worker, and nobody else may claim.
        assert await uow.outbox.heads(clock(), 10) == []
        assert not await uow.outbox.claim([head.id], "w2", clock(), lease)
        # All or none: one held row spoils the claim of a run.
        assert not await uow.outbox.claim([rest[1].id, rest[0].id], "w2", clock(), lease)
        await uow.commit()
    clock.advance(seconds=31)  # w1 died holding them: its lease runs out
    async with store() as uow:
        (again,) = await uow.outbox.heads(clock(), 10)
        assert again.id == head.id
        assert await uow.outbox.claim([head.id], "w2", clock(), clock() + timedelta(seconds=30))
        await uow.outbox.mark_sent([head.id], clock())
        await uow.commit()
    async with store() as uow:
        assert not await uow.outbox.claim([head.id], "w3", clock(), lease)  # sent: never again
        (next_head,) = await uow.outbox.heads(clock(), 10)
        assert next_head.id == rest[0].id


async def test_a_postponed_head_holds_its_lane_back(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        uow.outbox.add(SendText(TicketTopic(1), "first"))
        uow.outbox.add(SendText(TicketTopic(1), "second"))
        await uow.commit()
    async with store() as uow:
        (head,) = await uow.outbox.heads(clock(), 10)
        clock.advance(seconds=1)
        await uow.outbox.retry_later(head.id, clock().replace(minute=59), "429")
        await uow.commit()
    async with store() as uow:
        assert await uow.outbox.heads(clock(), 10) == []  # "second" may not overtake
        assert await uow.outbox.backlog() == 2


async def test_an_update_is_claimed_once(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        assert await uow.updates.claim(1001, clock())
        await uow.commit()
    async with store() as uow:
        assert not await uow.updates.claim(1001, clock())
        assert await uow.updates.claim(1002, clock())


async def test_a_conversation_is_stored_in_order_with_notes_apart(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    alice, agent = Sender(10), Sender(20)
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, alice)
        await uow.commit()
    async with store() as uow:
        from veil.services.people import set_role

        await set_role(uow, ctx, agent.telegram_id, Role.SUPPORT_AGENT)
        loaded = await uow.tickets.get(ticket.id or 0)
        assert loaded is not None
        loaded.desk_topic_id = 77
        await uow.commit()
    steps = [
        (client.relay_from_client, Incoming(10, 1, alice, "text", "hello")),
        (client.relay_from_client, Incoming(10, 2, alice, "photo", "my screen")),
        (desk.relay_from_agent, Incoming(DESK, 500, agent, "text", "hi!", thread_id=77)),
    ]
    for use_case, msg in steps:
        async with store() as uow:
            await use_case(uow, ctx, msg)
            await uow.commit()
    async with store() as uow:
        await desk.add_note(uow, ctx, Incoming(DESK, 501, agent, "text", "/note vip", thread_id=77))
        await uow.commit()
    async with store() as uow:
        public = await uow.messages.for_ticket(ticket.id or 0, include_internal=False)
        everything = await uow.messages.for_ticket(ticket.id or 0, include_internal=True)
        reloaded = await uow.tickets.get(ticket.id or 0)
    async with engine.connect() as conn:
        query = select(support_outbox.c.delivery).order_by(support_outbox.c.id)
        rows = (await conn.execute(query)).all()  # opened by the column's type
    deliveries = [decode(r[0]) for r in rows]
    photo_copy = [d for d in deliveries if isinstance(d, CopyContent)]
    assert [m.text for m in public] == ["hello", "my screen", "hi!"]
    assert [m.seq for m in everything] == [1, 2, 3, 4]
    assert everything[-1].direction is Direction.NOTE
    assert reloaded is not None and reloaded.status is TicketStatus.OPEN
    assert reloaded.first_response_at == clock()
    assert [(c.caption, c.has_caption) for c in photo_copy] == [("my screen", True)]
    to_client = [d for d in deliveries if isinstance(d, SendText) and d.text == "hi!"]
    assert len(to_client) == 1 and to_client[0].to == UserChat(reloaded.client_id)
    assert not any(isinstance(d, SendText) and "vip" in d.text for d in deliveries)


async def test_where_a_message_landed_is_kept_and_found_again(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """An agent's reply to a desk message, or a client's reply to one of the bot's, is
    found by where the message landed; recording it must not touch anything else."""
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    alice = Sender(10)
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, alice)
        await client.relay_from_client(uow, ctx, Incoming(10, 1, alice, "text", "hello"))
        await uow.commit()
    ticket_id = ticket.id or 0
    async with store() as uow:
        (record,) = await uow.messages.for_ticket(ticket_id, include_internal=False)
        assert record.id is not None
        await outbound.record_delivered(uow, record.id, outbound.Side.DESK, DESK, 900)
        await outbound.record_delivered(uow, record.id, outbound.Side.CLIENT, 10, 31)
        await uow.commit()
    async with store() as uow:
        on_desk = await uow.messages.by_desk_message(ticket_id, DESK, 900)
        at_client = await uow.messages.by_client_message(ticket_id, 31)
        elsewhere = await uow.messages.by_desk_message(ticket_id, DESK, 901)
    assert on_desk is not None and on_desk.id == record.id and on_desk.text == "hello"
    assert at_client is not None and at_client.id == record.id
    assert elsewhere is None


async def test_times_come_back_time_zone_aware(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        ticket = await client.open_ticket(uow, make_ctx(clock), Sender(1))
        await uow.commit()
    async with engine.connect() as conn:
        count = (await conn.execute(text("select count(*) from support_tickets"))).scalar_one()
    async with store() as uow:
        loaded = await uow.tickets.by_public_id(ticket.public_id)
    assert count == 1
    assert loaded is not None and loaded.created_at == clock()
    assert loaded.created_at.tzinfo is not None


async def test_housekeeping_forgets_old_bookkeeping_only(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from veil.jobs.housekeeping import tidy

    store = SqlStore(engine, clock)
    async with store() as uow:
        await uow.updates.claim(1, clock())
        await uow.updates.record_failure(2, clock(), "{}", "boom")
        uow.outbox.add(SendText(TicketTopic(1), "old, sent"))
        uow.outbox.add(SendText(TicketTopic(2), "old, never sent"))
        await uow.commit()
    async with store() as uow:
        sent = next(h for h in await uow.outbox.heads(clock(), 10) if h.lane == "topic:1")
        await uow.outbox.mark_sent([sent.id], clock())
        await uow.commit()
    clock.advance(days=8)
    async with store() as uow:
        await uow.updates.claim(3, clock())
        await uow.commit()
    assert await tidy(store, clock) == (1, 1)
    async with store() as uow:
        assert not await uow.updates.claim(2, clock())  # failed updates are kept
        assert not await uow.updates.claim(3, clock())  # recent ones are remembered
        assert await uow.updates.claim(1, clock())  # old ones are forgotten
        assert await uow.outbox.backlog() == 1  # undelivered work is never dropped


async def test_an_id_taken_off_the_admin_list_stops_being_an_admin(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    from veil.services import agents
    from veil.services.agents import sync_admins
    from veil.services.deliveries import RemoveFromDesks

    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    kept, was_agent, was_client = 7_001, 7_002, 7_003
    async with store() as uow:
        assert await sync_admins(uow, ctx, [kept, was_agent, was_client]) == []
        await uow.commit()
    async with store() as uow:
        await uow.agents.lock_routing()
        user = await uow.users.by_telegram_id(was_agent)
        assert user is not None
        await agents.ensure_agent(uow, ctx, user)  # an admin who also answers tickets
        await uow.commit()
    async with store() as uow:  # the next start, with two ids taken off the list
        demoted = await sync_admins(uow, ctx, [kept])
        removals = [d for d in uow.outbox.added if isinstance(d, RemoveFromDesks)]  # type: ignore[attr-defined]
        await uow.commit()
    assert sorted(demoted) == [was_agent, was_client]
    assert len(removals) == 2  # both out of the desk groups
    async with store() as uow:
        roles = {t: (await uow.users.by_telegram_id(t)) for t in (kept, was_agent, was_client)}
        former = roles[was_agent]
        assert former is not None and await uow.agents.get(former.id or 0) is None
    assert {t: u.role for t, u in roles.items() if u is not None} == {
        kept: Role.ADMIN,
        was_agent: Role.CLIENT,  # no agent left behind with the admin's L3 reach
        was_client: Role.CLIENT,
    }


async def test_an_album_id_longer_than_its_column_is_kept_all_the_same(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """Telegram's ids are short, but an update whose message could not be stored would
    fail again at every delivery: an outside id is made to fit, staying distinct."""
    store = SqlStore(engine, clock)
    ctx = make_ctx(clock)
    alice = Sender(10)
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, alice)
        for n, album in enumerate(("a" * 200, "a" * 199 + "b")):
            photo = Incoming(10, 20 + n, alice, "photo", None, media_group_id=album)
            await client.relay_from_client(uow, ctx, photo)
        await uow.commit()
    async with store() as uow:
        kept = await uow.messages.for_ticket(ticket.id or 0, include_internal=False)
    ids = {m.media_group_id for m in kept}
    assert len(ids) == 2 and all(i is not None and len(i) <= 64 for i in ids)
