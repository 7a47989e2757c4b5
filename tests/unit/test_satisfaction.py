"""Satisfaction through the use cases: asked after a close, rated once, a comment when
the client asks to add one, all shown to the desk without identity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from tests.unit.test_services import ALICE, BOB, _client_msg, _desk_msg, _open, ctx, store
from veil.domain.ratings import Rating, RatingError
from veil.services import desk, handover, satisfaction
from veil.services.context import Context
from veil.services.deliveries import SendText, TicketTopic, UserChat
from veil.services.presses import RateTicket

__all__ = ["ctx", "store"]  # the fixtures, shared with the use-case tests


async def _closed(store: FakeStore, ctx: Context) -> int:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await handover.take(uow, ctx, _desk_msg(BOB, 60, "/take"))
        await uow.commit()
    assert store.memory.tickets[ticket_id].assigned_agent_id is not None
    async with store() as uow:
        await desk.close_from_topic(uow, ctx, _desk_msg(BOB, 61, "/close"))
        await uow.commit()
    return ticket_id


async def _rate(store: FakeStore, ctx: Context, public_id: str, score: int) -> str | None:
    async with store() as uow:
        notice = await satisfaction.rate(uow, ctx, ALICE, public_id, score)
        await uow.commit()
    return notice


def _topic(store: FakeStore, ticket_id: int) -> list[str]:
    return [
        d.text for d in store.sent() if isinstance(d, SendText) and d.to == TicketTopic(ticket_id)
    ]


async def test_a_close_asks_for_a_rating_with_five_buttons(store: FakeStore, ctx: Context) -> None:
    ticket_id = await _closed(store, ctx)
    ticket = store.memory.tickets[ticket_id]
    (ask,) = [d for d in store.sent() if isinstance(d, SendText) and "Rate the" in d.text]
    assert ask.to == UserChat(ticket.client_id)
    assert [b.press for row in ask.buttons for b in row] == [
        RateTicket(ticket.public_id, score) for score in (1, 2, 3, 4, 5)
    ]


async def test_a_rating_reaches_the_topic_without_identity_and_counts_once(
    store: FakeStore, ctx: Context
) -> None:
    ticket_id = await _closed(store, ctx)
    public_id = store.memory.tickets[ticket_id].public_id
    assert await _rate(store, ctx, public_id, 4) is None
    again = await _rate(store, ctx, public_id, 1)
    assert again is not None and "already rated" in again
    rating = store.memory.ratings[ticket_id]
    assert rating.score == 4 and rating.agent_id is not None  # the owner's figures
    (shown,) = [t for t in _topic(store, ticket_id) if "rated" in t]
    assert shown.startswith("⭐⭐⭐⭐ ") and "4/5" in shown
    assert str(ALICE.telegram_id) not in shown


async def test_an_open_ticket_cannot_be_rated(store: FakeStore, ctx: Context) -> None:
    ticket_id = await _open(store, ctx)
    notice = await _rate(store, ctx, store.memory.tickets[ticket_id].public_id, 5)
    assert notice is not None and "once it is closed" in notice
    assert store.memory.ratings == {}


async def test_a_comment_is_the_next_message_after_asking_and_is_masked(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _closed(store, ctx)
    public_id = store.memory.tickets[ticket_id].public_id
    await _rate(store, ctx, public_id, 2)
    async with store() as uow:
        assert await satisfaction.ask_comment(uow, ctx, ALICE, public_id) is None
        await uow.commit()
    clock.advance(minutes=3)
    async with store() as uow:
        await _relay(uow, ctx, "too slow, call me on +44 20 7946 0958")
    rating = store.memory.ratings[ticket_id]
    assert rating.comment == "too slow, call me on [phone number hidden]"
    assert any("comment on their rating: too slow" in t for t in _topic(store, ticket_id))
    assert store.memory.tickets[ticket_id].is_closed  # the comment reopened nothing


async def _relay(uow: object, ctx: Context, text: str) -> None:
    from veil.services import client

    await client.relay_from_client(uow, ctx, _client_msg(70, text=text))  # type: ignore[arg-type]
    await uow.commit()  # type: ignore[attr-defined]


def test_a_score_outside_one_to_five_is_refused() -> None:
    with pytest.raises(RatingError):
        Rating(1, 6, FakeClock()())
    rating = Rating(1, 3, FakeClock()())
    with pytest.raises(RatingError):
        rating.add_comment("unasked", FakeClock()())
    now = FakeClock()()
    rating.ask_comment(now)
    with pytest.raises(RatingError):
        rating.add_comment("too late", now + timedelta(minutes=11))
