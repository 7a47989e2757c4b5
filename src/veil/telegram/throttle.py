"""Bursts of commands and button presses, held back before they cost a transaction.

Each person may send so many commands, edits and button presses a minute
(``VEIL_DESK_ACTIONS_PER_MINUTE``): an agent's script or a stuck key must not drain the
desk's Telegram budget or the database. Counted in Redis when configured (shared by every
process), else in the database; the count is asked before the unit of work begins, since
on SQLite a second transaction inside it would wait on its write lock. Keys are keyed
hashes, never Telegram ids.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from veil.domain.content import command_in
from veil.domain.limits import LimitKind
from veil.services.context import Context
from veil.services.deliveries import AnswerCallback, RawChat, SendText, UserChat
from veil.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
NOTICE = LimitKind.DESK_ACTIONS.value


class ActionThrottle(BaseMiddleware):
    def __init__(
        self,
        units: UnitOfWorkFactory,
        context: Callable[[], Context],
        key_of: Callable[[int], str],
    ) -> None:
        self._units = units
        self._context = context
        self._key_of = key_of

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update = data.get("event_update")
        person = _actor_of(update) if isinstance(update, Update) else None
        ctx = self._context()
        if person is None or ctx.rate_log is None:
            return await handler(event, data)
        limit = ctx.limits.of(LimitKind.DESK_ACTIONS)
        verdict = await ctx.rate_log.hit(f"actions:{self._key_of(person)[:32]}", limit, ctx.clock())
        if verdict.allowed:
            return await handler(event, data)
        assert isinstance(update, Update)
        log.info("a burst of commands or buttons held back", extra={"update_id": update.update_id})
        await self._refuse(ctx, update, person, limit.count)
        return None

    async def _refuse(self, ctx: Context, update: Update, person: int, count: int) -> None:
        async with self._units() as uow:
            uow.audit.acting_for(person)
            uow.audit.refused("a command or button", f"over {count} a minute")
            text = ctx.desk_text("slow-down", count=count)
            query = update.callback_query
            if query is not None:
                uow.outbox.add(AnswerCallback(query.id, text))  # the presser sees it at once
            elif update.message is not None:
                await self._tell_once(uow, ctx, update.message, person, text)
            await uow.commit()

    async def _tell_once(
        self, uow: Any, ctx: Context, message: Message, person: int, text: str
    ) -> None:
        user = await uow.users.by_telegram_id(person)
        if user is None or user.id is None:
            return
        now = ctx.clock()
        told = await uow.limits.told_until(user.id, NOTICE)
        if told is not None and told > now:
            return
        await uow.limits.tell_until(
            user.id, NOTICE, now + ctx.limits.of(LimitKind.DESK_ACTIONS).window
        )
        if message.chat.type == "private":  # a person's chat: by their row, never their id
            uow.outbox.add(SendText(UserChat(user.id), text))
            return
        thread = message.message_thread_id if message.is_topic_message else None
        uow.outbox.add(SendText(RawChat(message.chat.id, thread), text))


def _actor_of(update: Update) -> int | None:
    """Who pressed a button or sent a command, if this update is one."""
    query = update.callback_query
    if isinstance(query, CallbackQuery):
        return query.from_user.id
    message = update.message
    if message is not None and message.from_user is not None and command_in(message.text):
        return message.from_user.id
    edited = update.edited_message  # an edit costs the desk a call like a command does
    if edited is not None and edited.from_user is not None:
        return edited.from_user.id
    return None
