"""Use cases of the client's private chat with the bot."""

from __future__ import annotations

import logging
from datetime import timedelta

from veil.domain.appointments import Appointment
from veil.domain.content import Handling, handling_of, split_text
from veil.domain.ids import new_ticket_id
from veil.domain.limits import LimitKind
from veil.domain.model import ClosedBy, Direction, Level, Ticket, User
from veil.services import (
    appointments,
    clocks,
    desk,
    limits,
    presses,
    privacy,
    routing,
    satisfaction,
)
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import (
    Button,
    Buttons,
    OpenTopic,
    PostCard,
    RefreshCard,
    ReopenTopic,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.relay import counterpart, edit, record_message, relay
from veil.services.say import tell, tell_once

log = logging.getLogger(__name__)

ID_ATTEMPTS = 8
# The same "cannot take that" answer at most this often, however many messages come.
REPEAT_NOTICE = timedelta(minutes=10)
TICKETS_LISTED = 10


def _support_button(ctx: Context, user: User) -> Buttons:
    return ((Button(ctx.texts(user.language, "button-live-support"), presses.OpenSupport()),),)


def _end_button(ctx: Context, user: User, ticket: Ticket) -> Buttons:
    press = presses.EndChat(ticket.public_id)
    return ((Button(ctx.texts(user.language, "button-end-chat"), press),),)


async def show_menu(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    user = await ensure_user(uow, ctx, sender)
    tell(uow, ctx, user, "menu", _support_button(ctx, user))


@routing.changes_holdings
async def open_ticket(
    uow: UnitOfWork, ctx: Context, sender: Sender, appointment: Appointment | None = None
) -> Ticket | None:
    """Open a ticket for the client, or continue the one already open; ``appointment`` is
    the host's, Live Support pressed on it (described before this unit of work began).
    None when a ban or the daily limit holds the client back (they were told)."""
    user = await ensure_user(uow, ctx, sender)
    if await limits.banned(uow, ctx, user):
        return None
    client_id = id_of(user)
    current = await uow.tickets.open_for_client(client_id)
    if current is not None:
        if appointment is not None and current.about != appointment:
            appointments.attach(uow, ctx, current, appointment)
            uow.outbox.add(RefreshCard(id_of(current)))
            notice = ctx.desk_text("desk-now-about", service=appointment.service)
            uow.outbox.add(SendText(TicketTopic(id_of(current)), notice))
        tell(
            uow,
            ctx,
            user,
            "ticket-continues",
            _end_button(ctx, user, current),
            ticket=current.public_id,
        )
        return current
    if await limits.over_limit(uow, ctx, user, LimitKind.TICKETS_PER_DAY):
        return None
    now = ctx.clock()
    earlier = await uow.tickets.for_client(client_id, 1)
    ticket = Ticket(
        public_id=await _unused_ticket_id(uow, ctx),
        client_id=client_id,
        created_at=now,
        last_activity_at=now,
        desk_chat_id=await _desk_for_new_ticket(uow, ctx),
        # Agents see which conversation this one follows (the card links it).
        previous_ticket_id=earlier[0].id if earlier else None,
    )
    if appointment is not None:
        appointments.attach(uow, ctx, ticket, appointment)
    await uow.tickets.add(ticket)
    ticket_id = id_of(ticket)
    await clocks.opened(uow, ctx, ticket)
    uow.outbox.add(OpenTopic(ticket_id))
    uow.outbox.add(PostCard(ticket_id))
    tell(uow, ctx, user, "ticket-opened", _end_button(ctx, user, ticket), ticket=ticket.public_id)
    await routing.route(uow, ctx)
    await routing.tell_queue_position(uow, ctx, ticket)
    log.info("ticket opened", extra={"ticket": ticket.public_id})
    return ticket


async def _desk_for_new_ticket(uow: UnitOfWork, ctx: Context) -> int:
    if len(ctx.desks.chat_ids) == 1:
        return ctx.desks.primary
    # New tickets start at the first level; the least busy group serving it takes them.
    return ctx.desks.for_new_ticket(Level.L1, await uow.tickets.open_by_desk())


async def _unused_ticket_id(uow: UnitOfWork, ctx: Context) -> str:
    # The database's unique index is the real guarantee; checking first turns an
    # unlucky draw into another draw instead of a failed update.
    for _ in range(ID_ATTEMPTS):
        candidate = new_ticket_id(ctx.clock(), ctx.new_suffix())
        if await uow.tickets.by_public_id(candidate) is None:
            return candidate
    raise RuntimeError("could not draw an unused ticket id")


async def relay_from_client(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """Carry a client's message into the ticket's topic (or tell them how to start)."""
    user = await ensure_user(uow, ctx, msg.sender)
    handling = handling_of(msg.kind)
    if handling is Handling.IGNORE:
        return
    if await limits.banned(uow, ctx, user, counting=LimitKind.MESSAGES_PER_HOUR):
        return
    ticket = await uow.tickets.open_for_client(id_of(user))
    if ticket is None and await satisfaction.take_comment(uow, ctx, user, msg):
        return
    # Staff writing in their own chat are no clients coming back (their words there are
    # for a ticket they work, or for nobody).
    coming_back = ticket is None and handling is not Handling.REFUSE
    if coming_back and not user.can_answer_tickets:
        # The limit first: a message that will not go on must not reopen anything.
        if await limits.over_limit(uow, ctx, user, LimitKind.MESSAGES_PER_HOUR):
            return
        ticket = await _come_back(uow, ctx, user, msg.sender)
        if ticket is None:
            await tell_once(
                uow, ctx, user, "no-open-ticket", REPEAT_NOTICE, _support_button(ctx, user)
            )
            return
    elif ticket is None:
        await tell_once(uow, ctx, user, "no-open-ticket", REPEAT_NOTICE, _support_button(ctx, user))
        return
    elif handling is Handling.REFUSE:
        await tell_once(uow, ctx, user, "unsupported-kind", REPEAT_NOTICE, kind=msg.kind)
        return
    elif await limits.over_limit(uow, ctx, user, LimitKind.MESSAGES_PER_HOUR):
        return
    msg = await privacy.masked(uow, ctx, user, msg)
    ticket_id = id_of(ticket)
    reply_to = await counterpart(uow, ticket_id, msg, from_client=True)
    record = await record_message(uow, ctx, ticket, msg, Direction.FROM_CLIENT, author_id=None)
    for delivery in relay(
        msg,
        record_id=id_of(record),
        to=TicketTopic(ticket_id),
        source=UserChat(id_of(user)),
        reply_to_record=reply_to,
        withheld_text=ctx.desk_text("client-contact-withheld"),
    ):
        uow.outbox.add(delivery)
    if handling is Handling.WITHHOLD:
        tell(uow, ctx, user, "contact-not-relayed")


async def _come_back(uow: UnitOfWork, ctx: Context, user: User, sender: Sender) -> Ticket | None:
    """A client with no open ticket writes. Soon after a close (``ctx.reopen_window``) the
    same ticket reopens; later, a new one opens, linked to it. None for someone who never
    had a ticket (they are shown how to start), or when the daily limit holds."""
    earlier = await uow.tickets.for_client(id_of(user), 1)
    if not earlier:
        return None
    await routing.lock_or_redo(uow)
    latest = earlier[0]
    closed_at = latest.closed_at
    if latest.is_closed and closed_at is not None and ctx.clock() - closed_at <= ctx.reopen_window:
        await reopen(uow, ctx, user, latest)
        return latest
    return await open_ticket(uow, ctx, sender)


async def reopen(uow: UnitOfWork, ctx: Context, user: User, ticket: Ticket) -> None:
    """The same conversation goes on: its topic open again, with the agent who had it
    when they are free, else whoever routing finds. Callers hold the routing lock."""
    ticket_id = id_of(ticket)
    ticket.reopen(ctx.clock())
    await clocks.reopened(uow, ticket)
    uow.outbox.add(ReopenTopic(ticket_id))
    uow.outbox.add(SendText(TicketTopic(ticket_id), ctx.desk_text("desk-reopened")))
    last = await uow.assignments.last(ticket_id)
    agent = await uow.agents.get(last.agent_id) if last is not None else None
    if agent is not None and routing.can_take(agent, ticket):
        await routing.assign(uow, ctx, ticket, agent, "reopened")
    await routing.route(uow, ctx)
    uow.outbox.add(RefreshCard(ticket_id))
    tell(uow, ctx, user, "ticket-reopened", _end_button(ctx, user, ticket), ticket=ticket.public_id)
    log.info("ticket reopened", extra={"ticket": ticket.public_id})


async def edit_from_client(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """Carry a client's edit to the copy the desk holds."""
    user = await ensure_user(uow, ctx, msg.sender)
    if await limits.banned(uow, ctx, user):
        return
    ticket = await uow.tickets.open_for_client(id_of(user))
    if ticket is None:
        return  # an edit of an old conversation: nobody is reading it any more
    record = await uow.messages.by_client_message(id_of(ticket), msg.message_id)
    if record is None or msg.text is None or handling_of(record.kind) is not Handling.RELAY:
        log.info("client edit without a relayed original", extra={"ticket": ticket.public_id})
        return
    msg = await privacy.masked(uow, ctx, user, msg)
    record.edit(msg.text, ctx.clock())
    uow.outbox.add(edit(TicketTopic(id_of(ticket)), record, msg))


@routing.changes_holdings
async def end_chat(
    uow: UnitOfWork, ctx: Context, sender: Sender, public_id: str | None = None
) -> str | None:
    """The client ends their conversation. Returns a short notice for a button press."""
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.open_for_client(id_of(user))
    if public_id is not None and (ticket is None or ticket.public_id != public_id):
        # The End button of a conversation that is over; a newer one may be open.
        return ctx.texts(user.language, "notice-already-ended")
    if ticket is None:
        tell(uow, ctx, user, "nothing-to-end", _support_button(ctx, user))
        return None
    await desk.close_ticket(uow, ctx, ticket, by=ClosedBy.CLIENT)
    return None


async def wrong_chat(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """A desk command sent in the private chat: say where it belongs."""
    user = await ensure_user(uow, ctx, sender)
    tell(uow, ctx, user, "desk-private-wrong-chat")


async def list_tickets(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    user = await ensure_user(uow, ctx, sender)
    tickets = await uow.tickets.for_client(id_of(user), TICKETS_LISTED)
    if not tickets:
        tell(uow, ctx, user, "tickets-none", _support_button(ctx, user))
        return
    lines = [ctx.texts(user.language, "tickets-header")]
    for t in tickets:
        status = ctx.texts(user.language, f"status-{t.status.value}")
        lines.append(
            ctx.texts(
                user.language,
                "tickets-line",
                ticket=t.public_id,
                status=status,
                opened=t.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    buttons = tuple(
        (
            Button(
                ctx.texts(user.language, "button-transcript", ticket=t.public_id),
                presses.ShowTranscript(t.public_id),
            ),
        )
        for t in tickets
    )
    tell(uow, ctx, user, "plain", buttons, text="\n".join(lines))


async def show_transcript(
    uow: UnitOfWork, ctx: Context, sender: Sender, public_id: str
) -> str | None:
    """Send the client the transcript of one of their own tickets."""
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.by_public_id(public_id)
    if ticket is None:  # someone else's was refused before, in the same words
        return ctx.texts(user.language, "notice-unknown-ticket")
    messages = await uow.messages.for_ticket(id_of(ticket), include_internal=False)
    lines = [ctx.texts(user.language, "transcript-header", ticket=public_id)]
    for m in messages:
        who = "transcript-you" if m.direction is Direction.FROM_CLIENT else "transcript-support"
        body = m.text if m.kind == "text" else _media_line(ctx, user, m.kind, m.text)
        lines.append(
            ctx.texts(user.language, who, time=m.created_at.strftime("%H:%M"), text=body or "")
        )
    if not messages:
        lines.append(ctx.texts(user.language, "transcript-empty"))
    for part in split_text("\n".join(lines)):
        tell(uow, ctx, user, "plain", text=part)
    return None


def _media_line(ctx: Context, user: User, kind: str, caption: str | None) -> str:
    label = ctx.texts(user.language, "media-kind", kind=kind)
    return f"{label} {caption}" if caption else label
