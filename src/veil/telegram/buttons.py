"""Button presses, from anyone, with payloads that may be forged, stale or misplaced.

Each kind of press has its own callback-data factory (``telegram/presses.py``), read and
checked by a filter, and declares its act like a command does: the guard has judged the
presser before any handler here runs. What is left is the use case, and what it answers.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from veil.domain.appointments import Appointment
from veil.domain.permissions import Act
from veil.services import (
    appointments,
    canned,
    client,
    desk,
    handover,
    outbound,
    privacy,
    satisfaction,
)
from veil.services.context import Context
from veil.services.deliveries import AnswerCallback
from veil.services.ports import UnitOfWork
from veil.services.presses import (
    PRESSES,
    AnswerOffer,
    CloseTicket,
    CommentRating,
    ConfirmForget,
    EndChat,
    OpenSupport,
    Press,
    ProposeOffer,
    RateTicket,
    SendCanned,
    ShowTranscript,
    TakeTicket,
)
from veil.telegram.guard import act
from veil.telegram.incoming import sender_of
from veil.telegram.presses import Unread
from veil.telegram.scope import Scope

log = logging.getLogger(__name__)


def build_router(scope: Scope) -> Router:
    router = Router(name="buttons")
    router.callback_query.register(
        open_about, scope.appointment_pressed, flags=act(Act.OPEN_SUPPORT)
    )
    for kind in PRESSES:
        router.callback_query.register(pressed, scope.press_of(kind), flags=act(kind.act))
    # Whatever is left and still Veil's (in a bot of its own: everything) is refused.
    router.callback_query.register(unreadable, scope.unread_press, flags=act(Act.BUTTON))
    return router


async def open_about(
    query: CallbackQuery, uow: UnitOfWork, ctx: Context, appointment: Appointment | None
) -> None:
    """Live Support pressed on an appointment (described by the filter, before this unit
    of work): a conversation about it, in the presser's private chat only."""
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != "private":
        notice: str | None = ctx.texts(query.from_user.language_code, "notice-stale-button")
    else:
        await client.open_ticket(uow, ctx, sender_of(query.from_user), appointment)
        notice = None
    uow.outbox.add(AnswerCallback(query.id, notice))


async def pressed(query: CallbackQuery, uow: UnitOfWork, ctx: Context, press: Press) -> None:
    """A press read, checked and admitted: the use case it asks for, in the right chat."""
    sender = sender_of(query.from_user)
    message = query.message
    chat = message.chat if message is not None else None
    in_private = chat is not None and chat.type == "private"
    desk_chat = (
        chat.id if chat is not None and await outbound.is_desk_chat(uow, ctx, chat.id) else None
    )
    thread = message.message_thread_id if isinstance(message, Message) else None
    notice: str | None = ctx.texts(sender.language, "notice-stale-button")
    match press:
        case OpenSupport() if in_private:
            await client.open_ticket(uow, ctx, sender)
            notice = None
        case EndChat(ticket) if in_private:
            notice = await client.end_chat(uow, ctx, sender, ticket)
        case ShowTranscript(ticket) if in_private:
            notice = await client.show_transcript(uow, ctx, sender, ticket)
        case ConfirmForget() if in_private:
            notice = await privacy.forget_me(uow, ctx, sender)
        case RateTicket(ticket, score) if in_private:
            notice = await satisfaction.rate(uow, ctx, sender, ticket, score)
        case CommentRating(ticket) if in_private:
            notice = await satisfaction.ask_comment(uow, ctx, sender, ticket)
        case AnswerOffer(offer, accept) if in_private:
            notice = await appointments.decide(uow, ctx, sender, offer, accept=accept)
        case TakeTicket(ticket) if desk_chat is not None:
            notice = await handover.take_from_button(uow, ctx, sender, ticket, desk_chat)
        case CloseTicket(ticket) if desk_chat is not None:
            notice = await desk.close_from_button(uow, ctx, ticket, desk_chat)
        case ProposeOffer(offer) if desk_chat is not None:
            notice = await appointments.propose(uow, ctx, offer, desk_chat)
        case SendCanned(answer) if desk_chat is not None and chat is not None:
            notice = await canned.send(uow, ctx, sender, chat.id, thread, answer)
        case _:  # a press signed for this chat, yet not for this kind of chat
            log.warning("a press in the wrong kind of chat", extra={"press": type(press).__name__})
            uow.audit.refused(press.act.label, "pressed in the wrong kind of chat")
    uow.outbox.add(AnswerCallback(query.id, notice))


async def unreadable(query: CallbackQuery, uow: UnitOfWork, ctx: Context, unread: Unread) -> None:
    """Not a press Veil will act on: forged, altered, pressed in another chat, expired,
    or (in a bot of its own) not Veil's at all. Refused, audited, and the presser told."""
    log.warning("button refused", extra={"why": unread.value})
    uow.audit.refused(Act.BUTTON.label, unread.value)
    key = "notice-button-expired" if unread is Unread.EXPIRED else "notice-stale-button"
    uow.outbox.add(AnswerCallback(query.id, ctx.texts(query.from_user.language_code, key)))
