"""Every privileged command and button, tried by every lower role, through the real
dispatcher and middleware on both databases: each is refused before it has any effect,
the person is told where they asked, and the refusal is in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import Message

from tests.conftest import TEST_KEY, FakeClock
from tests.integration.test_dispatch import _message, feed, update
from veil.bootstrap import Veil, build
from veil.config import Settings
from veil.domain.model import Priority, Role
from veil.domain.permissions import Act
from veil.services.deliveries import AnswerCallback, RawChat, SendText, UserChat
from veil.services.people import set_role
from veil.services.presses import (
    CloseTicket,
    CommentRating,
    ConfirmForget,
    EndChat,
    Press,
    RateTicket,
    SendCanned,
    ShowTranscript,
    TakeTicket,
)
from veil.store.audit import export
from veil.telegram.guard import GuardMiddleware, act
from veil.telegram.middlewares import UnitOfWorkMiddleware

DESK = -1001000000001
TOPIC = 55
ADMIN, OWNER, PEER, CLIENT, STRANGER = 1, 2, 3, 7, 8

ADMIN_COMMANDS = [
    ("/invite_agent L1", "/invite_agent"),
    ("/agents", "/agents"),
    ("/agent_level Agent-2 L2", "/agent_level"),
    ("/agent_capacity Agent-2 9", "/agent_capacity"),
    ("/remove_agent Agent-2", "/remove_agent"),
    ("/ban {ticket} 1h", "/ban"),
    ("/unban {ticket}", "/unban"),
    ("/allow {ticket} messages 9", "/allow"),
    ("/canned_set hi Hello", "/canned_set"),
    ("/canned_delete hi", "/canned_delete"),
    ("/canned_list", "/canned_list"),
    ("/report week", "/report"),
]
AGENT_COMMANDS = [
    ("/online", "/online"),
    ("/away", "/away"),
    ("/offline", "/offline"),
    ("/mine", "/mine"),
    ("/queue", "/queue"),
    ("/stats", "/stats"),
    ("/back", "/back"),
]
# What may be done in a ticket's topic only by whoever works the ticket.
WORKER_COMMANDS = [
    ("/close", "/close"),
    ("/transfer queue", "/transfer"),
    ("/escalate too hard", "/escalate"),
    ("/priority urgent", "/priority"),
    ("/canned", "/canned"),
    ("/private", "/private"),
    ("/cancel_booking", "/cancel_booking"),
    ("/reschedule", "/reschedule"),
    ("I will answer instead", "an answer"),
]


@pytest.fixture
async def veil(database_url: str, clock: FakeClock) -> AsyncIterator[Veil]:
    settings = Settings(
        bot_token="1:TEST",  # type: ignore[arg-type]
        telegram_api_url="http://127.0.0.1:9",  # never called: nothing is sent here
        encryption_keys=TEST_KEY,  # type: ignore[arg-type]
        desk_chat_id=DESK,
        admin_ids=str(ADMIN),  # type: ignore[arg-type]
        database_url=database_url,
        desk_actions_per_minute=1000,  # this is not the throttle's test
    )
    app = build(settings, clock=clock)
    await app.prepare()
    async with app.store() as uow:
        for agent in (OWNER, PEER):
            await set_role(uow, app.ctx, agent, Role.SUPPORT_AGENT)
        await uow.commit()
    yield app
    await app.close()


async def _ticket(veil: Veil) -> str:
    """The client's ticket, in topic TOPIC, owned by OWNER (the only agent online)."""
    await feed(veil, update(message=_message(OWNER, "/online")))
    await feed(veil, update(message=_message(CLIENT, "/support")))
    async with veil.store() as uow:
        user = await uow.users.by_telegram_id(CLIENT)
        ticket = await uow.tickets.open_for_client(user.id if user else 0)
        owner = await uow.users.by_telegram_id(OWNER)
        assert ticket is not None and owner is not None
        assert ticket.assigned_agent_id == owner.id
        ticket.desk_topic_id = TOPIC
        await uow.commit()
        return ticket.public_id


def _in_topic(sender: int, text: str) -> dict[str, Any]:
    body = _message(sender, text, chat_id=DESK)
    body.update(message_thread_id=TOPIC, is_topic_message=True)
    return body


def _press(veil: Veil, sender: int, press: Press | str, chat: int, **where: Any) -> Any:
    thread = where.get("message_thread_id")
    data = press if isinstance(press, str) else veil.presses.pack(press, chat, thread)
    message = _message(sender, "card", chat_id=chat if chat < 0 else None)
    message.update(where)
    return update(
        callback_query={
            "id": f"q{sender}-{data}",
            "chat_instance": "c",
            "data": data,
            "from": {"id": sender, "is_bot": False, "first_name": "X"},
            "message": message,
        }
    )


async def _sent(veil: Veil) -> list[Any]:
    """Every delivery waiting in the outbox (each lane's, not only its head), in order."""
    async with veil.store() as uow:
        pending = []
        for head in await uow.outbox.heads(veil.ctx.clock(), 1000):
            pending += [head, *await uow.outbox.following(head, 1000)]
    return [p.delivery for p in sorted(pending, key=lambda p: p.id)]


async def _refusals(veil: Veil) -> list[tuple[str, str]]:
    entries = [e async for e in export(veil.store.engine) if e["action"] == "refused"]
    return [(e["details"]["attempted"], e["details"]["reason"]) for e in entries]


async def _attempt(veil: Veil, upd: Any, label: str) -> list[Any]:
    """Feed one update that must be refused as ``label``; returns what it sent."""
    before_out, before_refused = len(await _sent(veil)), len(await _refusals(veil))
    await feed(veil, upd)
    refused = (await _refusals(veil))[before_refused:]
    assert [attempted for attempted, _ in refused] == [label], (upd, refused)
    return (await _sent(veil))[before_out:]


async def _user_id(veil: Veil, telegram_id: int) -> int:
    async with veil.store() as uow:
        user = await uow.users.by_telegram_id(telegram_id)
        assert user is not None and user.id is not None
        return user.id


def _said(sent: list[Any], to: object, words: str) -> bool:
    return any(isinstance(d, SendText) and d.to == to and words in d.text for d in sent)


async def _nothing_changed(veil: Veil, ticket: str) -> None:
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        owner = await uow.users.by_telegram_id(OWNER)
        assert found is not None and owner is not None and not found.is_closed
        assert found.assigned_agent_id == owner.id and found.private_agent_id is None
        assert found.priority is Priority.NORMAL and found.required_level.value == "L1"
        assert await uow.limits.ban_of(found.client_id) is None
        assert await uow.canned.all() == []
    agents = await _user_id(veil, OWNER)
    async with veil.store() as uow:
        agent = await uow.agents.get(agents)
        assert agent is not None and agent.level.value == "L1" and agent.capacity == 5


async def test_admin_commands_are_refused_to_clients_and_agents(veil: Veil) -> None:
    ticket = await _ticket(veil)
    for person in (CLIENT, OWNER):
        chat = UserChat(await _user_id(veil, person))
        for command, label in ADMIN_COMMANDS:
            words = command.format(ticket=ticket)
            sent = await _attempt(veil, update(message=_message(person, words)), label)
            assert _said(sent, chat, "Only admins"), (person, words, sent)
    await _nothing_changed(veil, ticket)


async def test_agent_commands_are_refused_to_clients(veil: Veil) -> None:
    ticket = await _ticket(veil)
    chat = UserChat(await _user_id(veil, CLIENT))
    for command, label in AGENT_COMMANDS:
        sent = await _attempt(veil, update(message=_message(CLIENT, command)), label)
        assert _said(sent, chat, "Only support agents"), (command, sent)
    await _nothing_changed(veil, ticket)


async def test_desk_commands_are_refused_to_non_agents_and_to_agents_not_working_it(
    veil: Veil,
) -> None:
    ticket = await _ticket(veil)
    topic = RawChat(DESK, TOPIC)
    for command, label in [*WORKER_COMMANDS, ("/take", "/take"), ("/note hm", "/note")]:
        sent = await _attempt(veil, update(message=_in_topic(STRANGER, command)), label)
        assert _said(sent, topic, "Only support agents"), (command, sent)
    for command, label in WORKER_COMMANDS:
        sent = await _attempt(veil, update(message=_in_topic(PEER, command)), label)
        assert _said(sent, topic, "belongs to Agent-"), (command, sent)
    for person in (STRANGER, PEER):
        upd = update(message=_in_topic(person, "/remove_member"))
        sent = await _attempt(veil, upd, "/remove_member")
        assert _said(sent, topic, "Only admins")
    await _nothing_changed(veil, ticket)
    # The owner and an admin may: the same command goes through for them.
    await feed(veil, update(message=_in_topic(ADMIN, "/priority urgent")))
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        assert found is not None and found.priority is Priority.URGENT


async def test_buttons_are_refused_to_whoever_may_not_press_them(veil: Veil) -> None:
    ticket = await _ticket(veil)
    here = {"message_thread_id": TOPIC, "is_topic_message": True}
    cases: list[tuple[int, Press, int, str, str]] = [
        (STRANGER, TakeTicket(ticket), DESK, "/take", "Only support agents"),
        (STRANGER, CloseTicket(ticket), DESK, "/close", "Only support agents"),
        (PEER, CloseTicket(ticket), DESK, "/close", "belongs to"),
        (PEER, SendCanned(1), DESK, "a canned answer", "belongs to"),
        # Presses that are a client's own, made for someone else's chat (as if signed
        # there): refused in the words of a ticket that does not exist.
        (STRANGER, ShowTranscript(ticket), STRANGER, "a transcript", "can't be found"),
        (STRANGER, EndChat(ticket), STRANGER, "/end", "can't be found"),
        (STRANGER, RateTicket(ticket, 5), STRANGER, "a rating", "can't be found"),
        (STRANGER, CommentRating(ticket), STRANGER, "a rating comment", "can't be found"),
        # Staff may not erase themselves as clients may.
        (OWNER, ConfirmForget(), OWNER, "/forget_me", "cannot erase themselves"),
    ]
    for person, press, chat, label, words in cases:
        upd = _press(veil, person, press, chat, **(here if chat == DESK else {}))
        sent = await _attempt(veil, upd, label)
        answers = [d for d in sent if isinstance(d, AnswerCallback)]
        assert len(answers) == 1 and words in (answers[0].text or ""), (press, sent)
    await _nothing_changed(veil, ticket)


async def test_forged_misplaced_and_expired_presses_are_refused_and_audited(
    veil: Veil, clock: FakeClock
) -> None:
    ticket = await _ticket(veil)
    here = {"message_thread_id": TOPIC, "is_topic_message": True}
    close = veil.presses.pack(CloseTicket(ticket), DESK, TOPIC)
    other_ticket = ticket[:-1] + ("Z" if ticket[-1] != "Z" else "Y")
    forged = [
        (_press(veil, OWNER, "desk:close:" + ticket, DESK, **here), "not Veil's"),  # old format
        (_press(veil, OWNER, close[:-1] + _other(close[-1]), DESK, **here), "forged"),  # tag
        (_press(veil, OWNER, close, OWNER), "forged"),  # the desk's button, in a private chat
        (_press(veil, OWNER, close.replace(ticket, other_ticket), DESK, **here), "forged"),
    ]
    for upd, reason in forged:
        sent = await _attempt(veil, upd, "a button")
        assert [type(d) for d in sent] == [AnswerCallback]
        assert "no longer valid" in (sent[0].text or "")
        assert (await _refusals(veil))[-1][1].startswith(reason)
    clock.advance(days=31)  # older than VEIL_BUTTON_LIFETIME_SECONDS (30 days)
    sent = await _attempt(veil, _press(veil, OWNER, close, DESK, **here), "a button")
    assert "expired" in (sent[0].text or "") and (await _refusals(veil))[-1][1] == "expired"
    await _nothing_changed(veil, ticket)
    # Signed afresh (the card is redrawn at every change), the owner's press works.
    await feed(veil, _press(veil, OWNER, CloseTicket(ticket), DESK, **here))
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        assert found is not None and found.is_closed


async def test_a_replayed_press_acts_once(veil: Veil) -> None:
    ticket = await _ticket(veil)
    end = _press(veil, CLIENT, EndChat(ticket), CLIENT)
    await feed(veil, end)
    pressed = end.callback_query.model_dump(mode="json", by_alias=True, exclude_none=True)
    again = update(callback_query={**pressed, "id": "replayed"})
    await feed(veil, again)
    answers = {d.query_id: d.text for d in await _sent(veil) if isinstance(d, AnswerCallback)}
    assert "already ended" in (answers["replayed"] or "")
    entries = [e async for e in export(veil.store.engine) if e["action"] == "ticket.closed"]
    assert len(entries) == 1


async def test_a_handler_that_declares_no_act_is_refused_for_everyone(veil: Veil) -> None:
    """The guard fails closed: a new command that forgot its rule runs for nobody."""
    ran: list[str] = []
    router = Router(name="new-surface")
    router.message.middleware(UnitOfWorkMiddleware(veil.store, lambda: veil.ctx))
    router.message.middleware(GuardMiddleware())

    async def declared(message: Message) -> None:
        ran.append(message.text or "")

    async def forgot(message: Message) -> None:
        ran.append(message.text or "")

    router.message.register(declared, Command("declared"), flags=act(Act.HELP))
    router.message.register(forgot)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    for text in ("/declared", "forgot"):
        await dispatcher.feed_update(veil.bot, update(message=_message(ADMIN, text)))
    assert ran == ["/declared"]


def _other(character: str) -> str:
    return "A" if character != "A" else "B"


async def test_an_agent_working_a_ticket_privately_may_still_end_their_own_chats(
    veil: Veil,
) -> None:
    """/end in one's own chat is about one's own conversation, never the worked ticket."""
    ticket = await _ticket(veil)
    await feed(veil, update(message=_in_topic(OWNER, "/private")))
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        assert found is not None and found.private_agent_id is not None
    before = len(await _refusals(veil))
    await feed(veil, update(message=_message(OWNER, "/end")))
    assert (await _refusals(veil))[before:] == []
    chat = UserChat(await _user_id(veil, OWNER))
    assert _said(await _sent(veil), chat, "no open conversation")
    await _nothing_changed_but_private(veil, ticket)


async def _nothing_changed_but_private(veil: Veil, ticket: str) -> None:
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        assert found is not None and not found.is_closed and found.private_agent_id is not None


async def test_a_canned_menu_from_another_topic_is_refused(veil: Veil) -> None:
    """The menu's button, signed for one ticket's topic, pressed under another's."""
    ticket = await _ticket(veil)
    menu = veil.presses.pack(SendCanned(1), DESK, TOPIC + 1)
    here = {"message_thread_id": TOPIC, "is_topic_message": True}
    sent = await _attempt(veil, _press(veil, OWNER, menu, DESK, **here), "a button")
    assert "no longer valid" in (sent[0].text or "")
    await _nothing_changed(veil, ticket)


def _edit(sender: int, message_id: int, text: str) -> Any:
    body = _in_topic(sender, text)
    body.update(message_id=message_id, edit_date=1_795_000_100)
    return update(edited_message=body)


async def test_edits_are_judged_as_what_they_edit(veil: Veil) -> None:
    ticket = await _ticket(veil)
    note = _in_topic(PEER, "/note called the bank")
    await feed(veil, update(message=note))
    # Any agent may note, so any agent may fix their note; nobody is refused.
    before = len(await _refusals(veil))
    await feed(veil, _edit(PEER, note["message_id"], "/note called the bank twice"))
    assert (await _refusals(veil))[before:] == []
    async with veil.store() as uow:
        found = await uow.tickets.by_public_id(ticket)
        assert found is not None and found.id is not None
        kept = [m.text for m in await uow.messages.for_ticket(found.id, include_internal=True)]
    assert "called the bank twice" in kept
    # An edit of what Veil keeps nothing of (the refused "brb"): ignored in silence.
    chatter = _in_topic(STRANGER, "brb")
    await feed(veil, update(message=chatter))
    refused, sent = len(await _refusals(veil)), len(await _sent(veil))
    await feed(veil, _edit(STRANGER, chatter["message_id"], "back"))
    assert len(await _refusals(veil)) == refused and len(await _sent(veil)) == sent
