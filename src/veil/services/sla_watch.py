"""Looking at the SLA clocks that are due: warn the owner, record and act on a breach.

A first-response breach escalates the ticket one level and routes it again (the reason
on its card and in the audit log); at L3 there is nobody higher, so the admins are
alerted instead. Each run is looked at by one unit of work at a time (``uow.sla.due``)
and what it finds is written on the run in the same transaction as its effects, so each
warning and each breach happens once, whatever the number of instances.
"""

from __future__ import annotations

import logging

from veil.domain.audit import Action
from veil.domain.metrics import humanise
from veil.domain.model import Role, Ticket
from veil.domain.routing import next_level
from veil.domain.sla import ClockRun, Finding, SlaClock
from veil.services import handover, routing
from veil.services.context import Context
from veil.services.deliveries import SendText, TicketTopic, UserChat
from veil.services.ports import UnitOfWork

log = logging.getLogger(__name__)

LOOKS_PER_UNIT = 50  # runs looked at in one transaction


@routing.changes_holdings
async def look_at_due_clocks(uow: UnitOfWork, ctx: Context) -> int:
    """Look at the runs whose check has come; returns how many were due (a full batch
    means there may be more)."""
    now = ctx.clock()
    due = await uow.sla.due(now, LOOKS_PER_UNIT)
    for run in due:
        finding = run.look(now, ctx.sla)
        if finding is None:
            continue
        ticket = await uow.tickets.get(run.ticket_id)
        if ticket is None or ticket.is_closed:
            continue
        match finding:
            case Finding.WARNED:
                await _warn(uow, ctx, ticket, run)
            case Finding.BREACHED:
                await _breached(uow, ctx, ticket, run)
            case Finding.STILL_MISSED:
                await _up_or_alert(uow, ctx, ticket, run)
    return len(due)


async def _warn(uow: UnitOfWork, ctx: Context, ticket: Ticket, run: ClockRun) -> None:
    assert ticket.id is not None
    due = run.due(ctx.sla.hours)
    left = humanise(due - ctx.clock()) if due is not None else humanise(None)
    owner = await uow.agents.get(ticket.assigned_agent_id) if ticket.assigned_agent_id else None
    text = ctx.desk_text(
        "desk-sla-warning" if owner is not None else "desk-sla-warning-unowned",
        clock=run.clock.value,
        target=humanise(run.target),
        priority=ticket.priority.value,
        left=left,
        owner=owner.alias if owner is not None else "",
    )
    uow.outbox.add(SendText(TicketTopic(ticket.id), text))
    uow.audit.record(Action.SLA_WARNED, ticket.id, clock=run.clock.value)


async def _breached(uow: UnitOfWork, ctx: Context, ticket: Ticket, run: ClockRun) -> None:
    assert ticket.id is not None
    target = humanise(run.target)
    run.agent_id, run.level = ticket.assigned_agent_id, ticket.required_level
    uow.audit.record(
        Action.SLA_BREACHED,
        ticket.id,
        clock=run.clock.value,
        target_seconds=int(run.target.total_seconds()),
        level=ticket.required_level.value,
    )
    text = ctx.desk_text(
        "desk-sla-breached", clock=run.clock.value, target=target, priority=ticket.priority.value
    )
    uow.outbox.add(SendText(TicketTopic(ticket.id), text))
    log.warning("SLA missed", extra={"ticket": ticket.public_id, "clock": run.clock.value})
    if run.clock is SlaClock.FIRST_RESPONSE:
        await _up_or_alert(uow, ctx, ticket, run)


async def _up_or_alert(uow: UnitOfWork, ctx: Context, ticket: Ticket, run: ClockRun) -> None:
    """A missing first response: the next level takes over, or, with nobody higher, the
    admins are alerted and the miss is settled."""
    target = humanise(run.target)
    higher = next_level(ticket.required_level)
    if higher is not None:
        reason = ctx.desk_text("desk-sla-escalation-reason", target=target)
        await handover.escalate_ticket(uow, ctx, ticket, higher, reason)
        return
    run.settle()
    for admin in await uow.users.with_role(Role.ADMIN):
        assert admin.id is not None
        uow.outbox.add(
            SendText(
                UserChat(admin.id),
                ctx.texts(
                    admin.language,
                    "admin-sla-top",
                    ticket=ticket.public_id,
                    target=target,
                    priority=ticket.priority.value,
                ),
            )
        )
