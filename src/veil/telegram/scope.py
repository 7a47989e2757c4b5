"""The filters that keep Veil's routers to Veil's updates.

As a bot of its own, Veil answers everything (``shared`` is False and no filter looks
anything up). Inside a host bot it takes a private message only from someone in a
support conversation or from staff, and a button press only when the payload is one of
Veil's; all else falls through to the host's handlers, untouched. The lookups use a unit
of work that only looks, so a host's update never takes a write lock or a transaction
of Veil's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram.types import CallbackQuery, Message

from veil.domain.appointments import Appointment
from veil.services import appointments, outbound, scope
from veil.services.context import Context
from veil.services.ports import UnitOfWork
from veil.services.presses import OpenSupport, Press
from veil.telegram.incoming import is_command
from veil.telegram.presses import PressCodec, Unread, chat_of, thread_of

log = logging.getLogger(__name__)

Peek = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
T = TypeVar("T")
SUPPORT_ABOUT = "support_"  # t.me/<bot>?start=support_<appointment ref>


@dataclass
class Scope:
    peek: Peek
    context: Callable[[], Context]
    shared: bool
    presses: PressCodec

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
        chat = message.chat.id
        return bool(await self._safely(lambda uow: outbound.is_desk_chat(uow, ctx, chat)))

    # -- what the host says, asked before Veil's unit of work begins --------------------

    async def appointment_pressed(self, query: CallbackQuery) -> dict[str, Any] | bool:
        """Live Support pressed on an appointment: the host's description of it (or None),
        for the handler; False for any other button."""
        press = self.presses.read(query.data, chat_of(query), thread_of(query))
        if not isinstance(press, OpenSupport) or press.about is None:
            return False
        found = await appointments.describe(self.context(), query.from_user.id, press.about)
        return {"appointment": found}

    async def appointment_linked(self, message: Message) -> dict[str, Any]:
        """The deep link ?start=support_<ref>: the host's description of the appointment."""
        ref = (message.text or "").partition(" ")[2].removeprefix(SUPPORT_ABOUT)
        who = message.from_user.id if message.from_user is not None else 0
        return {"appointment": await appointments.describe(self.context(), who, ref)}

    async def slots_here(self, message: Message) -> dict[str, Any]:
        """/reschedule in a topic: the host's free slots for the ticket's appointment."""
        ctx = self.context()
        nothing = {"slots": appointments.SlotsAnswer(None)}
        if message.message_thread_id is None or ctx.appointments is None:
            return nothing

        async def about(uow: UnitOfWork) -> tuple[int, Appointment] | None:
            assert message.message_thread_id is not None
            ticket = await uow.tickets.by_topic(message.chat.id, message.message_thread_id)
            client = await uow.users.get(ticket.client_id) if ticket is not None else None
            if ticket is None or ticket.about is None or client is None:
                return None
            return client.telegram_id, ticket.about

        found = await self._safely(about)
        if not found:
            return nothing
        return {"slots": await appointments.slots_for(ctx, found[0], found[1])}

    def not_the_hosts_command(self, message: Message) -> bool:
        """Inside a host, a command Veil does not know (the host's /book) is the host's,
        even from someone talking with support; as a bot of its own, Veil answers it."""
        return not self.shared or not is_command(message)

    def press_of(self, kind: type[Press]) -> Callable[[CallbackQuery], dict[str, Any] | bool]:
        """A filter for presses of one kind: the press, read and its tag checked."""

        def read(query: CallbackQuery) -> dict[str, Any] | bool:
            if self.presses.kind_of(query.data) is not kind:
                return False  # cheap: the prefix alone, before any tag is computed
            press = self.presses.read(query.data, chat_of(query), thread_of(query))
            return {"press": press} if isinstance(press, kind) else False

        return read

    def unread_press(self, query: CallbackQuery) -> dict[str, Any] | bool:
        """A press of Veil's (or, as a bot of its own, any press) that no kind took: why."""
        if not self.veils_button(query):
            return False
        found = self.presses.read(query.data, chat_of(query), thread_of(query))
        return {"unread": found if isinstance(found, Unread) else Unread.NOT_OURS}

    def veils_button(self, query: CallbackQuery) -> bool:
        if not self.shared:
            return True  # a bot of its own answers a stale or forged press, too
        return self.presses.is_ours(query.data)

    async def _ask(
        self, message: Message, question: Callable[[UnitOfWork, int], Awaitable[bool]]
    ) -> bool:
        if not self.shared:
            return True
        if message.from_user is None or message.from_user.is_bot:
            return False
        user_id = message.from_user.id
        return bool(await self._safely(lambda uow: question(uow, user_id)))

    async def _safely(self, look: Callable[[UnitOfWork], Awaitable[T]]) -> T | None:
        """A look at Veil's tables for a filter. One that fails (the database restarting)
        lets the update fall through, logged: a host's update is never lost to it."""
        try:
            async with self.peek() as uow:
                return await look(uow)
        except Exception as exc:  # the boundary: a filter must not take the update down
            log.error("could not tell whether an update is Veil's: %s", type(exc).__name__)
            return None
