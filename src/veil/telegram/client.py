"""The client's private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from veil.services import client
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.telegram.incoming import incoming, sender_of

MENU_COMMANDS = ("start", "support", "end", "tickets")
DESK_COMMANDS = ("close", "note", "take", "transfer", "escalate", "priority", "canned")


def build_router() -> Router:
    router = Router(name="client")
    router.message.filter(F.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    router.message.register(support, Command("support"))
    router.message.register(end, Command("end"))
    router.message.register(tickets, Command("tickets"))
    router.message.register(desk_command_here, Command(*DESK_COMMANDS))
    router.message.register(relay)
    router.edited_message.register(edited)
    return router


async def start(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    if message.from_user is not None:
        await client.show_menu(uow, ctx, sender_of(message.from_user))


async def support(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    if message.from_user is not None:
        await client.open_ticket(uow, ctx, sender_of(message.from_user))


async def end(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    if message.from_user is not None:
        await client.end_chat(uow, ctx, sender_of(message.from_user))


async def tickets(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    if message.from_user is not None:
        await client.list_tickets(uow, ctx, sender_of(message.from_user))


async def desk_command_here(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    if message.from_user is not None:
        await client.wrong_chat(uow, ctx, sender_of(message.from_user))


async def relay(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await client.relay_from_client(uow, ctx, msg)


async def edited(message: Message, uow: UnitOfWork, ctx: Context) -> None:
    msg = incoming(message)
    if msg is not None:
        await client.edit_from_client(uow, ctx, msg)
