"""The agents' supergroup: one forum topic per ticket."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from veil.domain.permissions import Act
from veil.services import appointments, canned, desk, guidance, handover, outbound, private
from veil.services.context import Context, Incoming
from veil.services.ports import UnitOfWork
from veil.telegram import menus
from veil.telegram.guard import act
from veil.telegram.handlers import MessageUseCase, on_message
from veil.telegram.incoming import incoming, is_command
from veil.telegram.scope import Scope

# The commands of a ticket's topic, and the act each one is.
_COMMANDS: tuple[tuple[str, MessageUseCase, Act], ...] = (
    ("note", desk.add_note, Act.NOTE),
    ("close", desk.close_from_topic, Act.CLOSE),
    ("take", handover.take, Act.TAKE),
    ("transfer", handover.transfer, Act.TRANSFER),
    ("escalate", handover.escalate, Act.ESCALATE),
    ("priority", handover.set_priority, Act.PRIORITY),
    ("canned", canned.offer, Act.CANNED_MENU),
    ("private", private.work_privately, Act.WORK_PRIVATELY),
    ("remove_member", desk.remove_member, Act.REMOVE_MEMBER),
    ("help", guidance.desk_help, Act.DESK_HELP),
    ("cancel_booking", appointments.offer_cancel, Act.CANCEL_BOOKING),
)


def build_router(scope: Scope) -> Router:
    router = Router(name="desk")
    # Asked at every update: a desk group that Telegram moved is still recognised, even
    # when another process saw the move.
    router.message.filter(scope.in_desk)
    router.edited_message.filter(scope.in_desk)
    chatter = act(Act.DESK_CHATTER)
    router.message.register(group_moved, F.migrate_to_chat_id, flags=chatter)
    # Sent "as the group" (an admin with Remain anonymous on): nobody to trust or answer.
    router.message.register(anonymous, F.sender_chat, flags=chatter)
    for name, use_case, declared in _COMMANDS:
        router.message.register(on_message(use_case), Command(name), flags=act(declared))
    router.message.register(
        reschedule, Command("reschedule"), scope.slots_here, flags=act(Act.RESCHEDULE)
    )
    router.message.register(on_message(client_command_here), Command(*menus.CLIENT), flags=chatter)
    # Every other command stops here: a command is never relayed to a client.
    router.message.register(on_message(unknown_command), is_command, flags=chatter)
    router.message.register(
        on_message(desk.topic_closed_by_hand), F.forum_topic_closed, flags=act(Act.TOPIC_CLOSED)
    )
    router.message.register(on_message(desk.relay_from_agent), flags=act(Act.ANSWER))
    router.edited_message.register(on_message(desk.edit_from_agent), flags=act(Act.EDIT_IN_DESK))
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
