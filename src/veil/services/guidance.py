"""``/help``: what the person asking can do, by who they are (and where they ask)."""

from __future__ import annotations

from veil.services.context import Context, Incoming, Sender
from veil.services.people import ensure_user
from veil.services.ports import UnitOfWork
from veil.services.say import answer_in_desk, tell


async def show_help(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """In a private chat: the clients' commands, and the staff's to those who are staff."""
    user = await ensure_user(uow, ctx, sender)
    keys = ["help-client"]
    if user.can_answer_tickets:
        keys.append("help-agent")
    if user.is_admin:
        keys.append("help-admin")
    text = "\n\n".join(ctx.texts(user.language, key) for key in keys)
    tell(uow, ctx, user, "plain", text=text)


async def desk_help(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """In the desk: the commands of a ticket's topic."""
    answer_in_desk(uow, ctx, msg, "help-desk")
