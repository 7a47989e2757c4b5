"""The HTTP control API, driven the way another process would drive it."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from veil.faketg import FakeTelegram


async def test_control_api_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    async with aiohttp.ClientSession(base_url=f"{tg.url}") as http:

        async def post(path: str, body: dict[str, Any]) -> Any:
            async with http.post(f"/_control/{path}", json=body) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        async def get(path: str) -> Any:
            async with http.get(f"/_control/{path}") as response:
                assert response.status == 200, await response.text()
                return await response.json()

        user = (await post("users", {"first_name": "Carol"}))["id"]
        agent = (await post("users", {"first_name": "Dan"}))["id"]
        desk = (await post("supergroups", {"title": "Desk", "members": [agent]}))["id"]
        message = await post("send", {"user_id": user, "chat_id": user, "text": "/start"})
        assert message["text"] == "/start"
        photo = await post(
            "send", {"user_id": user, "chat_id": user, "kind": "photo", "caption": "pic"}
        )
        assert photo["caption"] == "pic"
        album = await post("album", {"user_id": user, "chat_id": user, "kinds": ["photo", "photo"]})
        assert album[0]["media_group_id"] == album[1]["media_group_id"]
        edited = await post(
            "edit",
            {
                "user_id": user,
                "chat_id": user,
                "message_id": message["message_id"],
                "text": "/support",
            },
        )
        assert edited["text"] == "/support"

        topic = await bot.create_forum_topic(desk, "User-SUPP-1")
        await post(
            "send",
            {"user_id": agent, "chat_id": desk, "text": "hi", "thread_id": topic.message_thread_id},
        )
        card = await bot.send_message(
            desk,
            "card",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="take")]]
            ),
        )
        pressed = await post(
            "press",
            {"user_id": agent, "chat_id": desk, "message_id": card.message_id, "data": "take"},
        )
        assert pressed["id"]

        topics = await get(f"topics?chat_id={desk}")
        assert topics[str(topic.message_thread_id)]["name"] == "User-SUPP-1"
        in_topic = await get(f"messages?chat_id={desk}&thread_id={topic.message_thread_id}")
        assert [m.get("text") for m in in_topic][1:] == ["hi"]
        general = await get(f"messages?chat_id={desk}&thread_id=none")
        assert [m["text"] for m in general] == ["card"]

        await post(
            "fail", {"error": "too_many_requests", "retry_after": 3, "method": "sendMessage"}
        )
        await post("block", {"user_id": user})
        calls = await get("calls?since=0")
        assert calls[0]["index"] == 0 and calls[0]["method"] == "createForumTopic"
        assert [c["method"] for c in await get(f"calls?since={len(calls) - 1}")] == ["sendMessage"]

        async with http.post(
            "/_control/send", json={"user_id": user, "chat_id": desk, "text": "x"}
        ) as response:
            assert response.status == 400
            assert "not a member" in (await response.json())["error"]
        async with http.post("/_control/fail", json={"error": "nope"}) as response:
            assert response.status == 400
    assert len(tg.pending_updates(bot.token)) >= 5
