"""The two ways a use case speaks: to a person in their private chat, in their language,
or back into the desk chat (and topic) a message came from, in the desk's language."""

from __future__ import annotations

from datetime import timedelta

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


async def tell_once(
    uow: UnitOfWork,
    ctx: Context,
    user: User,
    key: str,
    within: timedelta,
    buttons: Buttons = (),
    **args: object,
) -> None:
    """``tell``, unless the same was said within ``within``: a script sending hundreds of
    messages the bot cannot take gets one answer, not hundreds."""
    now = ctx.clock()
    told = await uow.limits.told_until(id_of(user), key)
    if told is not None and told > now:
        return
    await uow.limits.tell_until(id_of(user), key, now + within)
    tell(uow, ctx, user, key, buttons, **args)


def answer_in_desk(uow: UnitOfWork, ctx: Context, msg: Incoming, key: str, **args: object) -> None:
    """Say ``key`` where ``msg`` was written in the desk (its chat and topic)."""
    to = RawChat(msg.chat_id, msg.thread_id)
    uow.outbox.add(SendText(to, ctx.desk_text(key, **args)))
