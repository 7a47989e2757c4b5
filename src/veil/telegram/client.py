"""The client's private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from veil.services import client, private
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.telegram.handlers import on_message, on_sender
from veil.telegram.incoming import sender_of
from veil.telegram.menus import TOPIC_COMMANDS
from veil.telegram.scope import Scope

SUPPORT_DEEP_LINK = "support"  # t.me/<bot>?start=support
SUPPORT_ABOUT = "support_"  # t.me/<bot>?start=support_<appointment ref>


def build_router(scope: Scope) -> Router:
    router = Router(name="client")
    router.message.filter(F.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    support_link = CommandStart(deep_link=True, magic=F.args == SUPPORT_DEEP_LINK)
    router.message.register(on_sender(client.open_ticket), support_link)
    about_link = CommandStart(deep_link=True, magic=F.args.startswith(SUPPORT_ABOUT))
    router.message.register(open_about, about_link)
    router.message.register(on_sender(client.open_ticket), Command("support"))
    if not scope.shared:  # a host's /start is the host's
        router.message.register(on_sender(client.show_menu), CommandStart())
    router.message.register(on_sender(client.list_tickets), Command("tickets"), scope.has_tickets)
    # Inside a host, the rest is Veil's only while the person talks with support.
    talking = Router(name="client-conversation")
    talking.message.filter(scope.in_conversation)
    talking.edited_message.filter(scope.in_conversation)
    talking.message.register(on_sender(client.end_chat), Command("end"))
    talking.message.register(on_message(private.desk_command_in_private), Command(*TOPIC_COMMANDS))
    # An agent may work a ticket from here (/private in its topic); else it is a client.
    talking.message.register(on_message(private.relay_private), scope.not_the_hosts_command)
    talking.edited_message.register(on_message(private.edit_private))
    router.include_router(talking)
    return router


async def open_about(
    message: Message, command: CommandObject, uow: UnitOfWork, ctx: Context
) -> None:
    """Live Support through a deep link naming an appointment of the host's."""
    if message.from_user is not None and not message.from_user.is_bot and command.args:
        ref = command.args.removeprefix(SUPPORT_ABOUT)
        await client.open_ticket(uow, ctx, sender_of(message.from_user), ref)
