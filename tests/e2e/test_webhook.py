"""Webhook mode: ``veil run`` with VEIL_WEBHOOK_URL, Telegram (faketg) pushing updates.

Telegram hears 200 only after an update committed; a request without the right secret
is refused before anything is read; Telegram's retries and repeats are handled once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import text

from tests.conftest import TEST_KEYRING
from tests.e2e.harness import TOKEN, WAIT_LIMIT, Desk, Person, World
from veil.store import db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SECRET = "e2e-webhook-secret_0123456789"


def bot_settings() -> dict[str, str]:
    """The bot's settings, with a port chosen as its bot starts: not at import, since every
    xdist worker imports this module and a port chosen then may be taken by the time the
    bot binds it (by another worker's faketg, say)."""
    port = _free_port()
    return {
        "VEIL_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "VEIL_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "VEIL_WEBHOOK_SECRET": SECRET,
    }


def _hook_url(desk: Desk) -> str:
    """Where the bot listens, as configured."""
    return desk.bot.env["VEIL_WEBHOOK_URL"]


OPENED = "You're connected to Live Support"
CONTINUES = "already talking to Live Support"

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def _support_update(update_id: int, person: Person) -> dict[str, Any]:
    """What Telegram posts when ``person`` sends /support to the bot."""
    user = {"id": person.id, "is_bot": False, "first_name": person.first_name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
            "from": user,
            "text": "/support",
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        },
    }


async def _post(url: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status


def _count(desk: Desk, person: Person, needle: str) -> int:
    return sum(needle in t for t in desk.bot_texts(person.id))


async def _then_tickets(desk: Desk, person: Person) -> None:
    """Everything the bot sent this person before now has arrived: its answer to a later
    /tickets comes after it in the same chat."""
    seen = desk.client_inbox(person)
    desk.tg.send_text(person.id, person.id, "/tickets")
    await desk.client_gets("support tickets", person, skip=seen)


@pytest_asyncio.fixture(loop_scope="module")
async def hook(desk: Desk) -> Any:
    """The webhook as faketg knows it, once the bot has set it."""
    account = desk.tg.world.bots[TOKEN]
    # No stall rule here: a starting bot makes no calls while Python imports it.
    await desk.tg.wait_for(lambda: account.webhook is not None, timeout=WAIT_LIMIT)
    return account.webhook


async def test_a_conversation_runs_over_the_webhook(desk: Desk, hook: Any) -> None:
    assert hook.url == _hook_url(desk) and hook.secret_token == SECRET
    _, topic = await desk.open_ticket()
    desk.tg.send_text(desk.client.id, desk.client.id, "my booking vanished")
    await desk.desk_gets("my booking vanished", topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "Found it, it is back", thread_id=topic)
    await desk.client_gets("Found it, it is back")
    assert hook.last_error_message is None


async def test_a_request_without_the_right_secret_is_refused_and_not_acted_on(
    world: World, desk: Desk, hook: Any
) -> None:
    forger = world.new_client("Trudy")
    assert await _post(_hook_url(desk), _support_update(900_000_001, forger), None) == 401
    assert await _post(_hook_url(desk), _support_update(900_000_002, forger), "guessed") == 403
    assert await _post(_hook_url(desk), _support_update(900_000_003, forger), SECRET[:-1]) == 403
    # The refused updates did nothing: the same person's real /tickets is answered as
    # a stranger's, and no ticket was opened for them.
    await _then_tickets(desk, forger)
    assert _count(desk, forger, OPENED) == 0
    assert any("no support tickets" in t for t in desk.bot_texts(forger.id))


async def test_a_repeated_update_is_handled_once(world: World, desk: Desk, hook: Any) -> None:
    person = world.new_client("Rita")
    update = _support_update(900_000_100, person)
    assert await _post(_hook_url(desk), update, SECRET) == 200
    assert await _post(_hook_url(desk), update, SECRET) == 200  # Telegram repeating itself
    await _then_tickets(desk, person)
    assert _count(desk, person, OPENED) == 1
    assert _count(desk, person, CONTINUES) == 0


@contextlib.asynccontextmanager
async def _updates_held(database_url: str) -> AsyncIterator[None]:
    """Hold the lock the bot needs to record any update, so that it cannot commit one."""
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.begin()
                await connection.execute(
                    text("LOCK TABLE support_processed_updates IN ACCESS EXCLUSIVE MODE")
                )
            else:
                await connection.begin()  # BEGIN IMMEDIATE: SQLite's write lock
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def test_a_kill_before_the_commit_is_retried_by_telegram_and_handled_once(
    world: World, desk: Desk, hook: Any, backend_url: str
) -> None:
    person = world.new_client("Kim")
    async with _updates_held(backend_url):
        desk.tg.send_text(person.id, person.id, "/support")
        await desk.until(lambda: hook.in_flight is not None, "Telegram to post the update")
        attempts = hook.attempts
        await desk.bot.stop(signal.SIGKILL)
    await desk.bot.start()
    await desk.client_gets(OPENED, person)
    assert hook.attempts > attempts  # it came again, after the kill
    await _then_tickets(desk, person)
    assert _count(desk, person, OPENED) == 1
    assert _count(desk, person, CONTINUES) == 0


async def test_back_to_polling_the_webhook_is_removed(world: World, desk: Desk, hook: Any) -> None:
    """Last in the module: the same bot restarted without VEIL_WEBHOOK_URL polls again."""
    account = desk.tg.world.bots[TOKEN]
    assert await desk.bot.stop() == 0
    for name in bot_settings():
        desk.bot.env.pop(name)
    await desk.bot.start()
    await desk.tg.wait_for(lambda: account.webhook is None, timeout=WAIT_LIMIT)
    person = world.new_client("Pia")
    seen = desk.client_inbox(person)
    desk.tg.send_text(person.id, person.id, "/support")
    await desk.client_gets(OPENED, person, skip=seen)
