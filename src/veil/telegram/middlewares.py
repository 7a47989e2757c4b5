"""Cross-cutting concerns of every update: one transaction, de-duplication, no crash."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject, Update

from veil.logs import printable
from veil.services.context import Context, Sender
from veil.services.deliveries import Address, AnswerCallback, RawChat, SendText, UserChat
from veil.services.people import ensure_user
from veil.services.ports import Conflict, RoutingLockNeeded, UnitOfWork, UnitOfWorkFactory
from veil.telegram.incoming import content_kind

log = logging.getLogger(__name__)

CONFLICT_ATTEMPTS = 5
CONFLICT_BACKOFF = 0.05  # seconds

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateNotKept(Exception):
    """An update failed and not even its failure could be recorded (the database is
    down): it must not be confirmed to Telegram, which then sends it again."""


class UnitOfWorkMiddleware(BaseMiddleware):
    """Runs each of Veil's updates in one unit of work that also records its ``update_id``.

    The update's effects, its outbound deliveries and the record that it was handled
    commit together, so an update redelivered after a crash is recognised and skipped.
    A failing handler never takes the bot down: the update is kept for inspection and
    the person is told to try again.

    It is an inner middleware of Veil's own router: it wraps a handler of Veil's that
    matched, and nothing else. A host bot's updates (and its handlers' exceptions) never
    pass through it, so they cost no transaction of Veil's and get no words from Veil.
    """

    def __init__(self, units: UnitOfWorkFactory, context: Callable[[], Context]) -> None:
        self._units = units
        self._context = context

    @property
    def _ctx(self) -> Context:
        return self._context()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update = data.get("event_update")
        if not isinstance(update, Update):
            return await handler(event, data)
        data["ctx"] = self._ctx

        async def handle() -> Any:
            return await handler(event, data)

        return await self._handle(handle, update, data)

    async def _handle(
        self, handle: Callable[[], Awaitable[Any]], event: Update, data: dict[str, Any]
    ) -> Any:
        last: Exception | None = None
        lock_first = False
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return await self._handle_once(handle, event, data, lock_first=lock_first)
            except RoutingLockNeeded:
                # Nothing of the first try was kept: again, with the routing lock first.
                if lock_first:
                    last = RuntimeError("the routing lock was needed though it was held")
                    break
                lock_first = True
            except Conflict as exc:
                # Another process won a race (say, for a ticket id): redo from fresh state.
                log.info("update %s conflicted (attempt %s): %s", event.update_id, attempt, exc)
                last = exc
                # A little jitter, so that the racers do not collide again in lockstep.
                await asyncio.sleep(random.uniform(0, CONFLICT_BACKOFF * attempt))
            except Exception as exc:
                # The boundary that keeps the bot alive, whatever a handler does.
                last = exc
                break
        if isinstance(last, Conflict):
            # Expected under contention and already explained above: one line, no trace.
            log.error(
                "update %s still conflicted after %s attempts", event.update_id, CONFLICT_ATTEMPTS
            )
        else:
            log.error("update %s failed", event.update_id, exc_info=last)
        if last is not None:
            await self._keep_failed(event, last)
        return None

    async def _handle_once(
        self,
        handle: Callable[[], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
        *,
        lock_first: bool = False,
    ) -> Any:
        async with self._units() as uow:
            if lock_first:
                await uow.agents.lock_routing()
            if not await uow.updates.claim(event.update_id, self._ctx.clock()):
                log.info("duplicate update skipped", extra={"update_id": event.update_id})
                return None
            data["uow"] = uow
            sender = _sender_of(event)
            if sender is not None:
                uow.audit.acting_for(sender)
            result = await handle()
            await uow.commit()
            return result

    async def _keep_failed(self, update: Update, exc: Exception) -> None:
        try:
            async with self._units() as uow:
                now = self._ctx.clock()
                await uow.updates.record_failure(
                    update.update_id, now, failure_record(update), printable(repr(exc), 500)
                )
                text = self._ctx.texts(_language_of(update), "error-try-again")
                if update.callback_query is not None:
                    # Answering stops the button's spinner and tells the presser at once.
                    uow.outbox.add(AnswerCallback(update.callback_query.id, text, alert=True))
                else:
                    address = await _address_of(uow, self._ctx, update)
                    if address is not None:
                        uow.outbox.add(SendText(address, text))
                await uow.commit()
        except Exception as failure:
            # The store itself may be what failed: then the update is not confirmed, and
            # Telegram sends it again (polling asks for the same batch, a webhook answers
            # 500), rather than it being lost with a log line.
            log.exception("could not record failed update %s", update.update_id)
            raise UpdateNotKept(f"update {update.update_id}") from failure


def failure_record(update: Update) -> str:
    """What is kept of an update that failed: enough to find it and see what it was,
    nothing of who sent it or what it said (no names, username, language, phone, text)."""
    record: dict[str, Any] = {"update_id": update.update_id, "type": update.event_type}
    message = update.message or update.edited_message
    query = update.callback_query
    if query is not None:
        record["callback_data_bytes"] = len((query.data or "").encode())
        message = query.message if isinstance(query.message, Message) else None
    if message is not None:
        record["chat_type"] = message.chat.type
        if message.chat.type != "private":  # a group's id names a group, not a person
            record["chat_id"] = message.chat.id
            record["thread_id"] = message.message_thread_id
        record["message_id"] = message.message_id
        record["content_type"] = content_kind(message)
    return json.dumps(record)


async def _address_of(uow: UnitOfWork, ctx: Context, update: Update) -> Address | None:
    """Where to tell the sender of a failed update; a known person by their user id."""
    message = update.message or update.edited_message
    if message is None:
        return None
    if message.chat.type == "private":
        # By the person's row, met now if need be: their id never goes into the outbox.
        user = await ensure_user(uow, ctx, Sender(message.chat.id))
        return UserChat(user.id) if user.id is not None else None
    thread = message.message_thread_id if message.is_topic_message else None
    return RawChat(message.chat.id, thread)


def _sender_of(update: Update) -> int | None:
    event = update.message or update.edited_message or update.callback_query
    user = event.from_user if event is not None else None
    return user.id if user is not None else None


def _language_of(update: Update) -> str | None:
    event = update.message or update.edited_message or update.callback_query
    user = event.from_user if event is not None else None
    return user.language_code if user is not None else None
