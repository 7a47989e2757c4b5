"""Adapters from aiogram's handler shape to a use case's: the routers stay declarative."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import Message

from veil.services.context import Context, Incoming, Sender
from veil.services.ports import UnitOfWork
from veil.telegram.incoming import incoming, sender_of

MessageHandler = Callable[[Message, UnitOfWork, Context], Awaitable[None]]
MessageUseCase = Callable[[UnitOfWork, Context, Incoming], Awaitable[Any]]
SenderUseCase = Callable[[UnitOfWork, Context, Sender], Awaitable[Any]]


def on_message(use_case: MessageUseCase) -> MessageHandler:
    """A handler passing the message, as the use cases see it, to ``use_case``."""

    async def handle(message: Message, uow: UnitOfWork, ctx: Context) -> None:
        msg = incoming(message)
        if msg is not None:  # nobody to trust or answer: channel posts, bots, anonymity
            await use_case(uow, ctx, msg)

    handle.__name__ = use_case.__name__
    return handle


def on_sender(use_case: SenderUseCase) -> MessageHandler:
    """A handler passing only who wrote to ``use_case`` (for commands without content)."""

    async def handle(message: Message, uow: UnitOfWork, ctx: Context) -> None:
        if message.from_user is not None and not message.from_user.is_bot:
            await use_case(uow, ctx, sender_of(message.from_user))

    handle.__name__ = use_case.__name__
    return handle
