"""Updates through the real dispatcher, routers and middleware, on real databases.

Handlers only write to the store and the outbox, so no Telegram is needed here: what
would be sent is read back from the outbox.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import select

from tests.conftest import TEST_KEY, FakeClock
from veil.bootstrap import Veil, build
from veil.config import Settings
from veil.services.deliveries import AnswerCallback, RawChat, SendText, UserChat
from veil.store.tables import support_processed_updates

DESK = -1001000000001
_ids = itertools.count(1000)


def _message(user_id: int, text: str, *, chat_id: int | None = None) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": "Alice"}
    if chat_id is not None:
        chat = {"id": chat_id, "type": "supergroup", "title": "Desk", "is_forum": True}
    body: dict[str, Any] = {
        "message_id": next(_ids),
        "date": 1_795_000_000,
        "chat": chat,
        "from": {"id": user_id, "is_bot": False, "first_name": "Alice", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return body


def update(**body: Any) -> Update:
    return Update.model_validate({"update_id": next(_ids), **body})


@pytest.fixture
async def veil(database_url: str, clock: FakeClock) -> AsyncIterator[Veil]:
    settings = Settings(
        bot_token="1:TEST",  # type: ignore[arg-type]
        telegram_api_url="http://127.0.0.1:9",  # never called: nothing is sent here
        encryption_keys=TEST_KEY,  # type: ignore[arg-type]
        desk_chat_id=DESK,
        database_url=database_url,
    )
    app = build(settings, clock=clock)
    await app.prepare()
    yield app
    await app.close()


async def outbox(veil: Veil) -> list[Any]:
    async with veil.store() as uow:
        return [p.delivery for p in await uow.outbox.heads(veil.ctx.clock(), 1000)]


async def feed(veil: Veil, upd: Update) -> None:
    await veil.dispatcher.feed_update(veil.bot, upd)


async def test_a_redelivered_update_is_handled_once(veil: Veil) -> None:
    start = update(message=_message(7, "/start"))
    await feed(veil, start)
    await feed(veil, start)  # Telegram delivers at least once
    menus = [d for d in await outbox(veil) if isinstance(d, SendText)]
    assert len(menus) == 1 and "Live Support" in menus[0].text


async def test_a_failing_update_is_kept_and_the_person_told(
    veil: Veil, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veil.services import client

    async def broken(*args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(client, "ensure_user", broken)  # the first thing /start does
    failing = update(message=_message(7, "/start"))
    await feed(veil, failing)  # must not raise: the bot stays up
    (told,) = await outbox(veil)
    assert isinstance(told, SendText) and "Something went wrong" in told.text
    async with veil.store.engine.connect() as conn:
        row = (await conn.execute(support_processed_updates.select())).one()
    assert row.update_id == failing.update_id and row.status == "failed"
    assert "database on fire" in row.error
    # Kept to find the update again, not who sent it or what it said.
    kept = json.loads(row.payload)
    assert kept["update_id"] == failing.update_id and kept["type"] == "message"
    for secret in ("Alice", "/start", "language", "first_name", "7"):
        assert secret not in row.payload.replace(str(failing.update_id), ""), secret


async def test_a_forged_canned_button_with_a_huge_number_is_refused(veil: Veil) -> None:
    for data in ("cn:99999999999999999999999", "cn:²", "cn:٣", "cn:-1", "cn:0"):
        press = update(
            callback_query={
                "id": f"q-{data}",
                "chat_instance": "c",
                "data": data,
                "from": {"id": 7, "is_bot": False, "first_name": "Alice"},
                "message": _message(7, "card", chat_id=DESK),
            }
        )
        await feed(veil, press)
    answers = [d for d in await outbox(veil) if isinstance(d, AnswerCallback)]
    assert len(answers) == 5 and all(a.text and "went wrong" not in a.text for a in answers)
    async with veil.store.engine.connect() as conn:
        failed = (await conn.execute(support_processed_updates.select())).all()
    assert all(row.status != "failed" for row in failed)


async def test_a_forged_button_gets_an_answer_and_changes_nothing(veil: Veil) -> None:
    await feed(veil, update(message=_message(7, "/support")))
    async with veil.store() as uow:
        user = await uow.users.by_telegram_id(7)
        ticket = await uow.tickets.open_for_client(user.id if user else 0)
        assert ticket is not None
    before = len(await outbox(veil))
    # The client forges the desk's Close button for their own ticket.
    press = update(
        callback_query={
            "id": "q1",
            "chat_instance": "c",
            "data": f"desk:close:{ticket.public_id}",
            "from": {"id": 7, "is_bot": False, "first_name": "Alice"},
            "message": _message(7, "menu"),
        }
    )
    await feed(veil, press)
    added = (await outbox(veil))[before:]
    assert len(added) == 1 and isinstance(added[0], AnswerCallback) and added[0].text
    async with veil.store() as uow:
        still = await uow.tickets.by_public_id(ticket.public_id)
    assert still is not None and not still.is_closed


async def test_messages_in_other_groups_are_ignored(veil: Veil) -> None:
    await feed(veil, update(message=_message(7, "hello", chat_id=-100999)))
    assert await outbox(veil) == []


async def test_many_clients_opening_at_once_get_distinct_tickets(veil: Veil) -> None:
    # Every random part is drawn three times in a row, so concurrent openings collide.
    draws = itertools.count()
    veil.ctx = replace(veil.ctx, new_suffix=lambda: f"X{next(draws) // 3:05d}")
    clients = range(9001, 9013)
    await asyncio.gather(*(feed(veil, update(message=_message(c, "/support"))) for c in clients))
    async with veil.store() as uow:
        tickets = [
            await uow.tickets.open_for_client(u.id or 0)
            for u in [await uow.users.by_telegram_id(c) for c in clients]
            if u is not None
        ]
    ids = [t.public_id for t in tickets if t is not None]
    assert len(ids) == len(clients) == len(set(ids))
    async with veil.store.engine.connect() as conn:
        failed = (
            await conn.execute(
                support_processed_updates.select().where(
                    support_processed_updates.c.status == "failed"
                )
            )
        ).all()
    assert failed == []


async def test_an_anonymous_admin_in_a_ticket_topic_is_told_to_show_themselves(
    veil: Veil,
) -> None:
    await feed(veil, update(message=_message(7, "/support")))
    async with veil.store() as uow:
        user = await uow.users.by_telegram_id(7)
        ticket = await uow.tickets.open_for_client(user.id if user else 0)
        assert ticket is not None
        ticket.desk_topic_id = 55
        await uow.commit()
    anonymous = _message(1087968824, "I'll handle it", chat_id=DESK)
    anonymous["from"]["is_bot"] = True  # Telegram's GroupAnonymousBot
    anonymous["sender_chat"] = {"id": DESK, "type": "supergroup", "title": "Desk"}
    anonymous.update(message_thread_id=55, is_topic_message=True)
    before = len(await outbox(veil))
    await feed(veil, update(message=anonymous))
    added = (await outbox(veil))[before:]
    assert [type(d) for d in added] == [SendText]
    assert "Remain anonymous" in added[0].text and added[0].to == RawChat(DESK, 55)
    async with veil.store() as uow:
        assert await uow.users.by_telegram_id(1087968824) is None


@pytest.fixture
async def strict(database_url: str, clock: FakeClock) -> AsyncIterator[Veil]:
    """Veil allowing three commands or button presses a minute per person."""
    settings = Settings(
        bot_token="1:TEST",  # type: ignore[arg-type]
        telegram_api_url="http://127.0.0.1:9",
        encryption_keys=TEST_KEY,  # type: ignore[arg-type]
        desk_chat_id=DESK,
        database_url=database_url,
        desk_actions_per_minute=3,
    )
    app = build(settings, clock=clock)
    await app.prepare()
    yield app
    await app.close()


def _press(n: int, user_id: int = 7) -> Update:
    return update(
        callback_query={
            "id": f"burst-{n}",
            "chat_instance": "c",
            "data": "cn:0",
            "from": {"id": user_id, "is_bot": False, "first_name": "Alice"},
            "message": _message(user_id, "card", chat_id=DESK),
        }
    )


async def test_a_burst_of_buttons_is_held_back_each_press_told_and_audited(
    strict: Veil, clock: FakeClock
) -> None:
    for n in range(5):
        await feed(strict, _press(n))
    await feed(strict, _press(9, user_id=8))  # someone else is counted apart
    answers = {
        d.query_id: d.text or "" for d in await outbox(strict) if isinstance(d, AnswerCallback)
    }
    held = {q for q, text in answers.items() if "Too many commands or buttons" in text}
    assert held == {"burst-3", "burst-4"}
    from veil.store.audit import export

    refusals = [e async for e in export(strict.store.engine) if e["action"] == "refused"]
    reasons = [e["details"]["reason"] for e in refusals]
    # Held back before being read; the ones let through are no press of Veil's either.
    assert [r for r in reasons if r.startswith("over")] == ["over 3 a minute"] * 2
    assert set(reasons) == {"over 3 a minute", "not Veil's"}
    clock.advance(minutes=1)  # the window slides past the first three
    await feed(strict, _press(10))
    answers = {
        d.query_id: d.text or "" for d in await outbox(strict) if isinstance(d, AnswerCallback)
    }
    assert "Too many" not in answers["burst-10"]


async def test_a_burst_of_commands_is_told_once(strict: Veil) -> None:
    for _ in range(6):
        await feed(strict, update(message=_message(7, "/tickets")))
    async with strict.store.engine.connect() as conn:
        from veil.services.deliveries import decode
        from veil.store.tables import support_outbox

        rows = (await conn.execute(select(support_outbox.c.lane, support_outbox.c.delivery))).all()
        said = [(lane, decode(d)) for lane, d in rows]
    held = [(lane, d) for lane, d in said if isinstance(d, SendText) and "Too many" in d.text]
    assert len(held) == 1
    # To the person's row, never by their Telegram id (7), which no lane may name.
    assert isinstance(held[0][1].to, UserChat) and all(lane != "chat:7" for lane, _ in said)
