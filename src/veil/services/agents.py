"""Use cases of agents and admins in their private chats: joining, availability, team."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta

from veil.domain.agents import Agent, AgentError, AgentStatus, Invite, alias_for
from veil.domain.audit import Action
from veil.domain.model import Level, Role, Ticket, User
from veil.services import routing
from veil.services.context import Context, Sender
from veil.services.deliveries import (
    CheckMembership,
    RawChat,
    RemoveFromDesks,
    SendText,
    StaffMenu,
    TicketTopic,
)
from veil.services.people import ensure_user, id_of, set_role
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)

INVITE_PREFIX = "inv_"


def token_hash(token: str) -> str:
    # Only the hash is stored: a leaked database does not leak usable invite links.
    return hashlib.sha256(token.encode()).hexdigest()


def hand_back(
    uow: UnitOfWork, ctx: Context, ticket: Ticket, key: str = "desk-private-ended", **args: object
) -> None:
    """A ticket worked in an agent's private chat is worked in its topic again."""
    ticket.back_to_topic()
    uow.outbox.add(SendText(TicketTopic(id_of(ticket)), ctx.desk_text(key, **args)))


async def ensure_agent(uow: UnitOfWork, ctx: Context, user: User) -> Agent | None:
    """The agent record of someone allowed to answer tickets (made on first need)."""
    if not user.can_answer_tickets:
        return None
    agent = await uow.agents.get(id_of(user))
    if agent is None:
        # Agents named by the CLI start at L1; admins can handle anything.
        level = Level.L3 if user.is_admin else Level.L1
        agent = Agent(id_of(user), alias_for(id_of(user)), level, ctx.default_capacity)
        await uow.agents.add(agent)
    return agent


async def make_agent(uow: UnitOfWork, ctx: Context, telegram_id: int) -> Agent:
    """``veil agents add``: someone becomes an agent (L1 unless they already are one).

    Only Veil's record changes: a host's provider made an agent is still a provider there.
    """
    user = await set_role(uow, ctx, telegram_id, Role.SUPPORT_AGENT, keep_admin=True)
    agent = await ensure_agent(uow, ctx, user)
    assert agent is not None  # a support agent can answer tickets
    uow.outbox.add(StaffMenu(id_of(user)))
    return agent


async def invite(uow: UnitOfWork, ctx: Context, sender: Sender, level_text: str) -> None:
    """``/invite_agent L2``: a one-time, expiring deep link that makes an agent."""
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    try:
        level = Level(level_text.strip().upper())
    except ValueError:
        tell(uow, ctx, admin, "invite-usage")
        return
    now = ctx.clock()
    token = ctx.new_token()
    await uow.invites.add(
        Invite(token_hash(token), level, id_of(admin), now, now + ctx.invite_lifetime)
    )
    link = f"https://t.me/{ctx.bot_username}?start={INVITE_PREFIX}{token}"
    hours = int(ctx.invite_lifetime.total_seconds() // 3600)
    tell(uow, ctx, admin, "invite-created", level=level.value, link=link, hours=hours)


async def accept_invite(uow: UnitOfWork, ctx: Context, sender: Sender, token: str) -> None:
    """Whoever opens a valid invite link becomes an agent of its level."""
    user = await ensure_user(uow, ctx, sender)
    level = await uow.invites.redeem(token_hash(token), id_of(user), ctx.clock())
    if level is None:
        uow.audit.refused("an invite link", "used, expired or unknown")
        tell(uow, ctx, user, "invite-invalid")
        return
    # Redeemed in one statement, not through the entity: so said here.
    uow.audit.record(Action.INVITE_REDEEMED, None, level=level.value)
    await set_role(uow, ctx, user.telegram_id, Role.SUPPORT_AGENT, keep_admin=True)
    agent = await ensure_agent(uow, ctx, user)
    assert agent is not None
    agent.level = level
    tell(uow, ctx, user, "invite-accepted", level=agent.level.value, alias=agent.alias)
    uow.outbox.add(StaffMenu(id_of(user)))
    log.info("agent joined", extra={"agent": agent.alias, "level": agent.level.value})


@routing.changes_holdings
async def set_status(uow: UnitOfWork, ctx: Context, sender: Sender, status: AgentStatus) -> None:
    """``/online``, ``/away``, ``/offline``."""
    user = await ensure_user(uow, ctx, sender)
    agent = await ensure_agent(uow, ctx, user)
    if agent is None:
        tell(uow, ctx, user, "agents-only")
        return
    agent.set_status(status, ctx.clock())
    if status is AgentStatus.OFFLINE:
        # Gone: a client writing to the ticket they had in private is read in its topic.
        worked = await uow.tickets.worked_privately_by(agent.agent_id)
        if worked is not None:
            hand_back(uow, ctx, worked, "desk-private-revoked", why="offline")
    assigned = await routing.route(uow, ctx) if status is AgentStatus.ONLINE else 0
    tell(
        uow,
        ctx,
        user,
        f"status-now-{status.value}",
        alias=agent.alias,
        load=agent.open_tickets,
        capacity=agent.capacity,
        assigned=assigned,
    )
    if status is AgentStatus.ONLINE:
        uow.outbox.add(CheckMembership(agent.agent_id))


@routing.changes_holdings
async def not_in_desk(uow: UnitOfWork, ctx: Context, agent_id: int) -> None:
    """Telegram says the agent is not in the desk group: they cannot work there yet."""
    agent = await uow.agents.get(agent_id)
    user = await uow.users.get(agent_id)
    if agent is None or user is None:
        return
    agent.set_status(AgentStatus.OFFLINE, ctx.clock())
    for ticket in await uow.tickets.open_for_agent(agent_id):
        await routing.release(uow, ctx, ticket, "not-in-desk")
    worked = await uow.tickets.worked_privately_by(agent_id)
    if worked is not None:
        hand_back(uow, ctx, worked, "desk-private-revoked", why="not in the desk group")
    await routing.route(uow, ctx)
    tell(uow, ctx, user, "join-desk-first")
    log.warning("agent not in the desk group sent offline", extra={"agent": agent.alias})


async def list_agents(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    agents = await uow.agents.all()
    lines = [ctx.texts(admin.language, "agents-header", count=len(agents))]
    for a in agents:
        lines.append(
            ctx.texts(
                admin.language,
                "agents-line",
                alias=a.alias,
                level=a.level.value,
                status=a.status.value,
                load=a.open_tickets,
                capacity=a.capacity,
            )
        )
    tell(uow, ctx, admin, "plain", text="\n".join(lines))


async def _named_agent(uow: UnitOfWork, ctx: Context, admin: User, alias: str) -> Agent | None:
    agent = await uow.agents.by_alias(alias.strip())
    if agent is None:
        tell(uow, ctx, admin, "agent-unknown", alias=alias.strip()[:40])
    return agent


@routing.changes_holdings
async def change_agent(
    uow: UnitOfWork, ctx: Context, sender: Sender, args: str, *, what: str
) -> None:
    """``/agent_level Agent-7 L2`` and ``/agent_capacity Agent-7 8``."""
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    parts = args.split()
    if len(parts) != 2:
        tell(uow, ctx, admin, f"agent-{what}-usage")
        return
    agent = await _named_agent(uow, ctx, admin, parts[0])
    if agent is None:
        return
    try:
        if what == "level":
            agent.level = Level(parts[1].upper())
        else:
            agent.set_capacity(int(parts[1]))
    except (ValueError, AgentError):
        tell(uow, ctx, admin, f"agent-{what}-usage")
        return
    await routing.route(uow, ctx)
    tell(
        uow,
        ctx,
        admin,
        "agent-changed",
        alias=agent.alias,
        level=agent.level.value,
        capacity=agent.capacity,
    )


@routing.changes_holdings
async def remove_agent(uow: UnitOfWork, ctx: Context, sender: Sender, alias: str) -> None:
    """``/remove_agent Agent-7``: their open tickets go back to the queue."""
    admin = await ensure_user(uow, ctx, sender)  # an admin: the guard admitted no one else
    agent = await _named_agent(uow, ctx, admin, alias)
    if agent is None:
        return
    user = await uow.users.get(agent.agent_id)
    if user is not None and user.agent_by_host:
        # Veil never writes the host's records: the host has to take the role away.
        tell(uow, ctx, admin, "agent-is-hosts", alias=agent.alias)
        return
    if user is not None and not user.is_admin:
        await _leave_team(uow, ctx, user)
    else:  # an admin who also answered tickets stays an admin, and stays in the desk
        await _stop_answering(uow, ctx, agent)
    requeued = await routing.route(uow, ctx)
    tell(uow, ctx, admin, "agent-removed", alias=agent.alias, requeued=requeued)


async def _stop_answering(uow: UnitOfWork, ctx: Context, agent: Agent) -> None:
    """No more tickets for ``agent``: theirs go back to the queue, the one they worked in
    private back to its topic, and their agent record goes. Holds the routing lock."""
    for ticket in await uow.tickets.open_for_agent(agent.agent_id):
        await routing.release(uow, ctx, ticket, "removed")
    worked = await uow.tickets.worked_privately_by(agent.agent_id)
    if worked is not None:  # worked in private without owning it (a higher level)
        hand_back(uow, ctx, worked, "desk-private-revoked", why="removed")
    await uow.agents.remove(agent)


async def _leave_team(uow: UnitOfWork, ctx: Context, user: User) -> None:
    """``user`` is no longer staff: a client again, with no tickets to answer, and out of
    every desk group (they would still read every topic otherwise). Someone the host's
    own records make staff stays staff: only the host can change that."""
    user.role = Role.CLIENT
    user.updated_at = ctx.clock()
    if user.can_answer_tickets:
        return
    agent = await uow.agents.get(id_of(user))
    if agent is not None:
        await _stop_answering(uow, ctx, agent)
    uow.outbox.add(RemoveFromDesks(id_of(user)))
    uow.outbox.add(StaffMenu(id_of(user)))


@routing.changes_holdings
async def retire_lapsed(uow: UnitOfWork, ctx: Context) -> list[str]:
    """Agents whose right to answer is gone without Veil taking it (the host's own records
    changed: an admin or support agent there no longer is) stop answering and leave the
    desk groups, the desk told. Returns their aliases."""
    gone: list[str] = []
    for agent in await uow.agents.all():
        user = await uow.users.get(agent.agent_id)
        if user is not None and user.can_answer_tickets:
            continue
        await _stop_answering(uow, ctx, agent)
        uow.outbox.add(RemoveFromDesks(agent.agent_id))
        uow.outbox.add(StaffMenu(agent.agent_id))
        uow.outbox.add(
            SendText(
                RawChat(ctx.desks.primary), ctx.desk_text("desk-agent-lapsed", alias=agent.alias)
            )
        )
        gone.append(agent.alias)
    if gone:
        await routing.route(uow, ctx)
        log.warning("agents without the right to answer retired", extra={"count": len(gone)})
    return gone


@routing.changes_holdings
async def sync_admins(uow: UnitOfWork, ctx: Context, admin_ids: Iterable[int]) -> list[int]:
    """Admins are exactly the configured ids: listed ones are made admins, and an id taken
    off the list leaves the team (a client again, out of the desk groups; an admin can
    invite them back as an agent). Returns the Telegram ids that lost the role."""
    wanted = set(admin_ids)
    for telegram_id in sorted(wanted):
        admin = await set_role(uow, ctx, telegram_id, Role.ADMIN)
        uow.outbox.add(StaffMenu(id_of(admin)))
    demoted: list[int] = []
    for user in await uow.users.with_role(Role.ADMIN):
        if user.telegram_id not in wanted:
            await _leave_team(uow, ctx, user)
            demoted.append(user.telegram_id)
    if demoted:
        await routing.route(uow, ctx)
    return demoted


async def my_tickets(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """``/mine``: the agent's open tickets."""
    user = await ensure_user(uow, ctx, sender)
    agent = await ensure_agent(uow, ctx, user)
    if agent is None:
        tell(uow, ctx, user, "agents-only")
        return
    tickets = await uow.tickets.open_for_agent(agent.agent_id)
    if not tickets:
        tell(uow, ctx, user, "mine-none")
        return
    now = ctx.clock()
    lines = [ctx.texts(user.language, "mine-header", count=len(tickets))]
    lines += [
        ctx.texts(
            user.language,
            "mine-line",
            ticket=t.public_id,
            priority=t.priority.value,
            level=t.required_level.value,
            waiting=_minutes(now - t.last_activity_at),
            link=topic_link(t.desk_chat_id, t.desk_topic_id),
        )
        for t in tickets
    ]
    tell(uow, ctx, user, "plain", text="\n".join(lines))


async def queue(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """``/queue``: waiting tickets by priority, with how long they have waited."""
    user = await ensure_user(uow, ctx, sender)
    if await ensure_agent(uow, ctx, user) is None:
        tell(uow, ctx, user, "agents-only")
        return
    waiting = await uow.tickets.waiting(list(Level), QUEUE_SHOWN)
    if not waiting:
        tell(uow, ctx, user, "queue-none")
        return
    now = ctx.clock()
    lines = [ctx.texts(user.language, "queue-header", count=len(waiting))]
    lines += [
        ctx.texts(
            user.language,
            "queue-line",
            position=n,
            ticket=t.public_id,
            priority=t.priority.value,
            level=t.required_level.value,
            waiting=_minutes(now - t.created_at),
        )
        for n, t in enumerate(waiting, start=1)
    ]
    tell(uow, ctx, user, "plain", text="\n".join(lines))


QUEUE_SHOWN = 30


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def topic_link(chat_id: int, topic_id: int | None) -> str:
    """A t.me link that opens a topic of a private supergroup (ids like -100xxxxxxxxxx)."""
    internal = str(chat_id).removeprefix("-100")
    return f"https://t.me/c/{internal}/{topic_id}" if topic_id else ""
