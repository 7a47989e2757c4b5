"""Getting updates: long polling, offsets, allowed_updates, webhooks, a real Dispatcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiohttp import web

from veil.faketg import FakeTelegram


async def test_long_poll_returns_update_posted_during_wait(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    tg.send_text(alice, alice, "/start")
    updates = await poll
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "/start"
    assert message.entities is not None and message.entities[0].type == "bot_command"
    assert message.from_user is not None and message.from_user.id == alice


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3


async def test_offset_confirms(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.send_text(alice, alice, "one")
    tg.send_text(alice, alice, "two")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert first[1].update_id == first[0].update_id + 1
    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert await bot.get_updates(offset=first[0].update_id + 1, timeout=0) == first[1:]
    assert await bot.get_updates(offset=first[1].update_id + 1, timeout=0) == []
    assert tg.pending_updates(bot.token) == []


async def test_limit(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    for n in range(5):
        tg.send_text(alice, alice, f"m{n}")
    assert len(await bot.get_updates(limit=2, timeout=0)) == 2


async def test_allowed_updates_filters_and_is_remembered(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="ok")]]
    )
    sent = await bot.send_message(alice, "press", reply_markup=keyboard)
    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    tg.send_text(alice, alice, "ignored")
    tg.press_button(alice, alice, sent.message_id, "ok")
    updates = await bot.get_updates(timeout=0)  # no allowed_updates: the last list holds
    assert [u.callback_query is not None for u in updates] == [True]


async def test_edited_message_update(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    original = tg.send_text(alice, alice, "helo")
    tg.edit_text(alice, alice, original["message_id"], "hello")
    updates = await bot.get_updates(timeout=0)
    edited = updates[-1].edited_message
    assert edited is not None and edited.text == "hello" and edited.edit_date is not None


async def test_webhook_blocks_get_updates(bot: Bot) -> None:
    assert await bot.set_webhook("https://example.invalid/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook"
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, object], str | None]]]]:
    received: list[tuple[dict[str, object], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        # Answering with a method is how a webhook can reply without an extra request.
        update = received[-1][0]
        message = update.get("message")
        assert isinstance(message, dict)
        return web.json_response(
            {"method": "sendMessage", "chat_id": message["chat"]["id"], "text": "got it"}
        )

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_webhook_delivery(
    bot: Bot,
    tg: FakeTelegram,
    alice: int,
    receiver: tuple[str, list[tuple[dict[str, object], str | None]]],
) -> None:
    url, received = receiver
    await bot.set_webhook(url, secret_token="s3cret")
    tg.send_text(alice, alice, "via webhook")
    await tg.wait_for(lambda: len(tg.bot_messages(alice)) == 1, timeout=5)
    update, secret = received[0]
    assert secret == "s3cret"
    assert update["message"]["text"] == "via webhook"  # type: ignore[index]
    assert tg.bot_messages(alice)[0]["text"] == "got it"
    assert tg.pending_updates(bot.token) == []


async def test_second_poller_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_dispatcher_answers_start(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Welcome! Press Live Support.")

    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        tg.send_text(alice, alice, "/start")
        await tg.wait_for(lambda: bool(tg.bot_messages(alice)), timeout=5)
        assert tg.bot_messages(alice)[0]["text"] == "Welcome! Press Live Support."
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)


async def test_a_stall_wait_lasts_while_the_bot_makes_progress(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    async def slow_but_busy() -> None:
        for n in range(12):  # 1.2 s of work, each step well inside the 1 s stall
            await bot.send_message(alice, f"step {n}")
            await asyncio.sleep(0.1)

    work = asyncio.create_task(slow_but_busy())
    await tg.wait_for(lambda: len(tg.bot_messages(alice)) == 12, timeout=30, stall=1.0)
    await work


async def test_a_stall_wait_counts_from_its_start_after_a_quiet_spell(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    # Nothing asked of the bot for a long time (long polls coming back empty) ...
    tg._started_at -= 3600
    await bot.get_updates(timeout=0)
    # ... and then a request it answers at once: the wait must give it the chance.
    answering = asyncio.create_task(bot.send_message(alice, "at once"))
    await tg.wait_for(lambda: bool(tg.bot_messages(alice)), timeout=30, stall=0.5)
    await answering


async def test_a_stall_wait_fails_once_nothing_moves(bot: Bot, tg: FakeTelegram) -> None:
    await bot.get_updates(timeout=0)  # an empty poll is no progress
    with pytest.raises(TimeoutError, match=r"no progress for 0\.5s"):
        await tg.wait_for(lambda: False, timeout=30, stall=0.5)
