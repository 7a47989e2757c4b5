"""Use cases of the agents' supergroup: one forum topic per ticket."""

from __future__ import annotations

import logging
from dataclasses import replace

from veil.domain import metrics
from veil.domain.content import Handling, command_args, command_in, handling_of
from veil.domain.ids import client_alias
from veil.domain.model import ClosedBy, Direction, Ticket, User
from veil.services import clocks, presses, routing, satisfaction
from veil.services.context import Context, Incoming
from veil.services.deliveries import (
    Button,
    Buttons,
    CloseTopic,
    RawChat,
    RemoveFromDesks,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.relay import counterpart, edit, record_message, relay
from veil.services.say import answer_in_desk

log = logging.getLogger(__name__)


async def ticket_of_topic(
    uow: UnitOfWork, ctx: Context, msg: Incoming, *, answer_outside: bool
) -> tuple[User, Ticket] | None:
    """The agent and the open ticket behind a desk message, or None after saying why.

    Chatter outside ticket topics (General, side topics) is the agents' own business:
    it gets no answer, except for commands, which deserve one. Whether the sender may
    act on the ticket was judged before (``services/guard.py``), on the same topic.
    """
    user = await ensure_user(uow, ctx, msg.sender)
    ticket = None
    if msg.thread_id is not None:
        ticket = await uow.tickets.by_topic(msg.chat_id, msg.thread_id)
    if ticket is None:
        if answer_outside:
            answer_in_desk(uow, ctx, msg, "desk-use-in-topic")
        log.info("desk message outside ticket topics", extra={"topic": msg.thread_id})
        return None
    if ticket.is_closed:
        answer_in_desk(uow, ctx, msg, "desk-ticket-closed", ticket=ticket.public_id)
        return None
    return user, ticket


async def relay_from_agent(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """An agent's plain message in a ticket topic goes to the client, as the bot."""
    handling = handling_of(msg.kind)
    if handling is Handling.IGNORE:
        return
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=False)
    if found is None:
        return
    agent, ticket = found
    if handling is not Handling.RELAY:
        answer_in_desk(uow, ctx, msg, "desk-kind-not-relayed", kind=msg.kind)
        return
    command = command_in(msg.text)
    if command == "note":  # a note typed after a space or an invisible character
        await add_note(uow, ctx, msg)
        return
    if command is not None:  # whatever reads as a command never reaches the client
        answer_in_desk(uow, ctx, msg, "desk-unknown-command")
        return
    await answer_client(uow, ctx, agent, ticket, msg)


async def answer_client(
    uow: UnitOfWork, ctx: Context, agent: User, ticket: Ticket, msg: Incoming
) -> None:
    """Record an agent's message and send it to the client, as the bot."""
    ticket_id = id_of(ticket)
    reply_to = await counterpart(uow, ticket_id, msg, from_client=False)
    record = await record_message(uow, ctx, ticket, msg, Direction.FROM_AGENT, id_of(agent))
    ticket.agent_answered(ctx.clock())
    working = await uow.agents.get(id_of(agent))
    if working is not None:
        working.last_activity_at = ctx.clock()
    for delivery in relay(
        msg,
        record_id=id_of(record),
        to=UserChat(ticket.client_id),
        # From the desk group, or from the agent's own chat (a ticket worked privately).
        source=UserChat(id_of(agent)) if msg.chat_id > 0 else RawChat(msg.chat_id),
        reply_to_record=reply_to,
        withheld_text="",  # never used: withheld kinds were refused above
    ):
        uow.outbox.add(delivery)


async def remove_member(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/remove_member`` in reply to someone's message: an admin takes a person who is
    no agent out of every desk group (agents leave with /remove_agent)."""
    if msg.reply_to_sender is None:
        answer_in_desk(uow, ctx, msg, "desk-remove-member-usage")
        return
    member = await ensure_user(uow, ctx, msg.reply_to_sender)
    if member.can_answer_tickets:
        answer_in_desk(uow, ctx, msg, "desk-remove-member-agent")
        return
    uow.outbox.add(RemoveFromDesks(id_of(member)))
    answer_in_desk(uow, ctx, msg, "desk-member-removed")
    log.warning("a non-agent was removed from the desk groups by an admin")


def _attempted(msg: Incoming) -> str:
    """What a refused desk message tried: its command, or "an answer" (never its text)."""
    command = command_in(msg.text or "")
    return f"/{command}" if command else "an answer"


async def refuse_command(uow: UnitOfWork, ctx: Context, msg: Incoming, key: str) -> None:
    """A command the desk does not take is never relayed: the client must not see it."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is not None:
        answer_in_desk(uow, ctx, msg, key)


async def refuse_anonymous(
    uow: UnitOfWork, ctx: Context, chat_id: int, thread_id: int | None
) -> None:
    """A message sent as the group itself: nobody can be checked as an agent."""
    if thread_id is not None and await uow.tickets.by_topic(chat_id, thread_id) is not None:
        text = ctx.desk_text("desk-anonymous")
        uow.outbox.add(SendText(RawChat(chat_id, thread_id), text))


async def edit_from_agent(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """An agent edits a message in a ticket's topic: an answer's edit reaches the client
    under exactly the rule a new answer passes (still an agent, still theirs to answer)."""
    if msg.thread_id is None or msg.text is None:
        return
    ticket = await uow.tickets.by_topic(msg.chat_id, msg.thread_id)
    if ticket is None or ticket.is_closed:
        return
    record = await uow.messages.by_desk_message(id_of(ticket), msg.chat_id, msg.message_id)
    if record is None or record.direction is Direction.FROM_CLIENT:
        return  # an edit of a desk-only message (a command): nothing to carry
    is_note = record.direction is Direction.NOTE
    if await ticket_of_topic(uow, ctx, msg, answer_outside=False) is None:
        log.info("agent's edit refused", extra={"ticket": ticket.public_id})
        return
    if is_note:
        record.edit(command_args(msg.text), ctx.clock())
        return
    if command_in(msg.text) is not None:  # an answer edited into a command stays here
        answer_in_desk(uow, ctx, msg, "desk-unknown-command")
        return
    record.edit(msg.text, ctx.clock())
    uow.outbox.add(edit(UserChat(ticket.client_id), record, msg))


async def add_note(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/note <text>``: kept with the ticket for agents, never sent to the client."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    agent, ticket = found
    key = await keep_note(uow, ctx, agent, ticket, msg)
    answer_in_desk(uow, ctx, msg, key)


async def keep_note(
    uow: UnitOfWork, ctx: Context, author: User, ticket: Ticket, msg: Incoming
) -> str:
    """Store ``/note <text>`` with the ticket, wherever it was typed; returns the text
    key that answers the author (saved, or empty)."""
    text = command_args(msg.text or "")
    if not text:
        return "desk-note-empty"
    note = replace(msg, kind="text", text=text, entities=())
    await record_message(uow, ctx, ticket, note, Direction.NOTE, author_id=id_of(author))
    return "desk-note-saved"


@routing.changes_holdings
async def close_from_topic(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/close`` in a ticket's topic."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is not None:
        await close_ticket(uow, ctx, found[1])


@routing.changes_holdings
async def topic_closed_by_hand(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """An agent closed the topic in Telegram itself: the ticket closes with it, so that
    the client is told rather than writing into a topic nobody reads."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=False)
    if found is not None:
        await close_ticket(uow, ctx, found[1], close_topic=False)


@routing.changes_holdings
async def close_from_button(
    uow: UnitOfWork, ctx: Context, public_id: str, chat_id: int
) -> str | None:
    """The card's Close button, pressed in ``chat_id``. Returns a notice for the presser."""
    ticket = await uow.tickets.by_public_id(public_id)
    if ticket is None or not ctx.desks.holds(ticket.desk_chat_id, chat_id):
        return ctx.desk_text("notice-unknown-ticket")
    if ticket.is_closed:
        return ctx.desk_text("desk-ticket-closed", ticket=ticket.public_id)
    await close_ticket(uow, ctx, ticket)
    return ctx.desk_text("notice-closed", ticket=ticket.public_id)


# Who is told what when a ticket closes, by who closed it: (the agent working it in
# private, the client, the topic).
_CLOSING_TEXTS = {
    ClosedBy.AGENT: ("desk-closed-private", "chat-closed-by-support", "desk-closed"),
    ClosedBy.CLIENT: ("desk-client-ended", "chat-ended", "desk-client-ended"),
    ClosedBy.SYSTEM: ("desk-auto-closed-private", "chat-auto-closed", "desk-auto-closed"),
}


async def close_ticket(
    uow: UnitOfWork,
    ctx: Context,
    ticket: Ticket,
    *,
    by: ClosedBy = ClosedBy.AGENT,
    close_topic: bool = True,
    tell_client: bool = True,
    ask_rating: bool = True,
) -> None:
    """The one way a ticket closes: the client and the desk are told, the owner freed,
    the queue served. Callers hold the routing lock (``@routing.changes_holdings``)."""
    ticket_id = id_of(ticket)
    private = ticket.private_agent_id
    ticket.close(by, ctx.clock())
    await clocks.closed(uow, ctx, ticket)
    for offer in await uow.offers.open_for_ticket(ticket_id):
        offer.withdraw()  # nobody is left to take it up
    private_key, client_key, desk_key = _CLOSING_TEXTS[by]
    # What an auto-close says: after how long, and how long the client may come back.
    silence, window = metrics.humanise(ctx.auto_close), metrics.humanise(ctx.reopen_window)
    if private is not None:  # worked from a private chat: tell it there too
        told = ctx.desk_text(private_key, ticket=ticket.public_id, silence=silence)
        uow.outbox.add(SendText(UserChat(private), told))
    await routing.release(uow, ctx, ticket, "closed")
    await routing.route(uow, ctx)
    client = await uow.users.get(ticket.client_id)
    language = client.language if client is not None else None
    support = ((Button(ctx.texts(language, "button-live-support"), presses.OpenSupport()),),)
    if tell_client:
        uow.outbox.add(
            SendText(
                UserChat(ticket.client_id),
                ctx.texts(
                    language, client_key, ticket=ticket.public_id, silence=silence, window=window
                ),
                buttons=support,
            )
        )
        if ask_rating and await uow.ratings.for_ticket(ticket_id) is None:
            satisfaction.ask(uow, ctx, client, ticket)
    uow.outbox.add(SendText(TicketTopic(ticket_id), ctx.desk_text(desk_key, silence=silence)))
    if close_topic:
        uow.outbox.add(CloseTopic(ticket_id))
    log.info("ticket closed", extra={"ticket": ticket.public_id, "by": by.value})


async def card_view(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> tuple[str, Buttons]:
    """The ticket card that opens a topic: what an agent needs at a glance."""
    earlier = await uow.tickets.count_for_client(ticket.client_id) - 1
    waiting = max(0, int((ctx.clock() - ticket.created_at).total_seconds() // 60))
    text = ctx.desk_text(
        "card",
        ticket=ticket.public_id,
        client=client_alias(ticket.public_id),
        status=ctx.desk_text(f"status-{ticket.status.value}"),
        priority=ticket.priority.value,
        level=ticket.required_level.value,
        category=ticket.category or "—",
        waiting=waiting,
        opened=ticket.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        assigned=await owner_alias(uow, ctx, ticket),
        earlier=max(0, earlier),
    )
    if ticket.escalation_reason is not None:  # until the next owner is briefed
        text += "\n" + ctx.desk_text("card-escalated", reason=ticket.escalation_reason)
    if ticket.previous_ticket_id is not None:
        previous = await uow.tickets.get(ticket.previous_ticket_id)
        if previous is not None:
            text += "\n" + ctx.desk_text("card-follows", ticket=previous.public_id)
    if ticket.about is not None:  # what it is about, as the host put it: never who
        about = ticket.about
        text += "\n" + ctx.desk_text(
            "card-about",
            service=about.service,
            when=about.when,
            provider=about.provider,
            status=about.status,
        )
    buttons: Buttons = ()
    if not ticket.is_closed:
        take = presses.TakeTicket(ticket.public_id)
        close = presses.CloseTicket(ticket.public_id)
        buttons = (
            (
                Button(ctx.desk_text("button-take-ticket"), take),
                Button(ctx.desk_text("button-close-ticket"), close),
            ),
        )
    return text, buttons


async def owner_alias(uow: UnitOfWork, ctx: Context, ticket: Ticket) -> str:
    if ticket.assigned_agent_id is None:
        return ctx.desk_text("card-unassigned")
    agent = await uow.agents.get(ticket.assigned_agent_id)
    return agent.alias if agent is not None else ctx.desk_text("card-unassigned")


def topic_name(ticket: Ticket) -> str:
    return client_alias(ticket.public_id)
