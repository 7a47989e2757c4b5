"""The agents' supergroup: one forum topic per ticket."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from veil.services import appointments, canned, desk, guidance, handover, outbound, private
from veil.services.context import Context, Incoming
from veil.services.ports import UnitOfWork
from veil.telegram import menus
from veil.telegram.handlers import on_message
from veil.telegram.incoming import incoming, is_command
from veil.telegram.scope import Scope


def build_router(scope: Scope) -> Router:
    router = Router(name="desk")
    # Asked at every update: a desk group that Telegram moved is still recognised, even
    # when another process saw the move.
    router.message.filter(scope.in_desk)
    router.edited_message.filter(scope.in_desk)
    router.message.register(group_moved, F.migrate_to_chat_id)
    # Sent "as the group" (an admin with Remain anonymous on): nobody to trust or answer.
    router.message.register(anonymous, F.sender_chat)
    router.message.register(on_message(desk.add_note), Command("note"))
    router.message.register(on_message(desk.close_from_topic), Command("close"))
    router.message.register(on_message(handover.take), Command("take"))
    router.message.register(on_message(handover.transfer), Command("transfer"))
    router.message.register(on_message(handover.escalate), Command("escalate"))
    router.message.register(on_message(handover.set_priority), Command("priority"))
    router.message.register(on_message(canned.offer), Command("canned"))
    router.message.register(on_message(private.work_privately), Command("private"))
    router.message.register(on_message(desk.remove_member), Command("remove_member"))
    router.message.register(on_message(guidance.desk_help), Command("help"))
    router.message.register(reschedule, Command("reschedule"), scope.slots_here)
    router.message.register(on_message(appointments.offer_cancel), Command("cancel_booking"))
    router.message.register(on_message(client_command_here), Command(*menus.CLIENT))
    # Every other command stops here: a command is never relayed to a client.
    router.message.register(on_message(unknown_command), is_command)
    router.message.register(on_message(desk.topic_closed_by_hand), F.forum_topic_closed)
    router.message.register(on_message(desk.relay_from_agent))
    router.edited_message.register(on_message(desk.edit_from_agent))
    return router


async def group_moved(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    """Telegram moved the desk group to a new chat id: follow it before any send fails."""
    if message.migrate_to_chat_id is not None:
        await outbound.desk_moved(uow, ctx, message.chat.id, message.migrate_to_chat_id)


async def anonymous(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    thread = message.message_thread_id if message.is_topic_message else None
    await desk.refuse_anonymous(uow, ctx, message.chat.id, thread)


async def client_command_here(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    await desk.refuse_command(uow, ctx, msg, "desk-wrong-chat")


async def unknown_command(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    await desk.refuse_command(uow, ctx, msg, "desk-unknown-command")


async def reschedule(
    message: Message, uow: UnitOfWork, ctx: Context, slots: appointments.SlotsAnswer
) -> None:
    """/reschedule, the host's free slots asked by the filter before this unit of work."""
    msg = incoming(message)
    if msg is not None:
        await appointments.offer_reschedule(uow, ctx, msg, slots)
