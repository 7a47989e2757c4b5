"""Integration fixtures: faketg running, with a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from veil.faketg import FakeTelegram


@pytest.fixture
async def telegram(request: pytest.FixtureRequest) -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    """faketg and a Bot for it; the module's ``TOKEN`` names the bot."""
    token = str(request.module.TOKEN)
    tg = FakeTelegram()
    tg.add_bot(token)
    url = await tg.start()
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    yield tg, bot
    await bot.session.close()
    await tg.stop()
