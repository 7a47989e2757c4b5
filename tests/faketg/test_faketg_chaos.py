"""Faults injected at a rate (`tg.chaos`), their real effects, and what benchmarks read
back: the call log, counts and when each message was posted."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

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
from aiogram.types import BotCommand

from veil.faketg import Chaos, FakeError, FakeTelegram, RateLimits
from veil.faketg.chaos import CHAOS_METHODS, SPARED_METHODS
from veil.faketg.registry import METHODS


async def test_429_storm_has_realistic_retry_after(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.chaos = Chaos(too_many=1.0, retry_after_max=3, seed=1)
    for _ in range(5):
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(alice, "hi")
        assert 1 <= caught.value.retry_after <= 3
    last = tg.calls[-1]
    assert (last.status, last.fault, last.ok) == (429, "too_many", False)
    assert last.error is not None and last.error["parameters"]["retry_after"] in (1, 2, 3)
    assert tg.answered(429) == 5
    assert tg.chaos_counts["too_many"] == 5
    assert tg.bot_messages(alice) == []


async def test_server_error(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.chaos = Chaos(server_error=1.0, seed=2)
    with pytest.raises(TelegramServerError):
        await bot.send_message(alice, "hi")
    assert tg.calls[-1].status in (500, 502, 503)
    assert tg.calls[-1].fault == "server_error"
    assert tg.chaos_counts["server_error"] == 1


async def test_slow_answer_arrives_late_but_ok(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.chaos = Chaos(slow=1.0, slow_seconds=0.2, seed=3)
    started = time.monotonic()
    sent = await bot.send_message(alice, "eventually")
    assert time.monotonic() - started >= 0.2
    assert tg.message(alice, sent.message_id)["text"] == "eventually"
    assert (tg.calls[-1].ok, tg.calls[-1].status, tg.calls[-1].fault) == (True, 200, "slow")


@pytest.mark.parametrize("applied", [True, False])
async def test_dropped_connection(bot: Bot, tg: FakeTelegram, alice: int, applied: bool) -> None:
    tg.chaos = Chaos(dropped=1.0, dropped_applied=1.0 if applied else 0.0, seed=4)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice, "did it arrive?")
    texts = [m["text"] for m in tg.bot_messages(alice)]
    assert texts == (["did it arrive?"] if applied else [])
    dropped = tg.calls[-1]
    assert (dropped.ok, dropped.status, dropped.error, dropped.fault) == (
        False,
        None,
        None,
        "dropped",
    )
    assert (dropped.result is not None) == applied  # what it did, unseen by the bot
    assert dropped.outcome == "dropped"
    tg.chaos = None
    await bot.send_message(alice, "after")  # the client recovers with a new connection


async def test_scripted_drop(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.fail_next(FakeError.connection_dropped(applied=True), method="sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice, "twice?")
    assert tg.calls[-1].fault == "scripted" and tg.calls[-1].status is None
    assert [m["text"] for m in tg.bot_messages(alice)] == ["twice?"]


async def test_thread_gone_really_deletes_the_topic(
    bot: Bot, tg: FakeTelegram, desk: int, alice: int
) -> None:
    topic = await bot.create_forum_topic(desk, "User-SUPP-1")
    thread = topic.message_thread_id
    tg.chaos = Chaos(thread_gone=1.0, seed=5)
    await bot.send_message(desk, "general is no topic")  # does not apply
    await bot.send_message(alice, "nor is a private chat")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk, "to the topic", message_thread_id=thread)
    assert tg.topics(desk)[thread]["deleted"]
    assert tg.calls[-1].fault == "thread_gone" and tg.calls[-1].status == 400
    tg.chaos = None
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk, "still gone", message_thread_id=thread)
    assert tg.chaos_counts["thread_gone"] == 1


async def test_blocked_really_blocks(bot: Bot, tg: FakeTelegram, alice: int, desk: int) -> None:
    tg.chaos = Chaos(blocked=1.0, seed=6)
    await bot.send_message(desk, "groups are not people")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice, "hello?")
    assert tg.calls[-1].fault == "blocked" and tg.calls[-1].status == 403
    kicked = [u for u in tg.pending_updates(bot.token) if "my_chat_member" in u]
    assert kicked[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    tg.chaos = None
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(alice, "really blocked")
    assert tg.chaos_counts["blocked"] == 1


async def test_rate_zero_never_injects(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.chaos = Chaos(seed=7)
    for n in range(20):
        await bot.send_message(alice, f"m{n}")
    assert all(call.ok and call.fault is None for call in tg.calls)
    assert set(tg.chaos_counts.values()) == {0}


async def test_setup_methods_are_never_hit(bot: Bot, tg: FakeTelegram, desk: int) -> None:
    tg.chaos = Chaos(too_many=1.0, server_error=1.0, dropped=1.0, seed=8)
    await bot.get_me()
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.get_chat(desk)
    await bot.get_updates(timeout=0)
    assert all(call.ok for call in tg.calls)
    with pytest.raises(TelegramRetryAfter):  # too_many comes before the others
        await bot.send_message(desk, "a write is hit")


def test_every_method_is_chaos_or_spared() -> None:
    registered = {name for name, _ in METHODS.values()}
    assert not CHAOS_METHODS & SPARED_METHODS
    assert registered == CHAOS_METHODS | SPARED_METHODS


async def test_seed_replays_the_same_faults(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    async def run() -> list[str | None]:
        tg.chaos = Chaos(too_many=0.3, server_error=0.3, seed=42)
        start = len(tg.calls)
        for _ in range(15):
            with contextlib.suppress(TelegramRetryAfter, TelegramServerError):
                await bot.send_message(alice, "x")
        return [call.fault for call in tg.calls[start:]]

    first = await run()
    assert first == await run()
    assert {"too_many", "server_error", None} <= set(first)


def test_chaos_checks_its_values() -> None:
    with pytest.raises(ValueError, match="too_many"):
        Chaos(too_many=1.5)
    with pytest.raises(ValueError, match="retry_after_max"):
        Chaos(retry_after_max=0)
    with pytest.raises(ValueError, match="slow_seconds"):
        Chaos(slow_seconds=-1)
    with pytest.raises(ValueError, match="dropped"):
        Chaos(dropped=True)


async def test_answered_counts_limits_and_chaos(bot: Bot, tg: FakeTelegram, desk: int) -> None:
    tg.limits = RateLimits(group_per_minute=1)
    await bot.send_message(desk, "one")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(desk, "flood")
    tg.chaos = Chaos(too_many=1.0, seed=9)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(desk, "chaos")
    assert tg.answered(429) == 2
    assert tg.answered(200) == 1
    assert [c.fault for c in tg.calls] == [None, None, "too_many"]


async def test_copied_album_counts_each_message(
    bot: Bot, tg: FakeTelegram, alice: int, desk: int
) -> None:
    album = tg.send_album(alice, alice, ["photo", "photo", "photo"])
    tg.limits = RateLimits(group_per_minute=4)
    await bot.copy_messages(desk, alice, [m["message_id"] for m in album])
    await bot.send_message(desk, "the fourth message this minute")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(desk, "the fifth")


async def test_posted_at(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    before = time.time()
    sent = await bot.send_message(alice, "when?")
    after = time.time()
    posted = tg.posted_at(alice, sent.message_id)
    assert before <= posted <= after
    stored = tg.message(alice, sent.message_id)
    assert stored["date"] == int(posted) and "posted_at" not in stored


def test_posted_at_uses_the_fakes_clock() -> None:
    fake = FakeTelegram(clock=lambda: 1_000.75)
    fake.add_bot("1:x")
    user = fake.add_user("Zed")
    message = fake.send_text(user, user, "hi")
    assert fake.posted_at(user, message["message_id"]) == 1_000.75
    assert message["date"] == 1_000


async def test_control_routes(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession(base_url=f"{tg.url}") as http:

        async def post(path: str, body: Any, status: int = 200) -> Any:
            # Not json=: aiohttp sends no body at all for json=None.
            async with http.post(f"/_control/{path}", data=json.dumps(body)) as response:
                assert response.status == status, await response.text()
                return await response.json()

        shown = await post("chaos", {"too_many": 0.5, "slow_seconds": 0.1, "seed": 3})
        assert tg.chaos == Chaos(too_many=0.5, slow_seconds=0.1, seed=3)
        assert shown["chaos"]["too_many"] == 0.5 and shown["counts"]["too_many"] == 0
        async with http.get("/_control/chaos") as response:
            assert (await response.json())["chaos"]["seed"] == 3
        assert "too_mny" in (await post("chaos", {"too_mny": 1}, 400))["error"]
        assert "probability" in (await post("chaos", {"dropped": 2}, 400))["error"]
        assert "probability" in (await post("chaos", {"dropped": "often"}, 400))["error"]
        assert "JSON object or null" in (await post("chaos", [1], 400))["error"]
        assert tg.chaos == Chaos(too_many=0.5, slow_seconds=0.1, seed=3)  # unchanged
        assert (await post("chaos", None))["chaos"] is None
        assert tg.chaos is None

        assert (await post("limits", {}))["limits"]["group_per_minute"] == 20
        await post("limits", {"group_per_minute": 5})
        assert tg.limits == RateLimits(group_per_minute=5)
        assert "at least 1" in (await post("limits", {"chat_burst": 0}, 400))["error"]
        assert "unknown" in (await post("limits", {"per_hour": 1}, 400))["error"]
        async with http.get("/_control/limits") as response:
            assert (await response.json())["limits"]["group_per_minute"] == 5
        assert (await post("limits", None))["limits"] is None
        assert tg.limits is None
        await post("fail", {"error": "dropped", "applied": True})
