"""What the sender needs from the store: where an address is, and what a send taught us."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from veil.services.context import Context
from veil.services.deliveries import Address, RawChat, SendText, TicketTopic, UserChat
from veil.services.desks import Desks
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


class TopicMissing(Exception):
    """The ticket has no topic yet (or lost it): it must be opened before sending."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"ticket {ticket_id} has no desk topic")
        self.ticket_id = ticket_id


async def resolve(uow: UnitOfWork, address: Address, desks: Desks | None = None) -> Target:
    """Where an address is now. ``desks`` maps a raw desk chat id that Telegram moved."""
    match address:
        case UserChat(user_id):
            user = await uow.users.get(user_id)
            if user is None:
                raise LookupError(f"user {user_id} does not exist")
            return Target(user.telegram_id, None, Side.CLIENT)
        case TicketTopic(ticket_id):
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise LookupError(f"ticket {ticket_id} does not exist")
            if ticket.private_agent_id is not None:
                agent = await uow.users.get(ticket.private_agent_id)
                if agent is not None:  # worked from the agent's private chat
                    return Target(agent.telegram_id, None, Side.DESK)
            if ticket.desk_topic_id is None:
                raise TopicMissing(ticket_id)
            return Target(ticket.desk_chat_id, ticket.desk_topic_id, Side.DESK)
        case RawChat(chat_id, thread_id):
            if desks is not None:
                chat_id = desks.current(chat_id)
            return Target(chat_id, thread_id, Side.DESK if chat_id < 0 else Side.CLIENT)


async def message_id_on(uow: UnitOfWork, record_id: int | None, side: Side) -> int | None:
    """The Telegram id, on one side, of a stored ticket message (None if never delivered)."""
    if record_id is None:
        return None
    record = await uow.messages.get(record_id)
    if record is None:
        return None
    return record.client_message_id if side is Side.CLIENT else record.desk_message_id


async def copy_is_shared(uow: UnitOfWork, record_id: int, side: Side) -> bool:
    """True when the record's copy on ``side`` carries other messages too (a bundle)."""
    record = await uow.messages.get(record_id)
    if record is None or side is Side.CLIENT or record.desk_message_id is None:
        return False
    return await uow.messages.count_on_desk(record.ticket_id, record.desk_message_id) > 1


async def record_delivered(uow: UnitOfWork, record_id: int, side: Side, message_id: int) -> None:
    record = await uow.messages.get(record_id)
    if record is None:
        return
    if side is Side.CLIENT:
        record.client_message_id = message_id
    else:
        record.desk_message_id = message_id


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
