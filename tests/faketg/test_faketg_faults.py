"""Scripted faults, flood limits and the call log."""

from __future__ import annotations

import logging
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from veil.faketg import FakeError, FakeTelegram, RateLimits


async def test_queued_429(bot: Bot, tg: FakeTelegram, desk: int) -> None:
    tg.fail_next(FakeError.too_many_requests(7), method="sendMessage", chat_id=desk)
    await bot.get_me()  # other methods are not affected
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(desk, "burst")
    assert caught.value.retry_after == 7
    await bot.send_message(desk, "after the wait")
    failed = [c for c in tg.calls if not c.ok]
    assert failed[0].method == "sendMessage" and failed[0].error is not None
    assert failed[0].error["parameters"] == {"retry_after": 7}


async def test_server_errors_and_counts(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.fail_next(FakeError.server_error(502), count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(alice, "x")
    await bot.send_message(alice, "x")
    assert len(tg.bot_messages(alice)) == 1


async def test_scripted_client_errors(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.fail_next(FakeError.blocked(), method="sendmessage")
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(alice, "x")
    tg.fail_next(FakeError.thread_not_found())
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(alice, "x")
    tg.fail_next(FakeError.chat_not_found())
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(alice, "x")


async def test_timeout_fault(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.fail_next(FakeError.timeout(0.5, applied=True))
    started = time.monotonic()
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice, "maybe sent")
    assert time.monotonic() - started >= 0.5
    assert [m["text"] for m in tg.bot_messages(alice)] == ["maybe sent"]  # applied anyway
    tg.fail_next(FakeError.timeout(3))
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice, "lost", request_timeout=1)


async def test_group_flood_limit(bot: Bot, tg: FakeTelegram, desk: int, alice: int) -> None:
    tg.limits = RateLimits(group_per_minute=3)
    for n in range(3):
        await bot.send_message(desk, f"m{n}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(desk, "one too many")
    assert 50 <= caught.value.retry_after <= 60
    await bot.send_message(alice, "other chats are fine")


async def test_unknown_method_is_loud(
    tg: FakeTelegram, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{tg.url}/bot{bot.token}/sendTelepathy"
    with caplog.at_level(logging.ERROR, logger="veil.faketg"):
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"chat_id": 1}) as response,
        ):
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    assert tg.unknown_methods == ["sendTelepathy"]
    assert "sendTelepathy" in caplog.text
    assert tg.calls[-1].method == "sendTelepathy" and not tg.calls[-1].ok


async def test_bad_token_and_case_insensitive_methods(tg: FakeTelegram, bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{tg.url}/bot1:wrong/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        async with session.get(f"{tg.url}/bot{bot.token}/GETME") as response:
            assert (await response.json())["result"]["id"] == bot.id
        form = {"chat_id": "-1", "text": "x"}
        async with session.post(f"{tg.url}/bot{bot.token}/sendMessage", data=form) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: chat not found"
    assert tg.calls[-1].method == "sendMessage"
    assert tg.calls[-1].params == {"chat_id": -1, "text": "x"}
