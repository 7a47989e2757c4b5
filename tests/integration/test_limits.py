"""Limits and bans through the use cases, on every backend: counted from the stored
tickets and messages, one notice per spell, every refusal audited, a ban that reaches
nothing to the desk and ends."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from tests.integration.test_store import make_ctx
from veil.domain.limits import Limits
from veil.domain.model import Direction
from veil.domain.permissions import Act
from veil.services import bans, client, guard
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import CopyContent, SendText, TicketTopic, UserChat, decode
from veil.services.guard import InPrivate
from veil.services.relay import record_message
from veil.store.audit import export
from veil.store.tables import support_outbox
from veil.store.uow import SqlStore

CLIENT, ADMIN, AGENT = 5_000_000_321, 5_000_000_001, 5_000_000_002


def _ctx(clock: FakeClock, **limits: int) -> Context:
    return dataclasses.replace(
        make_ctx(clock), admin_ids=frozenset({ADMIN}), limits=Limits(**limits)
    )


async def _sent(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        rows = await conn.scalars(select(support_outbox.c.delivery).order_by(support_outbox.c.id))
        return [decode(r) for r in rows]


async def _texts_to(engine: AsyncEngine, user_id: int) -> list[str]:
    return [
        d.text for d in await _sent(engine) if isinstance(d, SendText) and d.to == UserChat(user_id)
    ]


async def _refusals(engine: AsyncEngine) -> list[str]:
    return [e["details"]["attempted"] async for e in export(engine) if e["action"] == "refused"]


async def _run(store: SqlStore, who: int, step: object) -> object:
    async with store() as uow:
        uow.audit.acting_for(who)
        result = await step(uow)  # type: ignore[operator]
        await uow.commit()
        return result


async def test_a_sixth_ticket_in_a_day_waits_and_the_client_is_told_once(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx, alice = SqlStore(engine, clock), _ctx(clock, tickets_per_day=5), Sender(CLIENT)
    first = clock()
    for _ in range(5):
        assert await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, alice))
        await _run(store, CLIENT, lambda uow: client.end_chat(uow, ctx, alice))
        clock.advance(minutes=30)
    for _ in range(2):
        assert await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, alice)) is None
    user_id = await _user_id(store)
    told = [t for t in await _texts_to(engine, user_id) if "in the last 24 hours" in t]
    # 24 h after the first of them, which was 2.5 h ago: in 21.5 hours, said as 22.
    assert told == [told[0]] and "5 conversations" in told[0] and "about 22 hours" in told[0]
    assert await _refusals(engine) == ["tickets_per_day", "tickets_per_day"]
    clock.now = first + timedelta(days=1)  # the first leaves the window: one more may open
    assert await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, alice))


async def _user_id(store: SqlStore) -> int:
    async with store() as uow:
        user = await uow.users.by_telegram_id(CLIENT)
        assert user is not None and user.id is not None
        return user.id


def _message(n: int) -> Incoming:
    return Incoming(CLIENT, 100 + n, Sender(CLIENT), "text", f"message {n}")


async def _copies_to_desk(engine: AsyncEngine) -> int:
    deliveries = await _sent(engine)
    return sum(
        1
        for d in deliveries
        if isinstance(d, SendText | CopyContent)
        and isinstance(d.to, TicketTopic)
        and getattr(d, "relayed", True)
    )


async def test_past_the_hourly_limit_nothing_reaches_the_desk_and_one_notice_says_why(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = SqlStore(engine, clock), _ctx(clock, messages_per_hour=3)
    await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    start = clock()
    for n in range(3):
        await _run(store, CLIENT, lambda uow, n=n: client.relay_from_client(uow, ctx, _message(n)))
        clock.advance(minutes=1)
    relayed = await _copies_to_desk(engine)
    for n in range(3, 6):
        await _run(store, CLIENT, lambda uow, n=n: client.relay_from_client(uow, ctx, _message(n)))
    assert await _copies_to_desk(engine) == relayed  # none of the three went on
    user_id = await _user_id(store)
    notices = [t for t in await _texts_to(engine, user_id) if "in the last hour" in t]
    assert len(notices) == 1 and "3 messages" in notices[0] and "57 minutes" in notices[0]
    assert await _refusals(engine) == ["messages_per_hour"] * 3
    clock.now = start + timedelta(hours=1)
    await _run(store, CLIENT, lambda uow: client.relay_from_client(uow, ctx, _message(9)))
    assert await _copies_to_desk(engine) == relayed + 1


async def test_an_admin_may_give_one_person_another_allowance(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = SqlStore(engine, clock), _ctx(clock, messages_per_hour=1)
    opened = await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    order = f"{opened.public_id} messages 3"  # type: ignore[attr-defined]
    await _run(store, ADMIN, lambda uow: bans.allow(uow, ctx, Sender(ADMIN), order))
    for n in range(4):
        await _run(store, CLIENT, lambda uow, n=n: client.relay_from_client(uow, ctx, _message(n)))
    assert await _refusals(engine) == ["messages_per_hour"]  # the fourth, not the second
    entries = [e async for e in export(engine)]
    assert any(e["action"] == "limit.set" and e["actor"].startswith("admin:") for e in entries)


async def test_a_ban_closes_the_ticket_keeps_everything_from_the_desk_and_ends(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = SqlStore(engine, clock), _ctx(clock)
    ticket = await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    public_id = ticket.public_id  # type: ignore[attr-defined]
    # Only an admin may: an agent's /ban is refused (by the guard every command passes),
    # and kept in the audit log.
    refused = await _run(
        store, AGENT, lambda uow: guard.admit(uow, ctx, Sender(AGENT), Act.BAN, InPrivate())
    )
    assert refused is not None
    assert await _refusals(engine) == ["/ban"]
    await _run(store, ADMIN, lambda uow: bans.ban(uow, ctx, Sender(ADMIN), f"{public_id} 30m spam"))
    async with store() as uow:
        reloaded = await uow.tickets.by_public_id(public_id)
        assert reloaded is not None and reloaded.is_closed
    relayed = await _copies_to_desk(engine)
    for n in range(2):
        await _run(store, CLIENT, lambda uow, n=n: client.relay_from_client(uow, ctx, _message(n)))
    assert (
        await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT))) is None
    )
    assert await _copies_to_desk(engine) == relayed
    user_id = await _user_id(store)
    sorry = [t for t in await _texts_to(engine, user_id) if "not available to you" in t]
    assert len(sorry) == 1  # told once, however often they try
    entries = [e async for e in export(engine)]
    banned = next(e for e in entries if e["action"] == "client.banned")
    assert banned["actor"].startswith("admin:") and banned["ticket"] == public_id
    assert "spam" not in str(entries)  # the reason stays with the ban, sealed
    clock.advance(minutes=31)  # the ban ends by itself
    assert await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))


async def test_unban_lifts_a_ban_for_good(engine: AsyncEngine, clock: FakeClock) -> None:
    store, ctx = SqlStore(engine, clock), _ctx(clock)
    ticket = await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    public_id = ticket.public_id  # type: ignore[attr-defined]
    await _run(store, ADMIN, lambda uow: bans.ban(uow, ctx, Sender(ADMIN), public_id))
    clock.advance(days=400)
    assert (
        await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT))) is None
    )
    await _run(store, ADMIN, lambda uow: bans.unban(uow, ctx, Sender(ADMIN), public_id.lower()))
    assert await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    actions = [e["action"] async for e in export(engine)]
    assert "client.unbanned" in actions


async def test_messages_read_with_the_decisions_count_exactly_as_counted_alone(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """The latest messages read with a person's ban and allowances in one query give the
    answer the counting query alone gives, at the window's edges and past the allowance,
    and a message this unit wrote afterwards counts too."""
    store, ctx = SqlStore(engine, clock), _ctx(clock, messages_per_hour=50)
    opened = await _run(store, CLIENT, lambda uow: client.open_ticket(uow, ctx, Sender(CLIENT)))
    start = clock()
    for n in range(6):
        await _run(store, CLIENT, lambda uow, n=n: client.relay_from_client(uow, ctx, _message(n)))
        clock.advance(minutes=10)
    user_id = await _user_id(store)
    order = f"{opened.public_id} messages 4"  # type: ignore[attr-defined]
    await _run(store, ADMIN, lambda uow: bans.allow(uow, ctx, Sender(ADMIN), order))

    async def alone(count: int, since: datetime) -> list[datetime]:
        async with store() as uow:
            return list(await uow.limits.recent_messages(user_id, count, since))

    async def foreseen(hint: tuple[int, datetime], count: int, since: datetime) -> list[datetime]:
        async with store() as uow:
            await uow.limits.foresee_messages(user_id, *hint)
            await uow.limits.ban_of(user_id)
            return list(await uow.limits.recent_messages(user_id, count, since))

    edges = [start - timedelta(minutes=1), start, start + timedelta(minutes=10), clock()]
    for hint_since in edges:
        for since in edges:
            for count in (1, 3, 4, 5, 8):
                for hint_count in (2, 4, 50):
                    got = await foreseen((hint_count, hint_since), count, since)
                    assert got == await alone(count, since), (hint_since, since, count)

    statements: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    async with store() as uow:  # the usual case: no second query
        await uow.limits.foresee_messages(user_id, 50, start)
        await uow.limits.ban_of(user_id)
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            latest = await uow.limits.recent_messages(user_id, 4, start + timedelta(minutes=1))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
        assert len(latest) == 4 and statements == []

    async with store() as uow:  # a message of this very unit counts at once
        await uow.limits.foresee_messages(user_id, 50, start - timedelta(minutes=1))
        await uow.limits.ban_of(user_id)
        ticket = await uow.tickets.open_for_client(user_id)
        assert ticket is not None
        await record_message(uow, ctx, ticket, _message(7), Direction.FROM_CLIENT, None)
        latest = await uow.limits.recent_messages(user_id, 50, start - timedelta(minutes=1))
        assert len(latest) == 7 and latest[0] == clock()
