"""A ticket's SLA clocks follow it through the use cases (fakes, a fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from tests.unit.test_services import BOB, _client_msg, _desk_msg, _open, ctx, store
from veil.domain.audit import Action
from veil.domain.model import ClosedBy, Level, Role
from veil.domain.sla import ClockRun, SlaClock
from veil.services import autoclose, client, desk, reports, sla_watch
from veil.services.context import Context, Incoming
from veil.services.deliveries import (
    CloseTopic,
    RefreshCard,
    ReopenTopic,
    SendReport,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.people import set_role
from veil.services.ports import RoutingLockNeeded

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


async def _look(store: FakeStore, ctx: Context) -> None:
    async with store() as uow:
        await sla_watch.look_at_due_clocks(uow, ctx)
        await uow.commit()


def _topic_texts(store: FakeStore, ticket_id: int) -> list[str]:
    return [
        d.text for d in store.sent() if isinstance(d, SendText) and d.to == TicketTopic(ticket_id)
    ]


async def test_the_owner_is_warned_once_before_the_first_response_target(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)  # normal: 10 min, warned at 8
    clock.advance(minutes=7)
    await _look(store, ctx)
    assert _topic_texts(store, ticket_id) == []
    clock.advance(minutes=1)
    await _look(store, ctx)
    await _look(store, ctx)
    (warning,) = _topic_texts(store, ticket_id)
    assert "first response target" in warning and "10 min" in warning
    assert "runs out in 2 min" in warning and "/take" in warning  # nobody owns it
    assert [a for a, *_ in store.memory.audit if a is Action.SLA_WARNED] == [Action.SLA_WARNED]


async def test_a_missed_first_response_escalates_one_level_and_says_why(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)
    clock.advance(minutes=10)
    await _look(store, ctx)
    await _look(store, ctx)
    ticket = store.memory.tickets[ticket_id]
    assert ticket.required_level is Level.L2
    assert ticket.escalation_reason == "the first response target (10 min) was missed"
    assert RefreshCard(ticket_id) in store.sent()
    missed = [t for t in _topic_texts(store, ticket_id) if "was missed" in t]
    assert len(missed) == 1 and "first response" in missed[0]
    breaches = [d for a, _, d in store.memory.audit if a is Action.SLA_BREACHED]
    assert breaches == [{"clock": "first_response", "target_seconds": 600, "level": "L1"}]
    # Still unanswered a target later: L3; and a target after that, the admins.
    async with store() as uow:
        admin = await set_role(uow, ctx, 999, Role.ADMIN)
        await uow.commit()
    clock.advance(minutes=10)
    await _look(store, ctx)
    assert ticket.required_level is Level.L3
    clock.advance(minutes=10)
    await _look(store, ctx)
    clock.advance(minutes=30)
    await _look(store, ctx)
    alerts = [
        d for d in store.sent() if isinstance(d, SendText) and d.to == UserChat(admin.id or 0)
    ]
    assert len(alerts) == 1 and ticket.public_id in alerts[0].text


async def test_at_l3_the_admins_are_alerted_instead(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        admin = await set_role(uow, ctx, 999, Role.ADMIN)
        store.memory.tickets[ticket_id].required_level = Level.L3
        await uow.commit()
    clock.advance(minutes=10)
    await _look(store, ctx)
    assert store.memory.tickets[ticket_id].required_level is Level.L3
    alerts = [
        d.text for d in store.sent() if isinstance(d, SendText) and d.to == UserChat(admin.id or 0)
    ]
    assert len(alerts) == 1 and "no higher level" in alerts[0]


async def _autopilot(store: FakeStore, ctx: Context) -> None:
    async with store() as uow:
        await autoclose.close_silent(uow, ctx)
        await uow.commit()


def _client_texts(store: FakeStore, user_id: int) -> list[str]:
    return [d.text for d in store.sent() if isinstance(d, SendText) and d.to == UserChat(user_id)]


async def _answered(store: FakeStore, ctx: Context) -> int:
    """A ticket an agent answered: it waits for its client."""
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await desk.relay_from_agent(uow, ctx, _desk_msg(BOB, 40, "anything else?"))
        await uow.commit()
    return ticket_id


async def test_a_ticket_waiting_for_the_desk_is_never_closed_for_silence(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)  # nobody answered: the SLA's business
    clock.advance(days=3)
    await _autopilot(store, ctx)
    assert not store.memory.tickets[ticket_id].is_closed
    assert store.memory.tickets[ticket_id].idle_warned_at is None


async def test_a_close_comes_a_warning_after_even_when_the_bot_was_away(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket = store.memory.tickets[await _answered(store, ctx)]
    clock.advance(days=2)  # long past both times: warned first, closed an hour later
    await _autopilot(store, ctx)
    assert not ticket.is_closed and ticket.idle_warned_at == clock()
    clock.advance(minutes=59)
    await _autopilot(store, ctx)
    assert not ticket.is_closed
    clock.advance(minutes=1)
    await _autopilot(store, ctx)
    assert ticket.is_closed


async def test_a_silent_ticket_is_warned_once_then_closed(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _answered(store, ctx)
    ticket = store.memory.tickets[ticket_id]
    clock.advance(hours=22, minutes=59)
    await _autopilot(store, ctx)
    assert not any("will close" in t for t in _client_texts(store, ticket.client_id))
    clock.advance(minutes=1)
    await _autopilot(store, ctx)
    clock.advance(minutes=30)
    await _autopilot(store, ctx)
    (warning,) = [t for t in _client_texts(store, ticket.client_id) if "will close" in t]
    assert "in 1 h" in warning and ticket.public_id in warning
    assert not ticket.is_closed
    clock.advance(minutes=30)
    await _autopilot(store, ctx)
    assert ticket.is_closed and ticket.closed_by is ClosedBy.SYSTEM
    (closing,) = [t for t in _client_texts(store, ticket.client_id) if "without messages" in t]
    assert "after 24 h without messages" in closing and "within 48 h" in closing
    assert CloseTopic(ticket_id) in store.sent()
    assert any("Closed automatically" in t for t in _topic_texts(store, ticket_id))
    assert all(r.is_stopped for r in store.memory.sla_runs.values())


async def test_a_message_after_the_warning_keeps_the_ticket_open(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _answered(store, ctx)
    ticket = store.memory.tickets[ticket_id]
    clock.advance(hours=23, minutes=30)
    await _autopilot(store, ctx)
    assert ticket.idle_warned_at is not None
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(5, text="still here"))
        await desk.relay_from_agent(uow, ctx, _desk_msg(BOB, 41, "sure, what is it?"))
        await uow.commit()
    assert ticket.idle_warned_at is None
    clock.advance(hours=1)
    await _autopilot(store, ctx)
    assert not ticket.is_closed
    clock.advance(hours=22, minutes=15)  # 23 h 15 min after the last message
    await _autopilot(store, ctx)
    assert not ticket.is_closed and ticket.idle_warned_at is not None  # warned again


async def _client_writes(store: FakeStore, ctx: Context, msg: Incoming) -> None:
    """As the unit-of-work middleware does: a use case that finds it must change
    holdings is run again, the routing lock taken first."""
    try:
        async with store() as uow:
            await client.relay_from_client(uow, ctx, msg)
            await uow.commit()
    except RoutingLockNeeded:
        async with store() as uow:
            await uow.agents.lock_routing()
            await client.relay_from_client(uow, ctx, msg)
            await uow.commit()


async def test_a_client_writing_soon_after_a_close_reopens_the_same_ticket(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await desk.close_from_topic(uow, ctx, _desk_msg(BOB, 61, "/close"))
        await uow.commit()
    clock.advance(hours=47)
    await _client_writes(store, ctx, _client_msg(7, text="one more question"))
    ticket = store.memory.tickets[ticket_id]
    assert not ticket.is_closed and ticket.closed_at is None
    assert ReopenTopic(ticket_id) in store.sent()
    (before,) = [r for r in store.memory.sla_runs.values() if r.closed_by is not None]
    assert before.reopened and before.closed_by is ClosedBy.AGENT  # for the reopen rate
    assert any("open again" in t for t in _client_texts(store, ticket.client_id))
    relayed = [d for d in store.sent() if isinstance(d, SendText) and d.text == "one more question"]
    assert [d.to for d in relayed] == [TicketTopic(ticket_id)]
    assert len(store.memory.tickets) == 1


async def test_after_the_window_a_new_ticket_follows_the_old_one(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    first = await _open(store, ctx)
    async with store() as uow:
        await desk.close_from_topic(uow, ctx, _desk_msg(BOB, 61, "/close"))
        await uow.commit()
    clock.advance(hours=49)
    await _client_writes(store, ctx, _client_msg(8, text="hello again"))
    (second,) = [t for t in store.memory.tickets.values() if t.id != first]
    assert store.memory.tickets[first].is_closed
    assert second.previous_ticket_id == first and not second.is_closed
    relayed = [d for d in store.sent() if isinstance(d, SendText) and d.text == "hello again"]
    assert [d.to for d in relayed] == [TicketTopic(second.id or 0)]


async def test_someone_who_never_had_a_ticket_is_shown_how_to_start(
    store: FakeStore, ctx: Context
) -> None:
    await _client_writes(store, ctx, _client_msg(9, text="hi"))
    assert store.memory.tickets == {}
    assert any("Live Support" in str(d) for d in store.sent())


async def test_the_daily_digest_waits_for_its_time_and_goes_once_a_day(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    async with store() as uow:
        admin = await set_role(uow, ctx, 999, Role.ADMIN)
        await uow.commit()
    clock.now = datetime(2026, 12, 8, 8, 59, tzinfo=UTC)

    async def digest() -> int:
        async with store() as uow:
            sent = await reports.daily_digest(uow, ctx, time(9, 0))
            await uow.commit()
        return sent

    assert await digest() == 0
    clock.advance(minutes=1)
    assert [await digest(), await digest()] == [1, 0]
    (request,) = [d for d in store.sent() if isinstance(d, SendReport)]
    assert request.to == UserChat(admin.id or 0) and request.daily
    assert (request.start, request.end) == (
        "2026-12-07T00:00:00+00:00",
        "2026-12-08T00:00:00+00:00",
    )
    clock.advance(days=1)
    assert await digest() == 1  # the next day's


async def test_staff_writing_in_their_chat_are_no_client_coming_back(
    store: FakeStore, ctx: Context
) -> None:
    async with store() as uow:  # an agent once tried Live Support themselves
        own = await client.open_ticket(uow, ctx, BOB)
        await uow.commit()
    assert own is not None
    async with store() as uow:
        await client.end_chat(uow, ctx, BOB)
        await uow.commit()
    message = Incoming(BOB.telegram_id, 77, BOB, "text", "your refund is on its way")
    await _client_writes(store, ctx, message)
    assert own.is_closed and len(store.memory.tickets) == 1
    assert not any(isinstance(d, SendText) and "refund" in d.text for d in store.sent())
