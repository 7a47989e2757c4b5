"""The anonymity check itself: it must catch each kind of leak, or it proves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.e2e.harness import TOKEN, Person, anonymity_violations
from veil.faketg import FakeTelegram


@pytest.fixture
async def setting() -> AsyncIterator[tuple[FakeTelegram, Bot, Person, Person, int]]:
    tg = FakeTelegram()
    tg.add_bot(TOKEN)
    client = Person(0, "Alice", "Moreau", "alice_moreau", "+33612345678")
    client.id = tg.add_user(
        "Alice", last_name="Moreau", username="alice_moreau", phone="+33612345678"
    )
    agent = Person(0, "Bob", None, "bob_helps")
    agent.id = tg.add_user("Bob", username="bob_helps")
    desk = tg.add_supergroup("Desk", members=[agent.id])
    url = await tg.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    yield tg, bot, client, agent, desk
    await bot.session.close()
    await tg.stop()


async def test_copying_without_names_is_clean(
    setting: tuple[FakeTelegram, Bot, Person, Person, int],
) -> None:
    tg, bot, client, agent, desk = setting
    original = tg.send_photo(client.id, client.id, caption="my screen")
    await bot.copy_message(desk, client.id, original["message_id"])
    await bot.send_message(client.id, "We are on it")
    assert anonymity_violations(tg, desk, [client], [agent]) == []


@pytest.mark.parametrize(
    "leak",
    [
        "forward",
        "name in text",
        "id in text",
        "phone in caption",
        "text mention",
        "agent name",
        "hidden characters",
        "hidden in a copied caption",
    ],
)
async def test_each_kind_of_leak_is_caught(
    setting: tuple[FakeTelegram, Bot, Person, Person, int], leak: str
) -> None:
    tg, bot, client, agent, desk = setting
    original = tg.send_text(client.id, client.id, "help me")
    photo = tg.send_photo(client.id, client.id, caption="screen")
    if leak == "forward":
        await bot.forward_message(desk, client.id, original["message_id"])
    elif leak == "name in text":
        await bot.send_message(desk, "Alice Moreau writes: help me")
    elif leak == "id in text":
        await bot.send_message(desk, f"from {client.id}")
    elif leak == "phone in caption":
        await bot.copy_message(desk, client.id, photo["message_id"], caption="+33612345678")
    elif leak == "text mention":
        await bot.send_message(
            desk,
            "the client",
            entities=[
                {
                    "type": "text_mention",
                    "offset": 4,
                    "length": 6,  # type: ignore[list-item]
                    "user": {"id": client.id, "is_bot": False, "first_name": "Alice"},
                }
            ],
        )
    elif leak == "hidden characters":
        await bot.send_message(desk, "invoice\u202etxt.exe")
    elif leak == "hidden in a copied caption":
        spoof = tg.send_photo(client.id, client.id, caption="pay\u200bpal")
        await bot.copy_message(desk, client.id, spoof["message_id"])
    else:
        await bot.send_message(client.id, "Bob from support here")
    assert anonymity_violations(tg, desk, [client], [agent]) != []


async def test_a_second_or_moved_desk_group_is_checked_too(
    setting: tuple[FakeTelegram, Bot, Person, Person, int],
) -> None:
    tg, bot, client, agent, desk = setting
    moved = tg.migrate_group(desk)
    await bot.send_message(moved, f"call {client.first_name} on {client.phone}")
    assert anonymity_violations(tg, desk, [client], [agent]) != []
