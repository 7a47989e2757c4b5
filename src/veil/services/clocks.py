"""A ticket's SLA clocks kept in step with what happens to it (domain/sla.py).

Called from the few places every path of a ticket goes through (its opening, the one
way a message is recorded, the one way a ticket closes, a change of priority), so that
no use case has to remember the clocks.
"""

from __future__ import annotations

from veil.domain import sla
from veil.domain.model import Direction, Ticket
from veil.services.context import Context
from veil.services.people import id_of
from veil.services.ports import UnitOfWork


async def opened(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> None:
    ticket.awaiting_reply_since = ticket.created_at  # the first response is awaited
    for run in sla.opened(id_of(ticket), ticket.priority, ctx.clock(), ctx.sla):
        await uow.sla.add(run)


async def message_recorded(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, direction: Direction
) -> None:
    """A client's message starts or resumes clocks; an agent's message to the client
    stops the response clocks. An internal note changes nothing."""
    if direction is Direction.NOTE:
        return
    # Only the first message of a side's turn changes a clock: a client's second message
    # before an answer, or an agent's second in a row, reads nothing (the hot path).
    if direction is Direction.FROM_AGENT:
        if ticket.awaiting_reply_since is None:
            return
        ticket.awaiting_reply_since = None
        running = await uow.sla.running(id_of(ticket))
        sla.agent_answered(running, ctx.clock(), ctx.sla, owner_of(ticket))
        return
    if ticket.awaiting_reply_since is not None:
        return
    ticket.awaiting_reply_since = ctx.clock()
    running = await uow.sla.running(id_of(ticket))
    for run in sla.client_wrote(running, id_of(ticket), ticket.priority, ctx.clock(), ctx.sla):
        await uow.sla.add(run)


async def closed(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> None:
    assert ticket.closed_by is not None, "the ticket is closed first"
    ticket.awaiting_reply_since = None  # whoever writes next starts a new turn
    running = await uow.sla.running(id_of(ticket))
    sla.closed(running, ctx.clock(), ctx.sla, owner_of(ticket), ticket.closed_by)


async def reopened(uow: UnitOfWork, ticket: Ticket) -> None:
    """The close before counts as one the ticket came back from (the reopen rate)."""
    last = await uow.sla.last_resolution(id_of(ticket))
    if last is not None:
        last.reopened = True


async def reprioritised(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> None:
    sla.reprioritised(await uow.sla.running(id_of(ticket)), ticket.priority, ctx.sla)


def owner_of(ticket: Ticket) -> sla.Owner:
    return sla.Owner(ticket.assigned_agent_id, ticket.required_level)
