"""Watching the desk over time, with a fake clock: offline owners and long queues."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from veil.domain.agents import AgentStatus
from veil.domain.model import Role
from veil.i18n import default_catalog
from veil.services import agents, client, watch
from veil.services.context import Context, Sender
from veil.services.deliveries import RawChat, SendText, UserChat
from veil.services.people import set_role

DESK = -1001
GRACE = timedelta(minutes=5)
TARGET = timedelta(minutes=10)


@pytest.fixture
def ctx(clock: FakeClock) -> Context:
    counter = itertools.count()
    return Context(clock, default_catalog(), lambda: f"W{next(counter):05d}", DESK)


async def _agent(store: FakeStore, ctx: Context, telegram_id: int, status: AgentStatus) -> int:
    async with store() as uow:
        user = await set_role(uow, ctx, telegram_id, Role.SUPPORT_AGENT)
        await uow.commit()
    async with store() as uow:
        await agents.set_status(uow, ctx, Sender(telegram_id), status)
        await uow.commit()
    assert user.id is not None
    return user.id


async def _open(store: FakeStore, ctx: Context, telegram_id: int) -> int:
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, Sender(telegram_id))
        await uow.commit()
    assert ticket.id is not None
    return ticket.id


async def test_an_offline_owners_tickets_return_after_the_grace_period(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    first = await _agent(store, ctx, 1, AgentStatus.ONLINE)
    ticket = await _open(store, ctx, 100)
    assert store.memory.tickets[ticket].assigned_agent_id == first
    async with store() as uow:
        await agents.set_status(uow, ctx, Sender(1), AgentStatus.OFFLINE)
        await uow.commit()
    second = await _agent(store, ctx, 2, AgentStatus.AWAY)
    clock.advance(minutes=4)
    async with store() as uow:
        assert await watch.requeue_from_offline(uow, ctx, GRACE) == 0  # still in grace
    clock.advance(minutes=2)
    async with store() as uow:
        await agents.set_status(uow, ctx, Sender(2), AgentStatus.ONLINE)
        await uow.commit()
    assert store.memory.tickets[ticket].assigned_agent_id == first  # away → online: no change
    async with store() as uow:
        assert await watch.requeue_from_offline(uow, ctx, GRACE) == 1
        await uow.commit()
    assert store.memory.tickets[ticket].assigned_agent_id == second
    assert store.memory.agents[first].open_tickets == 0
    reasons = [(r.agent_id, r.release_reason) for r in store.memory.assignments]
    assert reasons == [(first, "offline"), (second, None)]


async def test_a_long_queue_raises_one_alert_and_pings_away_agents_once(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    away = await _agent(store, ctx, 1, AgentStatus.AWAY)
    for client_id in (100, 101, 102):
        await _open(store, ctx, client_id)
    async with store() as uow:
        assert not await watch.watch_queue(uow, ctx, TARGET)  # nobody waited long yet
    clock.advance(minutes=11)
    for _ in range(3):
        async with store() as uow:
            await watch.watch_queue(uow, ctx, TARGET)
            await uow.commit()
    alerts = [d for d in store.sent() if isinstance(d, SendText) and d.to == RawChat(DESK)]
    pings = [
        d
        for d in store.sent()
        if isinstance(d, SendText) and d.to == UserChat(away) and "queue needs help" in d.text
    ]
    assert len(alerts) == 1 and "3 of 3 waiting tickets" in alerts[0].text
    assert len(pings) == 1
    # Once the queue recovers the alert clears, and a new long wait raises a new one.
    async with store() as uow:
        await agents.set_status(uow, ctx, Sender(1), AgentStatus.ONLINE)
        await uow.commit()
    async with store() as uow:
        await watch.watch_queue(uow, ctx, TARGET)
        await uow.commit()
    assert store.memory.alerts == {}
    await _open(store, ctx, 103)  # the agent (capacity 5) takes it at once
    async with store() as uow:
        await agents.set_status(uow, ctx, Sender(1), AgentStatus.AWAY)
        await uow.commit()
    await _open(store, ctx, 104)
    clock.advance(minutes=11)
    async with store() as uow:
        assert await watch.watch_queue(uow, ctx, TARGET)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()
