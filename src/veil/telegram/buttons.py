"""Button presses, from anyone, with payloads that may be forged or stale."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from veil.domain.appointments import Appointment
from veil.services import actions, appointments, canned, client, desk, handover, outbound, privacy
from veil.services.context import Context
from veil.services.deliveries import AnswerCallback
from veil.services.ports import UnitOfWork
from veil.telegram.incoming import sender_of
from veil.telegram.scope import Scope

log = logging.getLogger(__name__)


def build_router(scope: Scope) -> Router:
    router = Router(name="buttons")
    router.callback_query.register(open_about, scope.appointment_pressed)
    router.callback_query.register(pressed, scope.veils_button)
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


async def pressed(query: CallbackQuery, uow: UnitOfWork, ctx: Context) -> None:
    action = actions.parse(query.data)
    sender = sender_of(query.from_user)
    chat = query.message.chat if query.message is not None else None
    in_private = chat is not None and chat.type == "private"
    desk_chat = (
        chat.id if chat is not None and await outbound.is_desk_chat(uow, ctx, chat.id) else None
    )
    in_desk = desk_chat is not None
    notice: str | None
    answer_id = canned.parse(query.data)
    if answer_id is not None and in_desk and query.message is not None:
        message = query.message
        thread = message.message_thread_id if isinstance(message, Message) else None
        notice = await canned.send(uow, ctx, sender, message.chat.id, thread, answer_id)
    elif action is None or not (in_private or in_desk):
        log.warning("button with unknown payload ignored", extra={"data": (query.data or "")[:64]})
        notice = ctx.texts(sender.language, "notice-stale-button")
    elif action.name == "take_ticket" and desk_chat is not None and action.ticket:
        notice = await handover.take_from_button(uow, ctx, sender, action.ticket, desk_chat)
    elif action.name == "close_ticket" and desk_chat is not None and action.ticket:
        notice = await desk.close_from_button(uow, ctx, sender, action.ticket, desk_chat)
    elif action.name == "open_support" and in_private:
        await client.open_ticket(uow, ctx, sender)
        notice = None
    elif action.name == "propose_offer" and desk_chat is not None and action.offer:
        notice = await appointments.propose(uow, ctx, sender, action.offer, desk_chat)
    elif action.name in ("accept_offer", "decline_offer") and in_private and action.offer:
        accept = action.name == "accept_offer"
        notice = await appointments.decide(uow, ctx, sender, action.offer, accept=accept)
    elif action.name == "forget_me" and in_private:
        notice = await privacy.forget_me(uow, ctx, sender)
    elif action.name == "end_chat" and in_private:
        notice = await client.end_chat(uow, ctx, sender, action.ticket)
    elif action.name == "transcript" and in_private and action.ticket:
        notice = await client.show_transcript(uow, ctx, sender, action.ticket)
    else:
        notice = ctx.texts(sender.language, "notice-stale-button")
    uow.outbox.add(AnswerCallback(query.id, notice))
