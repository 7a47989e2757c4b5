"""The use cases, over in-memory fakes of the ports and a fake clock."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from veil.domain.content import CAPTION_LIMIT
from veil.domain.model import Direction, Role, TicketStatus
from veil.domain.permissions import Act, Refusal
from veil.i18n import default_catalog
from veil.services import client, desk, guard
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import (
    CloseTopic,
    CopyContent,
    EditContent,
    OpenTopic,
    PostCard,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.guard import InTopic
from veil.services.people import set_role
from veil.services.presses import OpenSupport

DESK = -1001
ALICE = Sender(111, "en")
BOB = Sender(222, "en")  # an agent
EVE = Sender(333, "en")  # a desk member who is no agent
MENTION = {"type": "text_mention", "offset": 0, "length": 2, "user": {"id": 111}}


@pytest.fixture
def ctx(clock: FakeClock) -> Context:
    counter = itertools.count()
    return Context(clock, default_catalog(), lambda: f"R{next(counter):05d}", DESK)


@pytest.fixture
async def store(ctx: Context) -> FakeStore:
    store = FakeStore()
    async with store() as uow:
        await set_role(uow, ctx, BOB.telegram_id, Role.SUPPORT_AGENT)
    return store


async def _open(store: FakeStore, ctx: Context, topic: int = 9) -> int:
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, ALICE)
        ticket.desk_topic_id = topic  # as the sender does once the topic exists
        await uow.commit()
    assert ticket.id is not None
    return ticket.id


def _client_msg(
    message_id: int, kind: str = "text", text: str | None = "hi", **extra: object
) -> Incoming:
    return Incoming(ALICE.telegram_id, message_id, ALICE, kind, text, **extra)  # type: ignore[arg-type]


def _desk_msg(
    sender: Sender, message_id: int, text: str, topic: int | None = 9, kind: str = "text"
) -> Incoming:
    return Incoming(DESK, message_id, sender, kind, text, thread_id=topic)


async def test_opening_a_ticket_asks_for_a_topic_then_a_card(
    store: FakeStore, ctx: Context
) -> None:
    ticket_id = await _open(store, ctx)
    sent = store.sent()
    assert sent[:2] == [OpenTopic(ticket_id), PostCard(ticket_id)]
    assert isinstance(sent[2], SendText) and "SUPP-" in sent[2].text
    async with store() as uow:  # a second press continues the same ticket
        again = await client.open_ticket(uow, ctx, ALICE)
        await uow.commit()
    assert again.id == ticket_id
    assert "already talking" in store.sent()[-1].text  # type: ignore[union-attr]


async def test_a_message_without_a_ticket_gets_the_way_in(store: FakeStore, ctx: Context) -> None:
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(1))
        await uow.commit()
    (told,) = store.sent()
    assert isinstance(told, SendText) and told.buttons[0][0].press == OpenSupport()


async def test_client_messages_are_stored_then_sent_to_the_topic(
    store: FakeStore, ctx: Context
) -> None:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(1, entities=(MENTION,)))
        await client.relay_from_client(uow, ctx, _client_msg(2, "photo", "look"))
        await uow.commit()
    text, photo = store.sent()[-2:]
    assert isinstance(text, SendText) and text.to == TicketTopic(ticket_id)
    assert text.entities == ()  # the mention named the client
    alice = next(u for u in store.memory.users.values() if u.telegram_id == ALICE.telegram_id)
    # Copied from the client's own chat (never forwarded), and only from there.
    assert isinstance(photo, CopyContent) and photo.source == UserChat(alice.id or 0)
    assert (photo.caption, photo.has_caption) == ("look", True)
    stored = list(store.memory.messages.values())
    assert [(m.seq, m.client_message_id) for m in stored] == [(1, 1), (2, 2)]


async def test_contacts_are_withheld_and_polls_refused(store: FakeStore, ctx: Context) -> None:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(1, "contact", None))
        await client.relay_from_client(uow, ctx, _client_msg(2, "poll", None))
        await uow.commit()
    to_desk = [d for d in store.sent() if getattr(d, "to", None) == TicketTopic(ticket_id)]
    assert len(to_desk) == 1 and "contact card" in to_desk[0].text  # type: ignore[union-attr]
    assert not any(isinstance(d, CopyContent) for d in store.sent())
    texts = [d.text for d in store.sent() if isinstance(d, SendText)]
    assert any("not passed on" in t for t in texts) and any("poll" in t for t in texts)


async def test_edits_follow_cleaned_and_within_limits(store: FakeStore, ctx: Context) -> None:
    await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, _client_msg(1, "photo", "short"))
        await uow.commit()
    long = "x" * (CAPTION_LIMIT + 500)
    async with store() as uow:
        await client.edit_from_client(uow, ctx, _client_msg(1, "photo", long, entities=(MENTION,)))
        await uow.commit()
    edit = store.sent()[-1]
    assert isinstance(edit, EditContent) and edit.is_caption
    assert len(edit.text) == CAPTION_LIMIT and edit.entities == ()
    record = next(iter(store.memory.messages.values()))
    assert record.text == long  # the whole text stays in the ticket's history


async def test_only_agents_answer_and_only_in_ticket_topics(store: FakeStore, ctx: Context) -> None:
    await _open(store, ctx)
    opened = len(store.sent())
    refusals = []
    async with store() as uow:
        for msg in (
            _desk_msg(EVE, 50, "I am not staff"),
            _desk_msg(BOB, 51, "lunch?", topic=None),
            _desk_msg(BOB, 52, "hello Alice"),
        ):
            where = InTopic(msg.chat_id, msg.thread_id)
            refused = await guard.admit(uow, ctx, msg.sender, Act.ANSWER, where)
            refusals.append(refused.why if refused is not None else None)
            if refused is None:
                await desk.relay_from_agent(uow, ctx, msg)
        await uow.commit()
    assert refusals == [Refusal.NOT_AN_AGENT, None, None]
    sent = store.sent()[opened:]
    assert [type(d) for d in sent] == [SendText]  # lunch talk: nothing at all
    assert isinstance(sent[0], SendText) and sent[0].text == "hello Alice"
    assert isinstance(sent[0].to, UserChat)


async def test_notes_stay_internal_and_closing_tells_both_sides(
    store: FakeStore, ctx: Context, clock: FakeClock
) -> None:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        await desk.add_note(uow, ctx, _desk_msg(BOB, 60, "/note vip"))
        await uow.commit()
    assert not any(
        isinstance(getattr(d, "to", None), UserChat) and "vip" in str(d) for d in store.sent()
    )
    assert [m.direction for m in store.memory.messages.values()] == [Direction.NOTE]
    clock.advance(minutes=10)
    async with store() as uow:
        await desk.close_from_topic(uow, ctx, _desk_msg(BOB, 61, "/close"))
        await uow.commit()
    ticket = store.memory.tickets[ticket_id]
    assert ticket.status is TicketStatus.CLOSED and ticket.closed_at == clock()
    assert CloseTopic(ticket_id) in store.sent()
    assert any(
        isinstance(d, SendText)
        and isinstance(d.to, UserChat)
        and "closed this conversation" in d.text
        for d in store.sent()
    )
    async with store() as uow:  # an agent writing on in the closed topic is stopped
        await desk.relay_from_agent(uow, ctx, _desk_msg(BOB, 62, "one more thing"))
        await uow.commit()
    last = store.sent()[-1]
    assert isinstance(last, SendText) and "is closed" in last.text


async def test_a_stale_end_button_leaves_the_current_chat_alone(
    store: FakeStore, ctx: Context
) -> None:
    first = await _open(store, ctx)
    async with store() as uow:
        await client.end_chat(uow, ctx, ALICE)
        await uow.commit()
    second = await _open(store, ctx, topic=10)
    stale = store.memory.tickets[first].public_id
    async with store() as uow:
        notice = await client.end_chat(uow, ctx, ALICE, stale)
        await uow.commit()
    assert notice is not None and "already ended" in notice
    assert not store.memory.tickets[second].is_closed


async def test_closing_a_ticket_from_the_private_chat_locks_routing_before_reading(
    store: FakeStore, ctx: Context
) -> None:
    from veil.services import private

    ticket_id = await _open(store, ctx)
    async with store() as uow:
        bob = await uow.users.by_telegram_id(BOB.telegram_id)
        assert bob is not None and bob.id is not None
        ticket = await uow.tickets.get(ticket_id)
        ticket.assigned_agent_id = bob.id
        ticket.work_privately(bob.id)
    async with store() as uow:
        close = Incoming(BOB.telegram_id, 50, BOB, "text", "/close")
        await private.desk_command_in_private(uow, ctx, close)  # no RoutingLockTooLate
        await uow.commit()
    assert store.memory.tickets[ticket_id].status is TicketStatus.CLOSED


async def _worked_privately_by_bob(store: FakeStore, ctx: Context, *, owned: bool = True) -> int:
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        bob = await uow.users.by_telegram_id(BOB.telegram_id)
        assert bob is not None and bob.id is not None
        ticket = await uow.tickets.get(ticket_id)
        if owned:
            ticket.assigned_agent_id = bob.id
        ticket.work_privately(bob.id)
    return ticket_id


@pytest.mark.parametrize("typed", ["/CLOSE", " /close", "\u200b/close", "/close!"])
async def test_close_typed_any_way_in_the_private_chat_closes(
    store: FakeStore, ctx: Context, typed: str
) -> None:
    from veil.services import private

    ticket_id = await _worked_privately_by_bob(store, ctx)
    async with store() as uow:
        # As the router hands over what no command filter took: a plain private message.
        await private.relay_private(uow, ctx, Incoming(BOB.telegram_id, 51, BOB, "text", typed))
        await uow.commit()
    assert store.memory.tickets[ticket_id].status is TicketStatus.CLOSED
    assert not [d for d in store.sent() if isinstance(d, SendText) and typed in d.text]


async def test_a_ticket_taken_away_tells_whoever_worked_it_in_private(
    store: FakeStore, ctx: Context
) -> None:
    from veil.services import routing

    ticket_id = await _worked_privately_by_bob(store, ctx)
    async with store() as uow:
        await uow.agents.lock_routing()
        ticket = await uow.tickets.get(ticket_id)
        await routing.release(uow, ctx, ticket, "transfer")
        await uow.commit()
    bob = next(u for u in store.memory.users.values() if u.telegram_id == BOB.telegram_id)
    told = [d for d in store.sent() if isinstance(d, SendText) and d.to == UserChat(bob.id or 0)]
    assert told and "no longer yours" in told[-1].text
    assert store.memory.tickets[ticket_id].private_agent_id is None


@pytest.mark.parametrize("how", ["offline", "not in the desk"])
async def test_an_agent_who_goes_offline_gets_no_more_private_delivery(
    store: FakeStore, ctx: Context, how: str
) -> None:
    from veil.domain.agents import AgentStatus
    from veil.services import agents, outbound

    ticket_id = await _worked_privately_by_bob(store, ctx, owned=False)
    async with store() as uow:
        if how == "offline":
            await agents.set_status(uow, ctx, BOB, AgentStatus.OFFLINE)
        else:  # /online found them outside the desk group
            bob = await uow.users.by_telegram_id(BOB.telegram_id)
            assert bob is not None and bob.id is not None
            await uow.agents.lock_routing()
            await agents.ensure_agent(uow, ctx, bob)
            await agents.not_in_desk(uow, ctx, bob.id)
        await uow.commit()
    async with store() as uow:
        target = await outbound.resolve(uow, ctx, TicketTopic(ticket_id))
    assert target.chat_id == DESK  # its topic again, not Bob's chat


def test_an_edit_cannot_make_a_clients_words_a_notice() -> None:
    from veil.domain.model import SupportMessage
    from veil.services.relay import edit

    record = SupportMessage(1, 1, Direction.FROM_CLIENT, "text", FakeClock()(), id=9)
    quoted = _client_msg(1, entities=({"type": "blockquote", "offset": 0, "length": 2},))
    assert edit(TicketTopic(1), record, quoted).entities == ()
