"""Giving tickets owners: automatic assignment, the queue, releases.

Every change that can free capacity or add demand (a ticket opened or closed, an agent
online, a capacity raised, an owner gone) ends with ``route``. Routing takes a lock that
serialises it across processes, loads the agents with room and the head of the queue,
lets the domain's ``plan`` decide, and writes the decisions in the same transaction.

Every unit of work that changes who holds what (opening, closing, hand-overs, agents'
status and capacity) takes the routing lock *before it reads anything*. Reading first
would let two processes act on the same stale row: a ticket closed twice releases its
owner twice, and the owner's load drifts below the truth (the race test catches it).
Such a use case says so with ``@changes_holdings``, which takes the lock first thing;
the store refuses the lock once tickets, agents or assignments were read without it, and
``assign``, ``release`` and ``route`` ask for it, so a use case that forgets fails the
first time it runs, in every test that reaches it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from veil.domain.agents import Agent, AssignmentRecord
from veil.domain.cleaning import clean
from veil.domain.content import TEXT_LIMIT
from veil.domain.ids import client_alias
from veil.domain.model import Ticket
from veil.domain.routing import (
    LEVEL_RANK,
    AgentLoad,
    plan,
)
from veil.domain.text import utf16_clip, utf16_len
from veil.services.context import Context
from veil.services.deliveries import RefreshCard, SendText, TicketTopic, UserChat
from veil.services.people import id_of
from veil.services.ports import RoutingLockNeeded, RoutingLockTooLate, UnitOfWork

log = logging.getLogger(__name__)
BRIEF_MESSAGES = 15
BRIEF_LINE = 300  # UTF-16 units of one message in an escalation brief

P = ParamSpec("P")
R = TypeVar("R")


def changes_holdings(
    use_case: Callable[Concatenate[UnitOfWork, P], Awaitable[R]],
) -> Callable[Concatenate[UnitOfWork, P], Awaitable[R]]:
    """Declare that a use case may change who holds which ticket: its unit of work takes
    the routing lock before the use case reads anything."""

    @functools.wraps(use_case)
    async def locked(uow: UnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> R:
        await uow.agents.lock_routing()
        return await use_case(uow, *args, **kwargs)

    return locked


def can_take(agent: Agent, ticket: Ticket) -> bool:
    """Could ``agent`` own ``ticket`` now (online, room left, level enough)? The rule
    routing's plan applies."""
    load = AgentLoad(agent.agent_id, agent.level, agent.status, agent.capacity, agent.open_tickets)
    return load.can_take(ticket.required_level)


async def lock_or_redo(uow: UnitOfWork) -> None:
    """Take the routing lock now, or, when this unit of work has read holdings already,
    have the whole update handled again with the lock taken first."""
    try:
        await uow.agents.lock_routing()
    except RoutingLockTooLate:
        raise RoutingLockNeeded from None


async def route(uow: UnitOfWork, ctx: Context, *, exclude: int | None = None) -> int:
    """Assign every waiting ticket that an agent with room can take; returns how many.

    ``exclude`` keeps one agent out of this round (one who just handed a ticket back).
    """
    await uow.agents.lock_routing()
    made = 0
    while True:
        # Plain snapshots for the decision; entities only for what is decided.
        agents = [a for a in await uow.agents.with_room() if a.agent_id != exclude]
        if not agents:
            return made
        top = max(LEVEL_RANK[a.level] for a in agents)
        levels = [level for level, rank in LEVEL_RANK.items() if rank <= top]
        spare = sum(a.spare for a in agents)
        waiting = await uow.tickets.queue_head(levels, spare)
        decisions = plan(agents, waiting, ctx.clock())
        if not decisions:
            return made
        for decision in decisions:
            ticket = await uow.tickets.get(decision.ticket_id)
            agent = await uow.agents.get(decision.agent_id)
            if ticket is None or agent is None:
                raise LookupError(f"routing decided on a missing row: {decision}")
            await assign(uow, ctx, ticket, agent, "auto")
        made += len(decisions)
        if len(waiting) < spare:
            return made  # the whole queue this room could serve was considered


async def assign(uow: UnitOfWork, ctx: Context, ticket: Ticket, agent: Agent, reason: str) -> None:
    """Make ``agent`` the owner of ``ticket`` (releasing any previous owner first)."""
    await uow.agents.lock_routing()
    now = ctx.clock()
    had_owner = ticket.assigned_agent_id is not None
    in_private = ticket.private_agent_id == agent.agent_id  # taking what they work already
    if had_owner:
        await release(uow, ctx, ticket, reason, keeping=agent.agent_id)
    ticket.assign(agent.agent_id)
    if in_private:
        ticket.work_privately(agent.agent_id)
    agent.took(now)
    await uow.assignments.add(AssignmentRecord(id_of(ticket), agent.agent_id, reason, now))
    user = await uow.users.get(agent.agent_id)
    topic = TicketTopic(id_of(ticket))
    text = ctx.desk_text("desk-assigned", agent=agent.alias, reason=reason)
    mention: tuple[dict[str, Any], ...] = ()
    if user is not None:
        # A mention makes Telegram notify the owner; it stays inside the desk.
        shown = clean(agent.alias)  # as the catalog put it in the text
        start = text.index(shown)
        mention = (
            {
                "type": "text_mention",
                # Telegram counts offsets in UTF-16 units: an emoji before is two.
                "offset": utf16_len(text[:start]),
                "length": utf16_len(shown),
                "user": {"id": user.telegram_id, "is_bot": False, "first_name": agent.alias},
            },
        )
    uow.outbox.add(SendText(topic, text, entities=mention))
    uow.outbox.add(RefreshCard(id_of(ticket)))
    if ticket.escalation_reason is not None:
        await _brief(uow, ctx, agent, ticket, ticket.escalation_reason)
        ticket.escalation_reason = None
    if not had_owner:
        client = await uow.users.get(ticket.client_id)
        language = client.language if client is not None else None
        uow.outbox.add(SendText(UserChat(ticket.client_id), ctx.texts(language, "agent-joined")))
    log.info(
        "ticket assigned",
        extra={"ticket": ticket.public_id, "agent": agent.alias, "reason": reason},
    )


async def _brief(uow: UnitOfWork, ctx: Context, agent: Agent, ticket: Ticket, reason: str) -> None:
    """An escalated ticket's new owner gets the reason and the history in private."""
    user = await uow.users.get(agent.agent_id)
    if user is None:
        return
    history = await uow.messages.for_ticket(id_of(ticket), include_internal=True)
    lines = [
        ctx.texts(
            user.language,
            "escalation-brief",
            ticket=ticket.public_id,
            level=ticket.required_level.value,
            reason=reason,
        )
    ]
    for m in history[-BRIEF_MESSAGES:]:
        who = ctx.texts(user.language, f"history-{m.direction.value}")
        # One line per message, whatever it holds: a client's line break cannot start a
        # line that looks like Veil's own.
        said = " ".join(clean(m.text or f"[{m.kind}]").split())
        lines.append(utf16_clip(f"{who}: {said}", BRIEF_LINE))
    uow.outbox.add(SendText(UserChat(agent.agent_id), utf16_clip("\n".join(lines), TEXT_LIMIT)))


async def release(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, reason: str, *, keeping: int | None = None
) -> Agent | None:
    """The ticket's owner lets go of it (closed, transferred, escalated, gone offline).
    ``keeping``: the agent it goes to at once, who is not told they lost it."""
    await uow.agents.lock_routing()
    private = ticket.private_agent_id
    previous = ticket.release()
    if private is not None and private != keeping:
        # Whoever worked it in private learns it is gone, or their next answer would be
        # taken for a client's message to support.
        told = ctx.desk_text("private-taken-away", client=client_alias(ticket.public_id))
        uow.outbox.add(SendText(UserChat(private), told))
    if previous is None:
        return None
    record = await uow.assignments.current(id_of(ticket))
    if record is not None:
        record.end(reason, ctx.clock())
    agent = await uow.agents.get(previous)
    if agent is not None:
        agent.released()
    return agent


async def tell_queue_position(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> None:
    """A client whose ticket waits learns where they stand."""
    if not ticket.is_waiting:
        return
    position = await uow.tickets.queue_position(ticket)
    client = await uow.users.get(ticket.client_id)
    language = client.language if client is not None else None
    uow.outbox.add(
        SendText(
            UserChat(ticket.client_id), ctx.texts(language, "queue-position", position=position)
        )
    )
