"""What the desk watches over time: agents gone offline, and a queue that waits too long."""

from __future__ import annotations

import logging
from datetime import timedelta

from veil.domain.agents import AgentStatus
from veil.domain.model import Level
from veil.domain.routing import outranks_or_equals
from veil.services import routing
from veil.services.context import Context
from veil.services.deliveries import RawChat, RefreshCard, SendText, TicketTopic, UserChat
from veil.services.people import id_of
from veil.services.ports import UnitOfWork

log = logging.getLogger(__name__)

QUEUE_ALERT = "queue-wait"
QUEUE_LOOKED_AT = 1_000  # the head of the queue is where the long waits are


@routing.changes_holdings
async def requeue_from_offline(uow: UnitOfWork, ctx: Context, grace: timedelta) -> int:
    """Tickets of agents offline for longer than ``grace`` go back to the queue."""
    cutoff = ctx.clock() - grace
    moved = 0
    for agent in await uow.agents.all():
        since = agent.status_changed_at
        if agent.status is not AgentStatus.OFFLINE or since is None or since > cutoff:
            continue
        if agent.open_tickets == 0:
            continue
        for ticket in await uow.tickets.open_for_agent(agent.agent_id):
            await routing.release(uow, ctx, ticket, "offline")
            uow.outbox.add(
                SendText(
                    TicketTopic(id_of(ticket)),
                    ctx.desk_text("desk-owner-offline", agent=agent.alias),
                )
            )
            uow.outbox.add(RefreshCard(id_of(ticket)))
            moved += 1
    if moved:
        await routing.route(uow, ctx)
        log.info("tickets of offline agents requeued", extra={"count": moved})
    return moved


async def watch_queue(uow: UnitOfWork, ctx: Context, threshold: timedelta) -> bool:
    """One alert in the desk (not one per ticket) when the longest wait passes
    ``threshold``; away agents who could help are pinged once. True when raised now."""
    waiting = await uow.tickets.waiting(list(Level), QUEUE_LOOKED_AT)
    now = ctx.clock()
    late = [t for t in waiting if now - t.created_at > threshold]
    raised = await uow.alerts.active_since(QUEUE_ALERT)
    if not late:
        if raised is not None:
            await uow.alerts.clear(QUEUE_ALERT, now)
        return False
    if raised is not None:
        return False  # already told; not again until the queue has recovered
    await uow.alerts.raise_alert(QUEUE_ALERT, now)
    longest = max(int((now - t.created_at).total_seconds() // 60) for t in late)
    uow.outbox.add(
        SendText(
            RawChat(ctx.desks.primary),
            ctx.desk_text("desk-queue-alert", count=len(waiting), late=len(late), minutes=longest),
        )
    )
    needed = {t.required_level for t in late}
    for agent in await uow.agents.all():
        if agent.status is AgentStatus.AWAY and any(
            outranks_or_equals(agent.level, level) for level in needed
        ):
            user = await uow.users.get(agent.agent_id)
            language = user.language if user is not None else None
            uow.outbox.add(
                SendText(
                    UserChat(agent.agent_id),
                    ctx.texts(language, "away-ping", late=len(late), minutes=longest),
                )
            )
    log.warning("queue alert raised", extra={"late": len(late), "minutes": longest})
    return True
