"""The guard at the edge: each handler of Veil's declares its act, and nothing runs
before the person is judged for it.

Handlers are registered with ``flags=act(Act.BAN)``; this middleware, inside the update's
unit of work, asks ``services.guard.admit`` and, on a refusal, says so where the person
asked (their private chat, the desk topic, the button's little notice) and stops. A
handler that declares no act is refused for everyone and logged as the bug it is: a new
command cannot forget its rule.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from veil.domain.permissions import ANYONE, Act, Refusal
from veil.services import guard
from veil.services.context import Context, Sender
from veil.services.deliveries import AnswerCallback, RawChat, SendText, UserChat
from veil.services.desk import owner_alias
from veil.services.guard import Edited, InPrivate, InTopic, Pressed, Refused, Where
from veil.services.people import id_of
from veil.services.ports import UnitOfWork
from veil.services.presses import Press
from veil.telegram.incoming import sender_of
from veil.telegram.presses import chat_of, thread_of

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
FLAG = "act"


def act(declared: Act) -> dict[str, Act]:
    """The flags a handler is registered with: ``register(h, ..., flags=act(Act.BAN))``."""
    return {FLAG: declared}


class GuardMiddleware(BaseMiddleware):
    """Runs inside the unit of work (registered after it), before the handler."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        declared = get_flag(data, FLAG)
        if not isinstance(declared, Act):
            log.error("a handler of Veil's declares no act: refused", extra={"flags": str(data)})
            return None
        person = _person(event)
        if person is None:
            # Nobody to judge (a bot, the group itself): only what anyone may do runs,
            # and the act itself answers (an anonymous admin is told to show themselves).
            if declared.rule == ANYONE:
                return await handler(event, data)
            log.info("refused: no person to judge", extra={"act": declared.name})
            return None
        uow: UnitOfWork = data["uow"]
        ctx: Context = data["ctx"]
        refused = await guard.admit(uow, ctx, person, declared, _where(event, data))
        if refused is None:
            return await handler(event, data)
        await _say(uow, ctx, event, declared, refused)
        return None


def _person(event: TelegramObject) -> Sender | None:
    user = event.from_user if isinstance(event, Message | CallbackQuery) else None
    if user is None or user.is_bot:
        return None
    if isinstance(event, Message) and event.sender_chat is not None:
        return None  # sent as a chat (a channel, the group itself): nobody to trust
    return sender_of(user)


def _where(event: TelegramObject, data: dict[str, Any]) -> Where:
    if isinstance(event, CallbackQuery):
        press = data.get("press")
        if isinstance(press, Press):
            return Pressed(press, chat_of(event), thread_of(event))
        return InPrivate()  # no press to judge: the act is about the button itself
    assert isinstance(event, Message)
    if event.chat.type == "private":
        return InPrivate()
    thread = event.message_thread_id if event.is_topic_message else None
    update = data.get("event_update")
    if isinstance(update, Update) and update.edited_message is not None:
        return Edited(event.chat.id, thread, event.message_id)
    return InTopic(event.chat.id, thread)


async def _say(
    uow: UnitOfWork, ctx: Context, event: TelegramObject, declared: Act, refused: Refused
) -> None:
    """Tell the person, where they asked, in words that give nothing away."""
    in_desk = isinstance(event, Message) and event.chat.type != "private"
    if isinstance(event, CallbackQuery):
        message = event.message
        in_desk = message is not None and message.chat.type != "private"
    language = ctx.desk_language if in_desk else refused.user.language
    key, args = await _words(uow, ctx, refused, in_desk=in_desk, declared=declared)
    text = ctx.texts(language, key, **args)
    if isinstance(event, CallbackQuery):
        uow.outbox.add(AnswerCallback(event.id, text))
    elif isinstance(event, Message) and in_desk:
        thread = event.message_thread_id if event.is_topic_message else None
        uow.outbox.add(SendText(RawChat(event.chat.id, thread), text))
    else:
        uow.outbox.add(SendText(UserChat(id_of(refused.user)), text))


async def _words(
    uow: UnitOfWork, ctx: Context, refused: Refused, *, in_desk: bool, declared: Act
) -> tuple[str, dict[str, object]]:
    ticket = refused.ticket
    match refused.why:
        case Refusal.NOT_AN_ADMIN:
            return ("desk-admins-only" if in_desk else "admin-only"), {}
        case Refusal.NOT_AN_AGENT:
            return ("desk-not-an-agent" if in_desk else "agents-only"), {}
        case Refusal.STAFF:
            return "forget-staff", {}
        case Refusal.NOT_THEIR_TICKET:
            # The same words as for a ticket that does not exist: an id is not a hint.
            return "notice-unknown-ticket", {}
        case Refusal.LEVEL_TOO_LOW:
            assert ticket is not None
            return "desk-take-level", {"level": ticket.required_level.value}
        case Refusal.NOT_THEIRS_TO_WORK:
            assert ticket is not None
            if declared is Act.PROPOSE_OFFER:
                return "desk-not-yours-to-offer", {}
            if ticket.assigned_agent_id is None:
                return "desk-take-level", {"level": ticket.required_level.value}
            return "desk-not-yours", {"owner": await owner_alias(uow, ctx, ticket)}
