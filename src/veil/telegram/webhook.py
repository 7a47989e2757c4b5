"""Webhook mode: Telegram pushes each update, and hears 200 only once it is handled.

aiogram's own request handler answers at once and handles the update afterwards, so a
crash in between loses it (Telegram was told all was well). Here the answer waits for
the Dispatcher: an update of Veil's has committed (effects, deliveries and the record of
its ``update_id`` in one transaction) before Telegram hears 200. A process killed on the
way answers nothing, Telegram sends the update again, and the update log either skips
it (it had committed) or handles it now (it had not): once, either way.

A request without Telegram's secret header is refused with 401, one with a wrong secret
with 403, before anything is read or acted on. Telegram sends several updates at once
(``max_connections``); those of one chat are handled in the order they arrive.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from veil.telegram.middlewares import UpdateNotKept
from veil.telegram.polling import chat_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "webhook_secret"  # where a generated secret is kept (support_state)
MAX_BODY = 1 << 20  # bytes; Telegram's updates are far smaller


def new_secret() -> str:
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -: URL-safe base64.
    return secrets.token_urlsafe(32)


class WebhookHandler:
    """An aiohttp handler for Telegram's webhook requests; hosts can mount it too."""

    def __init__(self, bot: Bot, dispatcher: Dispatcher, secret: str) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._secret = secret.encode()
        self._chats: dict[tuple[str, int], tuple[asyncio.Lock, int]] = {}
        self.handled = 0

    async def __call__(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            log.warning("webhook request without the secret header refused")
            return web.Response(status=401, text="secret token missing")
        if not hmac.compare_digest(given.encode(), self._secret):
            log.warning("webhook request with a wrong secret refused")
            return web.Response(status=403, text="secret token wrong")
        try:
            payload = await request.json()
            update = Update.model_validate(payload, context={"bot": self._bot})
        except ValidationError as exc:
            # Telegram never sends this; someone with the secret sent something odd. Only
            # where it was wrong is logged: the values may be people's names and ids.
            where = [".".join(map(str, e["loc"])) for e in exc.errors()[:5]]
            log.error("webhook request that is no update refused (wrong at %s)", where)
            return web.Response(status=400, text="not an update")
        except ValueError:
            log.error("webhook request that is not JSON refused")
            return web.Response(status=400, text="not an update")
        with self._in_order(chat_of(update)) as lock:
            async with lock:
                kept = await self._feed(update)
        # 500 makes Telegram send the update again, later.
        return web.Response(status=200 if kept else 500)

    async def _feed(self, update: Update) -> bool:
        """Handle ``update``; False when it must come again (nothing of it was kept)."""
        try:
            await self._dispatcher.feed_update(self._bot, update)
        except UpdateNotKept:
            log.error("update %s not kept; Telegram is asked to send it again", update.update_id)
            return False
        except Exception:
            # Veil's middleware keeps its own failures; what reaches here is a host
            # handler's. Asking Telegram to send it again would not make it succeed.
            log.exception("update %s could not be handled", update.update_id)
        self.handled += 1
        return True

    @contextmanager
    def _in_order(self, chat: tuple[str, int]) -> Iterator[asyncio.Lock]:
        """The lock of ``chat``, kept while any request of that chat holds or waits for it."""
        lock, users = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, users + 1)
        try:
            yield lock
        finally:
            lock, users = self._chats[chat]
            if users == 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)


def webhook_app(handler: WebhookHandler, path: str) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path or "/", handler.__call__)  # a coroutine function, as aiohttp wants
    return app
