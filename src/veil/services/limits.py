"""Holding back a client over a limit or under a ban, and an agent's bursts of desk
actions: one check per entry point, one notice per spell, an audit entry per refusal."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from veil.domain.audit import Action
from veil.domain.limits import LONGEST_BAN, Ban, LimitKind, judge, parse_duration
from veil.domain.model import Ticket, User
from veil.services.context import Context
from veil.services.people import id_of
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)

BANNED = "ban"  # the notice kind of a ban


async def banned(
    uow: UnitOfWork, ctx: Context, user: User, *, counting: LimitKind | None = None
) -> bool:
    """True when support is closed to this person now; told so once per ban.

    ``counting`` names the limit the caller checks next (over_limit), so that the store
    may read what it counts together with the ban: one round trip less per message."""
    if counting is LimitKind.MESSAGES_PER_HOUR:
        limit = ctx.limits.of(counting)
        await uow.limits.foresee_messages(id_of(user), limit.count, ctx.clock() - limit.window)
    ban = await uow.limits.ban_of(id_of(user))
    if ban is None or not ban.active(ctx.clock()):
        return False
    uow.audit.refused("support", "banned")
    now = ctx.clock()
    told = await uow.limits.told_until(id_of(user), BANNED)
    if told is None or told <= now:
        await uow.limits.tell_until(id_of(user), BANNED, ban.until or now + LONGEST_BAN)
        tell(uow, ctx, user, "banned")
    return True


async def over_limit(uow: UnitOfWork, ctx: Context, user: User, kind: LimitKind) -> bool:
    """True when one more ticket (or message) would pass the client's limit; the client
    is told once, naming the limit and when it lifts, and every refusal is audited."""
    now = ctx.clock()
    limit = ctx.limits.of(kind, await uow.limits.allowance(id_of(user), kind))
    since = now - limit.window
    if kind is LimitKind.TICKETS_PER_DAY:
        latest = await uow.limits.recent_tickets(id_of(user), limit.count, since)
    else:
        latest = await uow.limits.recent_messages(id_of(user), limit.count, since)
    verdict = judge(latest, limit, now)
    if verdict.allowed:
        return False
    uow.audit.refused(kind.value, f"over {limit.count}")
    told = await uow.limits.told_until(id_of(user), kind.value)
    if told is None or told <= now:
        resets = verdict.resets_at or now + limit.window
        await uow.limits.tell_until(id_of(user), kind.value, resets)
        minutes = _minutes(now, resets)
        hours = math.ceil(minutes / 60) if minutes > 90 else 0  # "in 22 hours", not "1,290 min"
        key = f"limit-{kind.value}"
        tell(uow, ctx, user, key, count=limit.count, minutes=minutes, hours=hours)
        log.info("client held back by a limit", extra={"limit": kind.value})
    return True


def _minutes(now: datetime, until: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


@dataclass(frozen=True)
class BanOrder:
    public_id: str
    duration: timedelta | None
    reason: str | None


def parse_ban(args: str) -> BanOrder | str:
    """``SUPP-... [duration] [reason]``: the order, or the text key of what is wrong."""
    words = args.split(maxsplit=2)
    if not words:
        return "ban-usage"
    public_id, rest = words[0].upper(), words[1:]
    duration: timedelta | None = None
    if rest:
        try:
            duration = parse_duration(rest[0])
            rest = rest[1:]
        except ValueError:
            if rest[0][:1].isdigit():
                return "ban-bad-duration"
    reason = " ".join(rest).strip()[:200] or None
    return BanOrder(public_id, duration, reason)


async def ban_client(
    uow: UnitOfWork, ctx: Context, admin: User, ticket: Ticket, order: BanOrder
) -> Ban:
    """Ban the person behind ``ticket`` (the admin never learns who): nothing they send
    reaches the desk until the ban ends or is lifted; they hear of it when they next
    write. Closing their open ticket is the caller's (it tells the desk)."""
    now = ctx.clock()
    until = now + order.duration if order.duration is not None else None
    ban = Ban(ticket.client_id, now, until, order.reason)
    await uow.limits.ban(ban, by=id_of(admin))
    await uow.limits.forget_told(ticket.client_id, BANNED)
    uow.audit.record(
        Action.CLIENT_BANNED,
        ticket.id,
        until=until.isoformat(timespec="seconds") if until else None,
        reason_given=order.reason is not None,
    )
    return ban


async def unban_client(uow: UnitOfWork, ticket: Ticket) -> bool:
    lifted = await uow.limits.unban(ticket.client_id)
    if lifted:
        await uow.limits.forget_told(ticket.client_id, BANNED)
        uow.audit.record(Action.CLIENT_UNBANNED, ticket.id)
    return lifted
