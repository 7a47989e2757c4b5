"""The client's private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart

from veil.services import client, private
from veil.telegram.handlers import on_message, on_sender

MENU_COMMANDS = ("start", "support", "end", "tickets")
DESK_COMMANDS = (
    "close",
    "note",
    "take",
    "transfer",
    "escalate",
    "priority",
    "canned",
    "private",
)


def build_router() -> Router:
    router = Router(name="client")
    router.message.filter(F.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    router.message.register(on_sender(client.show_menu), CommandStart())
    router.message.register(on_sender(client.open_ticket), Command("support"))
    router.message.register(on_sender(client.end_chat), Command("end"))
    router.message.register(on_sender(client.list_tickets), Command("tickets"))
    router.message.register(on_message(private.desk_command_in_private), Command(*DESK_COMMANDS))
    # An agent may work a ticket from here (/private in its topic); else it is a client.
    router.message.register(on_message(private.relay_private))
    router.edited_message.register(on_message(private.edit_private))
    return router
