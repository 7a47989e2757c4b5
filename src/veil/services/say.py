"""The two ways a use case speaks: to a person in their private chat, in their language,
or back into the desk chat (and topic) a message came from, in the desk's language."""

from __future__ import annotations

from veil.domain.model import User
from veil.services.context import Context, Incoming
from veil.services.deliveries import Buttons, RawChat, SendText, UserChat
from veil.services.people import id_of
from veil.services.ports import UnitOfWork


def tell(
    uow: UnitOfWork, ctx: Context, user: User, key: str, buttons: Buttons = (), **args: object
) -> None:
    """Say ``key`` to ``user`` in their private chat with the bot."""
    text = ctx.texts(user.language, key, **args)
    uow.outbox.add(SendText(UserChat(id_of(user)), text, buttons=buttons))


def answer_in_desk(uow: UnitOfWork, ctx: Context, msg: Incoming, key: str, **args: object) -> None:
    """Say ``key`` where ``msg`` was written in the desk (its chat and topic)."""
    to = RawChat(msg.chat_id, msg.thread_id)
    uow.outbox.add(SendText(to, ctx.desk_text(key, **args)))
