"""Silent tickets: the client warned once, then the ticket closed (the client told why
and how to come back, the topic closed, the owner freed)."""

from __future__ import annotations

import logging
from datetime import timedelta

from veil.domain.metrics import humanise
from veil.domain.model import ClosedBy, Idle
from veil.services import desk, routing
from veil.services.context import Context
from veil.services.deliveries import SendText, UserChat
from veil.services.ports import UnitOfWork

log = logging.getLogger(__name__)

SILENT_PER_UNIT = 50


@routing.changes_holdings
async def close_silent(uow: UnitOfWork, ctx: Context) -> int:
    """Warn or close the silent tickets whose time has come; returns how many were
    looked at (a full batch means there may be more)."""
    now = ctx.clock()
    close_cutoff = now - ctx.auto_close
    warn_cutoff = now - max(ctx.auto_close - ctx.auto_close_warning, timedelta(0))
    silent = await uow.tickets.silent(close_cutoff, warn_cutoff, SILENT_PER_UNIT)
    for ticket in silent:
        match ticket.idle(now, ctx.auto_close, ctx.auto_close_warning):
            case Idle.CLOSE:
                await desk.close_ticket(uow, ctx, ticket, by=ClosedBy.SYSTEM)
            case Idle.WARN:
                ticket.idle_warned_at = now
                client = await uow.users.get(ticket.client_id)
                language = client.language if client is not None else None
                left = humanise(ticket.last_activity_at + ctx.auto_close - now)
                text = ctx.texts(language, "auto-close-warning", ticket=ticket.public_id, left=left)
                uow.outbox.add(SendText(UserChat(ticket.client_id), text))
                log.info("silent ticket warned", extra={"ticket": ticket.public_id})
    return len(silent)
