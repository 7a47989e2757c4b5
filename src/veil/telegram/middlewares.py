"""Cross-cutting concerns of every update: one transaction, de-duplication, no crash."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from veil.services.context import Context
from veil.services.deliveries import RawChat, SendText
from veil.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWorkMiddleware(BaseMiddleware):
    """Runs each update in one unit of work that also records its ``update_id``.

    The update's effects, its outbound deliveries and the record that it was handled
    commit together, so an update redelivered after a crash is recognised and skipped.
    A failing handler never takes the bot down: the update is kept for inspection and
    the person is told to try again.
    """

    def __init__(self, units: UnitOfWorkFactory, ctx: Context) -> None:
        self._units = units
        self._ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        try:
            async with self._units() as uow:
                if not await uow.updates.claim(event.update_id, self._ctx.clock()):
                    log.info("duplicate update skipped", extra={"update_id": event.update_id})
                    return None
                data["uow"] = uow
                result = await handler(event, data)
                await uow.commit()
                return result
        except Exception as exc:
            log.exception("update %s failed", event.update_id)
            await self._keep_failed(event, exc)
            return None

    async def _keep_failed(self, update: Update, exc: Exception) -> None:
        try:
            async with self._units() as uow:
                payload = update.model_dump_json(exclude_none=True)
                now = self._ctx.clock()
                await uow.updates.record_failure(update.update_id, now, payload, repr(exc))
                chat = _chat_of(update)
                if chat is not None:
                    language = _language_of(update)
                    text = self._ctx.texts(language, "error-try-again")
                    uow.outbox.add(SendText(RawChat(*chat), text))
                await uow.commit()
        except Exception:
            log.exception("could not record failed update %s", update.update_id)


def _chat_of(update: Update) -> tuple[int, int | None] | None:
    message = update.message or update.edited_message
    if message is not None:
        thread = message.message_thread_id if message.is_topic_message else None
        return message.chat.id, thread
    query = update.callback_query
    if query is not None and query.message is not None:
        return query.message.chat.id, None
    return None


def _language_of(update: Update) -> str | None:
    event = update.message or update.edited_message or update.callback_query
    user = event.from_user if event is not None else None
    return user.language_code if user is not None else None
