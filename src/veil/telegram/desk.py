"""The agents' supergroup: one forum topic per ticket."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from veil.services import desk
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.telegram import client
from veil.telegram.incoming import incoming, is_command


def build_router(desk_chat_id: int) -> Router:
    router = Router(name="desk")
    router.message.filter(F.chat.id == desk_chat_id)
    router.edited_message.filter(F.chat.id == desk_chat_id)
    # Sent "as the group" (an admin with Remain anonymous on): nobody to trust or answer.
    router.message.register(anonymous, F.sender_chat)
    router.message.register(note, Command("note"))
    router.message.register(close, Command("close"))
    router.message.register(client_command_here, Command(*client.MENU_COMMANDS))
    # Every other command stops here: a command is never relayed to a client.
    router.message.register(unknown_command, is_command)
    router.message.register(topic_closed, F.forum_topic_closed)
    router.message.register(relay)
    router.edited_message.register(edited)
    return router


async def anonymous(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    thread = message.message_thread_id if message.is_topic_message else None
    await desk.refuse_anonymous(uow, ctx, message.chat.id, thread)


async def note(message: Message, command: CommandObject, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.add_note(uow, ctx, msg, command.args or "")


async def close(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.close_from_topic(uow, ctx, msg)


async def client_command_here(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.refuse_command(uow, ctx, msg, "desk-wrong-chat")


async def unknown_command(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.refuse_command(uow, ctx, msg, "desk-unknown-command")


async def topic_closed(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.topic_closed_by_hand(uow, ctx, msg)


async def relay(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.relay_from_agent(uow, ctx, msg)


async def edited(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await desk.edit_from_agent(uow, ctx, msg)
