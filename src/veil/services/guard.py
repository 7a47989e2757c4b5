"""The one check before any effect: may this person do this act, here, on this ticket?

Every command and button declares its act (``domain/permissions.py``); the Telegram edge
asks ``admit`` before the handler runs, inside the update's unit of work, so that a
refusal is written to the audit log in the same transaction as everything else. The rule
is judged by the domain; this module only finds the facts it needs: who the person is
to the desk, and which ticket the act is about (the topic it was sent in, the ticket a
button names, the ticket an agent works in their private chat).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from veil.domain.model import Direction, Ticket, User
from veil.domain.permissions import Act, Need, Person, Refusal, Standing, TicketView, judge
from veil.services.agents import ensure_agent
from veil.services.context import Context, Sender
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.presses import (
    AnswerOffer,
    CloseTicket,
    CommentRating,
    EndChat,
    Press,
    ProposeOffer,
    RateTicket,
    SendCanned,
    ShowTranscript,
    TakeTicket,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InTopic:
    """A desk group, in a topic (or not: ``thread_id`` None is its General topic)."""

    chat_id: int
    thread_id: int | None


@dataclass(frozen=True)
class InPrivate:
    """The person's private chat with the bot."""


@dataclass(frozen=True)
class Pressed:
    """A button, pressed in this chat (and topic)."""

    press: Press
    chat_id: int | None
    thread_id: int | None = None


@dataclass(frozen=True)
class Edited:
    """An edit of message ``message_id`` in a desk group's topic."""

    chat_id: int
    thread_id: int | None
    message_id: int


Where = InTopic | InPrivate | Pressed | Edited


@dataclass(frozen=True)
class Refused:
    """What the edge needs to say a refusal: why, to whom, about which ticket."""

    why: Refusal
    user: User
    ticket: Ticket | None


async def admit(
    uow: UnitOfWork, ctx: Context, sender: Sender, act: Act, where: Where
) -> Refused | None:
    """None when ``sender`` may do ``act`` here; else the refusal, already audited."""
    if isinstance(where, Edited):
        # Judged as what it edits; an edit of nothing Veil keeps is let through, unsaid.
        edited = await _what_is_edited(uow, where)
        if edited is None:
            return None
        act, where = edited, InTopic(where.chat_id, where.thread_id)
    if act.moves:
        # The act may change who holds which ticket: lock before reading any (routing.py).
        await uow.agents.lock_routing()
    user = await ensure_user(uow, ctx, sender)
    rule = act.rule
    needs_ticket = rule.need is not Need.NOTHING
    ticket = await ticket_in_question(uow, user, where, rule.need) if needs_ticket else None
    person = await person_of(uow, ctx, user, with_level=needs_ticket or rule.clients_only)
    view = await _view_of(uow, ticket) if ticket is not None else None
    why = judge(rule, person, view)
    if why is None:
        return None
    uow.audit.refused(act.label, why.value, ticket.id if ticket is not None else None)
    log.info("refused", extra={"act": act.name, "why": why.value})
    return Refused(why, user, ticket)


async def person_of(uow: UnitOfWork, ctx: Context, user: User, *, with_level: bool) -> Person:
    """The person as the rules see them; their agent's level only when the rule asks for
    it (reading agents costs a query, and before the routing lock it would be refused).
    Staff without an agent's record get one, as on their first ticket (``ensure_agent``);
    a former agent keeps theirs, and so a level."""
    if user.is_admin:
        standing = Standing.ADMIN
    elif user.can_answer_tickets:
        standing = Standing.AGENT
    else:
        standing = Standing.CLIENT
    level = None
    if with_level and standing is not Standing.ADMIN:  # admins pass whatever the level
        if standing is Standing.CLIENT:
            agent = await uow.agents.get(id_of(user))
        else:
            agent = await ensure_agent(uow, ctx, user)
        level = agent.level if agent is not None else None
    return Person(standing, user.id, level)


async def ticket_in_question(
    uow: UnitOfWork, user: User, where: Where, need: Need
) -> Ticket | None:
    """The ticket an act is about, found the way the act itself finds it."""
    match where:
        case InTopic(chat_id, thread_id) if thread_id is not None:
            return await uow.tickets.by_topic(chat_id, thread_id)
        case InTopic() | Edited():
            return None
        case InPrivate():
            if need is Need.OWN_TICKET or not user.can_answer_tickets:
                return None  # a command in one's own chat is about one's own ticket
            return await uow.tickets.worked_privately_by(id_of(user))
        case Pressed(press, chat_id, thread_id):
            return await _ticket_of_press(uow, press, chat_id, thread_id)


async def _what_is_edited(uow: UnitOfWork, where: Edited) -> Act | None:
    if where.thread_id is None:
        return None
    ticket = await uow.tickets.by_topic(where.chat_id, where.thread_id)
    if ticket is None:
        return None
    record = await uow.messages.by_desk_message(id_of(ticket), where.chat_id, where.message_id)
    if record is None or record.direction is Direction.FROM_CLIENT:
        return None
    return Act.NOTE if record.direction is Direction.NOTE else Act.ANSWER


async def _ticket_of_press(
    uow: UnitOfWork, press: Press, chat_id: int | None, thread_id: int | None
) -> Ticket | None:
    match press:
        case (
            EndChat(ticket)
            | ShowTranscript(ticket)
            | TakeTicket(ticket)
            | CloseTicket(ticket)
            | RateTicket(ticket)
            | CommentRating(ticket)
        ):
            return await uow.tickets.by_public_id(ticket)
        case AnswerOffer(offer_id) | ProposeOffer(offer_id):
            offer = await uow.offers.get(offer_id)
            return await uow.tickets.get(offer.ticket_id) if offer is not None else None
        case SendCanned():
            if chat_id is None or thread_id is None:
                return None
            return await uow.tickets.by_topic(chat_id, thread_id)
    return None


async def _view_of(uow: UnitOfWork, ticket: Ticket) -> TicketView:
    owner = None
    if ticket.assigned_agent_id is not None:
        owner = await uow.agents.get(ticket.assigned_agent_id)
    return TicketView(
        client_id=ticket.client_id,
        required_level=ticket.required_level,
        owner_id=ticket.assigned_agent_id,
        owner_level=owner.level if owner is not None else None,
    )


async def may_work(uow: UnitOfWork, ctx: Context, user: User, ticket: Ticket) -> bool:
    """The rule of ``Act.ANSWER`` for a use case that checks it again later (delivery,
    private work): one rule, judged by the domain."""
    person = await person_of(uow, ctx, user, with_level=True)
    return judge(Act.ANSWER.rule, person, await _view_of(uow, ticket)) is None
