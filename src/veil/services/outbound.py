"""What the sender needs from the store: where an address is, and what a send taught us."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from veil.domain.model import Direction
from veil.services.context import Context
from veil.services.deliveries import (
    Address,
    CopyContent,
    EditContent,
    RawChat,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.guard import may_work
from veil.services.ports import UnitOfWork

log = logging.getLogger(__name__)


class Side(enum.Enum):
    CLIENT = "client"
    DESK = "desk"


@dataclass(frozen=True)
class Target:
    chat_id: int
    thread_id: int | None
    side: Side
    # Clients' words reach this chat (a desk group, an agent's or admin's private chat):
    # Veil's own notices there carry their mark.
    reads_clients: bool = False


class TopicMissing(Exception):
    """The ticket has no topic yet (or lost it): it must be opened before sending."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"ticket {ticket_id} has no desk topic")
        self.ticket_id = ticket_id


class PrivateWorkEnded(Exception):
    """The agent a ticket's messages went to in private may no longer read them (removed,
    demoted, no longer the owner), or their chat refuses the bot: the ticket must go
    back to its topic before its messages are sent."""

    def __init__(self, ticket_id: int, why: str) -> None:
        super().__init__(f"ticket {ticket_id}: private work ended ({why})")
        self.ticket_id = ticket_id
        self.why = why


async def resolve(uow: UnitOfWork, ctx: Context, address: Address) -> Target:
    """Where an address is now; a raw desk chat id that Telegram moved is followed.

    A ticket worked in an agent's private chat resolves there only while that agent may
    still answer it: the right is asked again at every delivery, not only when granted.
    """
    match address:
        case UserChat(user_id):
            user = await uow.users.get(user_id)
            if user is None:
                raise LookupError(f"user {user_id} does not exist")
            if user.telegram_id is None:  # erased at their request (/forget_me)
                raise LookupError(f"user {user_id} was forgotten")
            return Target(user.telegram_id, None, Side.CLIENT, user.can_answer_tickets)
        case TicketTopic(ticket_id):
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            if ticket.private_agent_id is not None:
                agent = await uow.users.get(ticket.private_agent_id)
                if agent is None or not await may_work(uow, ctx, agent, ticket):
                    raise PrivateWorkEnded(ticket_id, "no longer the agent's to answer")
                return Target(agent.telegram_id, None, Side.DESK, True)
            if ticket.desk_topic_id is None:
                raise TopicMissing(ticket_id)
            return Target(ticket.desk_chat_id, ticket.desk_topic_id, Side.DESK, True)
        case RawChat(chat_id, thread_id):
            chat_id = ctx.desks.current(chat_id)
            in_desk = chat_id < 0
            return Target(chat_id, thread_id, Side.DESK if in_desk else Side.CLIENT, in_desk)


@dataclass(frozen=True)
class Copy:
    """Where one side's copy of a stored message is: a chat and a message id in it."""

    chat_id: int
    message_id: int


async def copy_on(uow: UnitOfWork, record_id: int | None, side: Side) -> Copy | None:
    """The copy, on one side, of a stored ticket message (None if never delivered)."""
    if record_id is None:
        return None
    record = await uow.messages.get(record_id)
    if record is None:
        return None
    if side is Side.CLIENT:
        if record.client_message_id is None:
            return None
        client = await uow.tickets.get(record.ticket_id)
        user = await uow.users.get(client.client_id) if client is not None else None
        return Copy(user.telegram_id, record.client_message_id) if user is not None else None
    if record.desk_chat_id is None or record.desk_message_id is None:
        return None
    return Copy(record.desk_chat_id, record.desk_message_id)


async def reply_target(uow: UnitOfWork, record_id: int | None, target: Target) -> int | None:
    """The message a new message to ``target`` replies to: only one in that same chat (a
    copy left in another chat, say before /back, cannot be replied to from here)."""
    copy = await copy_on(uow, record_id, target.side)
    return copy.message_id if copy is not None and copy.chat_id == target.chat_id else None


async def copy_is_shared(uow: UnitOfWork, record_id: int, side: Side) -> bool:
    """True when the record's copy on ``side`` carries other messages too (a bundle)."""
    record = await uow.messages.get(record_id)
    if record is None or side is Side.CLIENT:
        return False
    if record.desk_chat_id is None or record.desk_message_id is None:
        return False
    count = await uow.messages.count_on_desk(
        record.ticket_id, record.desk_chat_id, record.desk_message_id
    )
    return count > 1


async def record_delivered(
    uow: UnitOfWork, record_id: int, side: Side, chat_id: int, message_id: int
) -> None:
    if side is Side.CLIENT:
        await uow.messages.delivered_to_client(record_id, message_id)
    else:
        await uow.messages.delivered_to_desk(record_id, chat_id, message_id)


async def topic_opened(uow: UnitOfWork, ticket_id: int, thread_id: int) -> None:
    ticket = await uow.tickets.get(ticket_id)
    if ticket is not None:
        ticket.desk_topic_id = thread_id


async def card_posted(uow: UnitOfWork, ticket_id: int, message_id: int) -> None:
    ticket = await uow.tickets.get(ticket_id)
    if ticket is not None:
        ticket.card_message_id = message_id


async def client_unreachable(uow: UnitOfWork, ctx: Context, user_id: int) -> None:
    """Tell the agents of the client's open ticket that replies no longer arrive."""
    ticket = await uow.tickets.open_for_client(user_id)
    if ticket is not None and ticket.id is not None:
        uow.outbox.add(SendText(TicketTopic(ticket.id), ctx.desk_text("desk-client-unreachable")))
        log.warning("client unreachable", extra={"ticket": ticket.public_id})


async def kind_of(uow: UnitOfWork, delivery: SendText | CopyContent | EditContent) -> str:
    """What a delivery carries, as people name it (a photo, a voice message...)."""
    record = await uow.messages.get(delivery.record) if delivery.record is not None else None
    if record is not None:
        return record.kind
    return "text" if isinstance(delivery, SendText) else "message"


async def topic_of_answer(
    uow: UnitOfWork, ctx: Context, delivery: SendText | CopyContent | EditContent
) -> Target | None:
    """Where the desk reads the ticket whose agent's answer ``delivery`` carries to the
    client; None for anything else."""
    record = await uow.messages.get(delivery.record) if delivery.record is not None else None
    if record is None or record.direction is not Direction.FROM_AGENT:
        return None
    try:
        return await resolve(uow, ctx, TicketTopic(record.ticket_id))
    except (TopicMissing, PrivateWorkEnded):
        return None


async def language_at(uow: UnitOfWork, ctx: Context, address: Address) -> str | None:
    """The language of whoever reads at ``address``: a person's own, or the desk's."""
    if isinstance(address, UserChat):
        user = await uow.users.get(address.user_id)
        return user.language if user is not None else None
    return ctx.desk_language


async def is_desk_chat(uow: UnitOfWork, ctx: Context, chat_id: int) -> bool:
    """Is this one of the desk groups? A group id this process does not know may be one
    that Telegram moved while another process was watching: the stored moves say."""
    if ctx.desks.is_desk(chat_id):
        return True
    if chat_id >= 0:
        return False
    ctx.desks.apply_moves(await uow.desk_moves.all())
    return ctx.desks.is_desk(chat_id)


async def desk_moved(uow: UnitOfWork, ctx: Context, old: int, new: int) -> None:
    """Telegram moved a desk group to a new id: its tickets, and the settings' view of
    it, follow; the move is stored so that a restart with the old id still works."""
    moved = await uow.tickets.move_desk(old, new)
    await uow.desk_moves.record(old, new, ctx.clock())
    ctx.desks.moved(old, new)
    log.warning(
        "desk group %s moved to %s (%s tickets follow); set the new id in the settings",
        old,
        new,
        moved,
    )
