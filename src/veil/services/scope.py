"""Which private messages are Veil's when it shares a bot with a host.

A host bot's clients write to it about bookings all day; Veil takes a message only from
someone in a support conversation (or staff at work), and leaves everything else to the
host. These questions are asked of a unit of work that only looks (see ``SqlStore.peek``).
"""

from __future__ import annotations

from veil.domain.model import Role
from veil.services.context import Context
from veil.services.people import id_of
from veil.services.ports import UnitOfWork


async def in_conversation(uow: UnitOfWork, telegram_id: int) -> bool:
    """A client with an open ticket, or staff working a ticket in their private chat."""
    user = await uow.users.by_telegram_id(telegram_id)
    if user is None:
        return False
    if await uow.tickets.open_for_client(id_of(user)) is not None:
        return True
    return (
        user.can_answer_tickets and await uow.tickets.worked_privately_by(id_of(user)) is not None
    )


async def has_tickets(uow: UnitOfWork, telegram_id: int) -> bool:
    """Someone who has talked with support before (their /tickets are Veil's to answer)."""
    user = await uow.users.by_telegram_id(telegram_id)
    return user is not None and await uow.tickets.count_for_client(id_of(user)) > 0


async def is_staff(uow: UnitOfWork, ctx: Context, telegram_id: int) -> bool:
    """An agent or admin: by Veil's records, the host's, or the settings' admin list."""
    if telegram_id in ctx.admin_ids:
        return True
    user = await uow.users.by_telegram_id(telegram_id)
    if user is None:  # not met yet: the host's records may still make them staff
        return await uow.users.host_role(telegram_id) in (Role.ADMIN, Role.SUPPORT_AGENT)
    return user.can_answer_tickets
