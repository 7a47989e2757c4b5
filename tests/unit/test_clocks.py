"""A ticket's SLA clocks follow it through the use cases (fakes, a fake clock)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from tests.unit.test_services import BOB, _client_msg, _desk_msg, _open, ctx, store
from veil.domain.model import Level
from veil.domain.sla import ClockRun, SlaClock
from veil.services import client, desk
from veil.services.context import Context

__all__ = ["ctx", "store"]  # the fixtures, shared with the use-case tests


def _runs(store: FakeStore, clock: SlaClock) -> list[ClockRun]:
    return [r for r in store.memory.sla_runs.values() if r.clock is clock]


async def test_the_clocks_follow_a_conversation(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)
    (first,) = _runs(store, SlaClock.FIRST_RESPONSE)
    (resolution,) = _runs(store, SlaClock.RESOLUTION)
    assert first.ticket_id == ticket_id and first.is_running and resolution.is_running
    clock.advance(minutes=2)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(1))
        await desk.add_note(uow, ctx, _desk_msg(BOB, 60, "/note not an answer"))
        await uow.commit()
    assert first.is_running  # a note is no response
    clock.advance(minutes=3)
    async with store() as uow:
        await desk.relay_from_agent(uow, ctx, _desk_msg(BOB, 61, "hello"))
        await uow.commit()
    assert first.is_stopped and first.answered and first.used == timedelta(minutes=5)
    assert first.level is Level.L1
    assert not resolution.is_running  # waiting for the client
    clock.advance(minutes=30)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(2))
        await uow.commit()
    (next_run,) = _runs(store, SlaClock.NEXT_RESPONSE)
    assert next_run.started_at == clock() and resolution.is_running
    clock.advance(minutes=4)
    async with store() as uow:
        await desk.close_from_topic(uow, ctx, _desk_msg(BOB, 62, "/close"))
        await uow.commit()
    assert next_run.is_stopped and not next_run.answered
    assert resolution.is_stopped and resolution.used == timedelta(minutes=9)
