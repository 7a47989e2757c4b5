"""The webhook handler on its own, as a host would mount it: what each request gets."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message
from aiohttp.test_utils import TestClient, TestServer

from veil.telegram.middlewares import UpdateNotKept
from veil.telegram.webhook import SECRET_HEADER, WebhookHandler, webhook_app

SECRET = "s3cret-token_for-tests"


def _update(update_id: int, text: str) -> dict[str, Any]:
    person = {"id": 7, "is_bot": False, "first_name": "Pat"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_800_000_000,
            "chat": {"id": 7, "type": "private", "first_name": "Pat"},
            "from": person,
            "text": text,
        },
    }


async def test_each_request_gets_what_it_deserves() -> None:
    handled: list[str] = []
    router = Router()

    @router.message()
    async def handle(message: Message) -> None:
        if message.text == "store down":
            raise UpdateNotKept("nothing recorded")
        if message.text == "host bug":
            raise RuntimeError("a host handler failed")
        handled.append(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot("1:TEST")
    app = webhook_app(WebhookHandler(bot, dispatcher, SECRET), "/hook")
    async with TestClient(TestServer(app)) as client:

        async def post(body: Any, secret: str | None = SECRET) -> int:
            headers = {SECRET_HEADER: secret} if secret is not None else {}
            response = await client.post("/hook", json=body, headers=headers)
            return response.status

        assert await post(_update(1, "no secret"), None) == 401
        assert await post(_update(2, "wrong secret"), "guess") == 403
        assert handled == []  # refused before anything was read
        assert await post({"update_id": "nope", "message": 5}) == 400
        assert await post(_update(3, "hello")) == 200 and handled == ["hello"]
        assert await post(_update(4, "store down")) == 500  # Telegram sends it again
        assert await post(_update(5, "host bug")) == 200  # sending again would not help
    await bot.session.close()
