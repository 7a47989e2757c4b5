"""Desk commands that change who holds a ticket, or how urgent it is."""

from __future__ import annotations

import logging

from veil.domain.content import command_args
from veil.domain.model import Level, Priority, Ticket, User
from veil.domain.routing import next_level, outranks_or_equals
from veil.services import clocks, routing
from veil.services.agents import ensure_agent
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import RawChat, RefreshCard, SendText
from veil.services.desk import ticket_of_topic
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.say import answer_in_desk

log = logging.getLogger(__name__)
QUEUE = "queue"


@routing.changes_holdings
async def take(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/take``: an agent of the ticket's level or above takes it over."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    refusal = await _take(uow, ctx, *found)
    if refusal is not None:
        uow.outbox.add(SendText(RawChat(msg.chat_id, msg.thread_id), refusal))


@routing.changes_holdings
async def take_from_button(
    uow: UnitOfWork, ctx: Context, sender: Sender, public_id: str, chat_id: int
) -> str | None:
    """The card's Take button, pressed in ``chat_id``; returns a notice for the presser."""
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.by_public_id(public_id)
    if ticket is None or not ctx.desks.holds(ticket.desk_chat_id, chat_id):
        return ctx.desk_text("notice-unknown-ticket")
    if ticket.is_closed:
        return ctx.desk_text("desk-ticket-closed", ticket=ticket.public_id)
    return await _take(uow, ctx, user, ticket)


async def _take(uow: UnitOfWork, ctx: Context, user: User, ticket: Ticket) -> str | None:
    """Hand the ticket to ``user``, or say why not."""
    agent = await ensure_agent(uow, ctx, user)
    if agent is None:  # the guard admitted agents of the ticket's level only (Act.TAKE)
        return ctx.desk_text("desk-take-level", level=ticket.required_level.value)
    if ticket.assigned_agent_id == agent.agent_id:
        return ctx.desk_text("desk-take-already")
    if agent.open_tickets >= agent.capacity:
        return ctx.desk_text("desk-take-full", capacity=agent.capacity)
    await routing.assign(uow, ctx, ticket, agent, "take")
    await routing.route(uow, ctx)  # the previous owner may have room for the queue now
    return None


@routing.changes_holdings
async def transfer(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/transfer Agent-7`` hands the ticket over; ``/transfer queue`` puts it back."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    _, ticket = found
    target = command_args(msg.text or "")
    if not target:
        answer_in_desk(uow, ctx, msg, "desk-transfer-usage")
        return
    if target.lower() == QUEUE:
        previous = await routing.release(uow, ctx, ticket, "transfer")
        answer_in_desk(uow, ctx, msg, "desk-back-to-queue")
        uow.outbox.add(RefreshCard(id_of(ticket)))
        await routing.route(uow, ctx, exclude=previous.agent_id if previous else None)
        return
    agent = await uow.agents.by_alias(target)
    if agent is None:
        answer_in_desk(uow, ctx, msg, "desk-transfer-unknown", alias=target[:40])
    elif not outranks_or_equals(agent.level, ticket.required_level):
        answer_in_desk(
            uow,
            ctx,
            msg,
            "desk-transfer-level",
            alias=agent.alias,
            level=ticket.required_level.value,
        )
    elif agent.open_tickets >= agent.capacity:
        answer_in_desk(uow, ctx, msg, "desk-transfer-full", alias=agent.alias)
    elif ticket.assigned_agent_id == agent.agent_id:
        answer_in_desk(uow, ctx, msg, "desk-take-already")
    else:
        await routing.assign(uow, ctx, ticket, agent, "transfer")
        await routing.route(uow, ctx)


@routing.changes_holdings
async def escalate(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/escalate [reason]``: the next level up takes over, told why and what happened."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    user, ticket = found
    higher = next_level(ticket.required_level)
    if higher is None:
        answer_in_desk(uow, ctx, msg, "desk-escalate-top")
        return
    reason = command_args(msg.text or "") or ctx.desk_text("desk-escalate-no-reason")
    by = await ensure_agent(uow, ctx, user)
    answer_in_desk(
        uow,
        ctx,
        msg,
        "desk-escalated",
        level=higher.value,
        by=by.alias if by else "admin",
        reason=reason,
    )
    await escalate_ticket(uow, ctx, ticket, higher, reason)


async def escalate_ticket(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, higher: Level, reason: str
) -> None:
    """The one way a ticket goes up a level (by hand or on an SLA breach): an owner who
    cannot work the new level lets go, and it is routed again. Callers hold the routing
    lock (``@routing.changes_holdings``)."""
    ticket.escalate(higher, reason)
    owner = ticket.assigned_agent_id
    if owner is not None:
        current = await uow.agents.get(owner)
        if current is None or not outranks_or_equals(current.level, higher):
            await routing.release(uow, ctx, ticket, "escalate")
    uow.outbox.add(RefreshCard(id_of(ticket)))
    await routing.route(uow, ctx)  # whoever gets it now, or later, is briefed then


@routing.changes_holdings
async def set_priority(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/priority <low|normal|high|urgent>``."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    _, ticket = found
    try:
        priority = Priority(command_args(msg.text or "").lower())
    except ValueError:
        answer_in_desk(uow, ctx, msg, "desk-priority-usage")
        return
    ticket.reprioritise(priority)
    await clocks.reprioritised(uow, ctx, ticket)
    answer_in_desk(uow, ctx, msg, "desk-priority-set", priority=priority.value)
    uow.outbox.add(RefreshCard(id_of(ticket)))
