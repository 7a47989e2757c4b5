"""Polling: chats side by side, each chat in order, a batch confirmed only when done."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message

from veil.faketg import FakeTelegram
from veil.telegram.middlewares import UpdateNotKept
from veil.telegram.polling import Poller

TOKEN = "79:POLLING"


async def _until(predicate: Callable[[], bool]) -> None:
    """For state of the test's own (faketg's wait_for wakes on faketg's changes only)."""
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


async def test_chats_go_side_by_side_in_order_and_a_batch_is_confirmed_when_done(
    telegram: tuple[FakeTelegram, Bot],
) -> None:
    tg, bot = telegram
    people = [tg.add_user(f"P{n}") for n in range(4)]
    seen: list[tuple[int, str]] = []
    running = 0
    most = 0
    release = asyncio.Event()

    router = Router()

    @router.message()
    async def slow(message: Message) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()  # held until the test has looked at Telegram's side
        await asyncio.sleep(0.01)
        seen.append((message.chat.id, message.text or ""))
        running -= 1

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    for n in range(5):
        for person in people:
            tg.send_text(person, person, f"m{n}")
    poller = Poller(bot, dispatcher, timeout=1, concurrency=8, allowed_updates=["message"])
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop))
    await _until(lambda: running == len(people))
    # Mid-batch: nothing is confirmed, a crash now would get every update again.
    assert len(tg.pending_updates(TOKEN)) == 5 * len(people)
    release.set()
    await _until(lambda: len(seen) == 5 * len(people))
    await tg.wait_for(lambda: not tg.pending_updates(TOKEN))  # confirmed by the next call
    stop.set()
    await polling
    assert most == len(people)  # one update per chat at a time, the chats side by side
    for person in people:
        assert [text for chat, text in seen if chat == person] == [f"m{n}" for n in range(5)]


async def test_a_batch_with_an_update_not_kept_is_asked_for_again(
    telegram: tuple[FakeTelegram, Bot],
) -> None:
    """The store down: an update neither handled nor recorded is not confirmed; the batch
    comes again, and the poller goes on once the store is back."""
    tg, bot = telegram
    person = tg.add_user("Pat")
    attempts: list[str] = []
    store_down = True

    router = Router()

    @router.message()
    async def flaky(message: Message) -> None:
        attempts.append(message.text or "")
        if store_down:
            raise UpdateNotKept("the database is down")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    tg.send_text(person, person, "kept at last")
    poller = Poller(bot, dispatcher, timeout=1, concurrency=8, allowed_updates=["message"])
    stop = asyncio.Event()
    polling = asyncio.create_task(poller.run(stop))
    await _until(lambda: len(attempts) >= 1)
    assert len(tg.pending_updates(TOKEN)) == 1  # not confirmed
    store_down = False
    await _until(lambda: len(attempts) >= 2)
    await tg.wait_for(lambda: not tg.pending_updates(TOKEN), timeout=30)
    stop.set()
    await polling
    assert attempts[-1] == "kept at last"
