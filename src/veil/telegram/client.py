"""The client's private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from veil.domain.appointments import Appointment
from veil.domain.permissions import Act
from veil.services import client, guidance, privacy, private
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.telegram.guard import act
from veil.telegram.handlers import on_message, on_sender
from veil.telegram.incoming import sender_of
from veil.telegram.menus import TOPIC_COMMANDS
from veil.telegram.scope import SUPPORT_ABOUT, Scope

SUPPORT_DEEP_LINK = "support"  # t.me/<bot>?start=support
# Desk commands that act here on the ticket worked in this chat; the others only get told
# where they belong (and so ask for nothing).
_IN_PRIVATE = {"close": Act.CLOSE, "note": Act.NOTE}


def build_router(scope: Scope) -> Router:
    router = Router(name="client")
    router.message.filter(F.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    support_link = CommandStart(deep_link=True, magic=F.args == SUPPORT_DEEP_LINK)
    opening = act(Act.OPEN_SUPPORT)
    router.message.register(on_sender(client.open_ticket), support_link, flags=opening)
    about_link = CommandStart(deep_link=True, magic=F.args.startswith(SUPPORT_ABOUT))
    router.message.register(open_about, about_link, scope.appointment_linked, flags=opening)
    router.message.register(on_sender(client.open_ticket), Command("support"), flags=opening)
    if not scope.shared:  # a host's /start is the host's
        router.message.register(on_sender(client.show_menu), CommandStart(), flags=act(Act.MENU))
    router.message.register(
        on_sender(client.list_tickets),
        Command("tickets"),
        scope.has_tickets,
        flags=act(Act.LIST_TICKETS),
    )
    router.message.register(
        on_sender(privacy.ask_to_forget),
        Command("forget_me"),
        scope.has_tickets,
        flags=act(Act.FORGET_ME),
    )
    # Inside a host, the rest is Veil's only while the person talks with support.
    talking = Router(name="client-conversation")
    talking.message.filter(scope.in_conversation)
    talking.edited_message.filter(scope.in_conversation)
    talking.message.register(on_sender(client.end_chat), Command("end"), flags=act(Act.END_CHAT))
    talking.message.register(on_sender(guidance.show_help), Command("help"), flags=act(Act.HELP))
    # Staff working a ticket here; inside a host, a client's /reschedule is the host's.
    for name in TOPIC_COMMANDS:
        talking.message.register(
            on_message(private.desk_command_in_private),
            Command(name),
            scope.is_staff,
            flags=act(_IN_PRIVATE.get(name, Act.HELP)),
        )
    # An agent may work a ticket from here (/private in its topic); else it is a client.
    talking.message.register(
        on_message(private.relay_private), scope.not_the_hosts_command, flags=act(Act.WRITE)
    )
    talking.edited_message.register(on_message(private.edit_private), flags=act(Act.EDIT))
    router.include_router(talking)
    return router


async def open_about(
    message: Message, uow: UnitOfWork, ctx: Context, appointment: Appointment | None
) -> None:
    """Live Support through a deep link naming an appointment of the host's (described by
    the filter, before this unit of work)."""
    if message.from_user is not None and not message.from_user.is_bot:
        await client.open_ticket(uow, ctx, sender_of(message.from_user), appointment)
