"""The filters that keep Veil's routers to Veil's updates.

As a bot of its own, Veil answers everything (``shared`` is False and no filter looks
anything up). Inside a host bot it takes a private message only from someone in a
support conversation or from staff, and a button press only when the payload is one of
Veil's; all else falls through to the host's handlers, untouched. The lookups use a unit
of work that only looks, so a host's update never takes a write lock or a transaction
of Veil's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from aiogram.types import CallbackQuery, Message

from veil.services import actions, canned, outbound, scope
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.telegram.incoming import is_command

Peek = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


@dataclass
class Scope:
    peek: Peek
    context: Callable[[], Context]
    shared: bool

    async def in_conversation(self, message: Message) -> bool:
        return await self._ask(message, scope.in_conversation)

    async def has_tickets(self, message: Message) -> bool:
        return await self._ask(message, scope.has_tickets)

    async def is_staff(self, message: Message) -> bool:
        ctx = self.context()

        async def staff(uow: UnitOfWork, telegram_id: int) -> bool:
            return await scope.is_staff(uow, ctx, telegram_id)

        return await self._ask(message, staff)

    async def in_desk(self, message: Message) -> bool:
        """One of the desk groups (in either mode): known ids without a lookup, and a
        group Telegram moved, seen by another process, through the stored moves."""
        ctx = self.context()
        if ctx.desks.is_desk(message.chat.id) or message.chat.id >= 0:
            return ctx.desks.is_desk(message.chat.id)
        async with self.peek() as uow:
            return await outbound.is_desk_chat(uow, ctx, message.chat.id)

    def not_the_hosts_command(self, message: Message) -> bool:
        """Inside a host, a command Veil does not know (the host's /book) is the host's,
        even from someone talking with support; as a bot of its own, Veil answers it."""
        return not self.shared or not is_command(message)

    def veils_button(self, query: CallbackQuery) -> bool:
        if not self.shared:
            return True  # a bot of its own answers a stale or forged press, too
        return actions.parse(query.data) is not None or canned.parse(query.data) is not None

    async def _ask(
        self, message: Message, question: Callable[[UnitOfWork, int], Awaitable[bool]]
    ) -> bool:
        if not self.shared:
            return True
        if message.from_user is None or message.from_user.is_bot:
            return False
        async with self.peek() as uow:
            return await question(uow, message.from_user.id)
