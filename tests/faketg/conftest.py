"""Fixtures for the fake Telegram: a started server and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from veil.faketg import FakeTelegram

TOKEN = "7000000001:AAH-fake-token-for-tests"


class LocalSession(AiohttpSession):
    """aiogram waits 250 ms on close for TLS connections to drain; plain local HTTP has
    none, and the wait would dominate this suite's run time."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.add_bot(TOKEN, username="veil_test_bot", first_name="Scheduler")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    assert tg.url is not None
    session = LocalSession(api=TelegramAPIServer.from_base(tg.url))
    client = Bot(TOKEN, session=session)
    yield client
    await client.session.close()


@pytest.fixture
def alice(tg: FakeTelegram) -> int:
    return tg.add_user("Alice", last_name="Liddell", username="alice", phone="+15550001")


@pytest.fixture
def agent(tg: FakeTelegram) -> int:
    return tg.add_user("Bob", username="bob_agent")


@pytest.fixture
def desk(tg: FakeTelegram, agent: int) -> int:
    return tg.add_supergroup("Support desk", members=[agent])
