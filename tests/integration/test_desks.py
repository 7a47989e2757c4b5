"""Several desk groups are one concept: every check asks the same ``Desks``, and a group
that Telegram moved is recognised by every process, not only the one that saw the move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import TEST_KEY, FakeClock
from tests.integration.test_dispatch import _message, feed, outbox, update
from veil.bootstrap import Veil, build
from veil.config import Settings
from veil.domain.model import Role
from veil.services import outbound
from veil.services.deliveries import AnswerCallback, RawChat, SendText
from veil.services.people import set_role
from veil.services.presses import TakeTicket

FIRST, SECOND, MOVED = -1001000000001, -1001000000002, -1001000000099
AGENT = 4242


def _settings(database_url: str) -> Settings:
    return Settings(
        bot_token="1:TEST",  # type: ignore[arg-type]
        telegram_api_url="http://127.0.0.1:9",  # never called: nothing is sent here
        encryption_keys=TEST_KEY,  # type: ignore[arg-type]
        desk_chat_id=FIRST,
        desk_chat_ids=f"{FIRST},{SECOND}",
        database_url=database_url,
    )


@pytest.fixture
async def veil(database_url: str, clock: FakeClock) -> AsyncIterator[Veil]:
    app = build(_settings(database_url), clock=clock)
    await app.prepare()
    async with app.store() as uow:
        await set_role(uow, app.ctx, AGENT, Role.SUPPORT_AGENT)
        await uow.commit()
    yield app
    await app.close()


async def _ticket_in(veil: Veil, chat_id: int, client: int) -> tuple[str, int]:
    """A client's ticket that landed in ``chat_id``, with its topic as the sender sets it."""
    await feed(veil, update(message=_message(client, "/support")))
    async with veil.store() as uow:
        user = await uow.users.by_telegram_id(client)
        ticket = await uow.tickets.open_for_client(user.id if user else 0)
        assert ticket is not None and ticket.desk_chat_id == chat_id
        ticket.desk_topic_id = 77
        await uow.commit()
        return ticket.public_id, 77


def _press(data: str, chat_id: int) -> object:
    return update(
        callback_query={
            "id": f"q-{data}",
            "chat_instance": "c",
            "data": data,
            "from": {"id": AGENT, "is_bot": False, "first_name": "Bob"},
            "message": _message(AGENT, "card", chat_id=chat_id),
        }
    )


async def test_the_take_button_works_in_every_desk_group(veil: Veil) -> None:
    await _ticket_in(veil, FIRST, 7)
    public_id, _ = await _ticket_in(veil, SECOND, 8)  # the least busy group
    take = veil.presses.pack(TakeTicket(public_id), SECOND)  # as the card in SECOND has it
    await feed(veil, _press(take, SECOND))  # type: ignore[arg-type]
    answers = [d for d in await outbox(veil) if isinstance(d, AnswerCallback)]
    assert answers and answers[-1].text is None  # taken: nothing to explain
    async with veil.store() as uow:
        ticket = await uow.tickets.by_public_id(public_id)
        agent = await uow.users.by_telegram_id(AGENT)
    assert ticket is not None and agent is not None and ticket.assigned_agent_id == agent.id
    # A card's button copied into another group (a modified client) does nothing.
    public_id, _ = await _ticket_in(veil, FIRST, 9)
    take = veil.presses.pack(TakeTicket(public_id), FIRST)
    await feed(veil, _press(take, SECOND))  # type: ignore[arg-type]
    answers = [d for d in await outbox(veil) if isinstance(d, AnswerCallback)]
    assert answers[-1].text == "This button is no longer valid."
    async with veil.store() as uow:
        ticket = await uow.tickets.by_public_id(public_id)
    assert ticket is not None and ticket.assigned_agent_id is None


async def test_a_move_seen_by_another_process_is_followed_here(
    veil: Veil, database_url: str, clock: FakeClock
) -> None:
    _, topic = await _ticket_in(veil, FIRST, 7)
    other = build(_settings(database_url), clock=clock)  # a second process, started before
    await other.prepare()
    try:
        async with other.store() as uow:
            await outbound.desk_moved(uow, other.ctx, FIRST, MOVED)
            await uow.commit()
        # This process never saw the move; an agent writes in the moved group.
        note = _message(AGENT, "/note the client called", chat_id=MOVED)
        note.update(message_thread_id=topic, is_topic_message=True)
        await feed(veil, update(message=note))
        said = [d for d in await outbox(veil) if isinstance(d, SendText)]
        assert any(d.to == RawChat(MOVED, topic) and "note saved" in d.text for d in said), said
    finally:
        await other.close()
