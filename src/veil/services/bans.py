"""``/ban`` and ``/unban``: an admin stops the person behind a ticket, never learning who."""

from __future__ import annotations

import logging

from veil.domain.audit import Action
from veil.domain.limits import LimitKind
from veil.domain.model import ClosedBy
from veil.services import desk, routing
from veil.services.context import Context, Sender
from veil.services.deliveries import SendText, TicketTopic
from veil.services.limits import BanOrder, ban_client, parse_ban, unban_client
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)


@routing.changes_holdings
async def ban(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    order = parse_ban(args)
    if not isinstance(order, BanOrder):
        tell(uow, ctx, admin, order)
        return
    ticket = await uow.tickets.by_public_id(order.public_id)
    if ticket is None:
        tell(uow, ctx, admin, "ban-unknown-ticket", ticket=order.public_id)
        return
    banned = await ban_client(uow, ctx, admin, ticket, order)
    current = await uow.tickets.open_for_client(ticket.client_id)
    if current is not None:
        uow.outbox.add(SendText(TicketTopic(id_of(current)), ctx.desk_text("desk-client-banned")))
        await desk.close_ticket(uow, ctx, current, by=ClosedBy.AGENT, ask_rating=False)
    if banned.until is None:
        tell(uow, ctx, admin, "ban-done-forever", ticket=ticket.public_id)
    else:
        minutes = int((banned.until - banned.since).total_seconds() // 60)
        tell(uow, ctx, admin, "ban-done", ticket=ticket.public_id, minutes=minutes)
    log.info("client banned", extra={"ticket": ticket.public_id})


async def unban(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    words = args.split()
    ticket = await uow.tickets.by_public_id(words[0].upper()) if words else None
    if ticket is None:
        tell(
            uow,
            ctx,
            admin,
            "unban-usage" if not words else "ban-unknown-ticket",
            ticket=words[0] if words else "",
        )
        return
    lifted = await unban_client(uow, ticket)
    tell(uow, ctx, admin, "unban-done" if lifted else "unban-not-banned", ticket=ticket.public_id)


_ALLOWANCES = {"tickets": LimitKind.TICKETS_PER_DAY, "messages": LimitKind.MESSAGES_PER_HOUR}


async def allow(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    """``/allow SUPP-... tickets|messages <count|default>``: another limit for the person
    behind a ticket (tickets a day, messages an hour), or the settings' again."""
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    words = args.split()
    kind = _ALLOWANCES.get(words[1].lower()) if len(words) == 3 else None
    amount = words[2] if len(words) == 3 else ""
    if kind is None or not (
        (amount.isdecimal() and 0 < int(amount) <= 100_000) or amount == "default"
    ):
        tell(uow, ctx, admin, "allow-usage")
        return
    ticket = await uow.tickets.by_public_id(words[0].upper())
    if ticket is None:
        tell(uow, ctx, admin, "ban-unknown-ticket", ticket=words[0])
        return
    allowance = None if amount == "default" else int(amount)
    await uow.limits.set_allowance(ticket.client_id, kind, allowance, id_of(admin), ctx.clock())
    uow.audit.record(Action.LIMIT_SET, ticket.id, kind=kind.value, allowance=allowance)
    shown = allowance if allowance is not None else ctx.limits.of(kind).count
    tell(uow, ctx, admin, f"allow-done-{kind.value}", ticket=ticket.public_id, count=shown)
