"""The outbox sender against faketg, on both databases: order per chat, nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEYRING
from veil.domain.pacing import FloodLimits
from veil.faketg import FakeError, FakeTelegram
from veil.i18n import default_catalog
from veil.services.context import Context, Sender
from veil.services.deliveries import SendText, UserChat
from veil.services.people import ensure_user
from veil.store.uow import SqlStore
from veil.system import utcnow
from veil.telegram.flood import MemoryFloodGate
from veil.telegram.presses import PressCodec
from veil.telegram.sender import OutboxSender

TOKEN = "77:SENDER"
PEOPLE = 5
EACH = 30


async def test_every_chat_gets_its_messages_once_and_in_order(
    engine: AsyncEngine, telegram: tuple[FakeTelegram, Bot]
) -> None:
    tg, bot = telegram
    store = SqlStore(engine, utcnow)  # real time: the sender waits on real backoffs
    ctx = Context(utcnow, default_catalog(), lambda: "AAAAAA", -100)
    chats = [tg.add_user(f"P{n}") for n in range(PEOPLE)]
    async with store() as uow:
        users = [await ensure_user(uow, ctx, Sender(c)) for c in chats]
        await uow.commit()
    # Transient trouble on the way: a 429, a 5xx and a hang, each on one chat.
    tg.fail_next(FakeError.too_many_requests(1), chat_id=chats[0])
    tg.fail_next(FakeError.server_error(), chat_id=chats[1])
    tg.fail_next(FakeError.timeout(1), chat_id=chats[2])
    # Pacing is tested on its own; here the chats may take the messages as fast as they come.
    gate = MemoryFloodGate(FloodLimits(chat_per_second=1000, global_per_second=10_000))
    presses = PressCodec(TEST_KEYRING, utcnow, timedelta(days=1))
    sender = OutboxSender(
        bot, store, ctx, gate, presses=presses, poll_interval=0.05, concurrency=3, max_backoff=1
    )
    store.on_commit = sender.wake
    running = asyncio.create_task(sender.run())
    for n in range(EACH):  # written while the sender runs, interleaved across chats
        async with store() as uow:
            for user in users:
                uow.outbox.add(SendText(UserChat(user.id or 0), f"m{n}"))
            await uow.commit()
    try:
        await tg.wait_for(lambda: all(len(tg.bot_messages(c)) >= EACH for c in chats), timeout=60)
        await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    finally:
        sender.stop()
        await running
    for chat in chats:
        assert [m["text"] for m in tg.bot_messages(chat)] == [f"m{n}" for n in range(EACH)]
    async with store() as uow:
        assert await uow.outbox.backlog() == 0
