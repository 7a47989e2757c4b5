"""Who may work a ticket: one rule for answers, edits, closes and private delivery."""

from __future__ import annotations

from veil.domain.model import Ticket, User
from veil.domain.routing import LEVEL_RANK, outranks_or_equals
from veil.services.agents import ensure_agent
from veil.services.context import Context
from veil.services.ports import UnitOfWork


async def may_act(uow: UnitOfWork, ctx: Context, user: User, ticket: Ticket) -> bool:
    """The owner, an agent of a higher level than the owner, or an admin may answer the
    client or change the ticket; an unowned ticket is open to its level and above."""
    if user.is_admin or ticket.assigned_agent_id == user.id:
        return True
    agent = await ensure_agent(uow, ctx, user)
    if agent is None:
        return False
    if ticket.assigned_agent_id is None:
        return outranks_or_equals(agent.level, ticket.required_level)
    owner = await uow.agents.get(ticket.assigned_agent_id)
    return owner is None or LEVEL_RANK[agent.level] > LEVEL_RANK[owner.level]
