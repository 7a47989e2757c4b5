"""Working a ticket from one's private chat with the bot.

A desk group takes about 20 messages a minute from the bot, shared by every ticket in
it; an agent's private chat takes about one a second, theirs alone. An agent with a
chatty client types ``/private`` in the ticket's topic: from then on the client's
messages come to the agent's private chat, and what the agent writes there goes to the
client. ``/back`` (or closing, transferring, losing the ticket) returns it to the topic.
One ticket at a time, so that nothing the agent writes can reach the wrong client.
"""

from __future__ import annotations

import logging

from veil.domain.agents import alias_for
from veil.domain.content import Handling, command_in, handling_of
from veil.domain.ids import client_alias
from veil.domain.model import Direction, Ticket, User
from veil.services import client, desk, routing
from veil.services.agents import hand_back
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import RawChat, SendText, UserChat
from veil.services.guard import may_work
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.relay import edit
from veil.services.say import tell

log = logging.getLogger(__name__)


async def work_privately(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/private`` in a ticket's topic: the ticket moves to the agent's private chat."""
    found = await desk.ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    agent, ticket = found
    if ticket.private_agent_id == agent.id:
        tell(uow, ctx, agent, "private-already", client=client_alias(ticket.public_id))
        return
    earlier = await uow.tickets.worked_privately_by(id_of(agent))
    if earlier is not None:
        hand_back(uow, ctx, earlier)
        tell(uow, ctx, agent, "private-ended", client=client_alias(earlier.public_id))
    ticket.work_privately(id_of(agent))
    alias = alias_for(id_of(agent))
    # Straight into this topic: the ticket's own address now leads to the agent.
    uow.outbox.add(
        SendText(
            RawChat(msg.chat_id, msg.thread_id),
            ctx.desk_text("desk-private-started", agent=alias),
        )
    )
    tell(uow, ctx, agent, "private-started", client=client_alias(ticket.public_id))
    log.info("ticket worked privately", extra={"ticket": ticket.public_id})


async def back_to_topic(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """``/back`` in the private chat: the ticket's messages go to its topic again."""
    user = await ensure_user(uow, ctx, sender)
    ticket = await uow.tickets.worked_privately_by(id_of(user))
    if ticket is None:
        tell(uow, ctx, user, "private-none")
        return
    hand_back(uow, ctx, ticket)
    tell(uow, ctx, user, "private-ended", client=client_alias(ticket.public_id))


async def private_work_ended(uow: UnitOfWork, ctx: Context, ticket_id: int) -> None:
    """Delivery found that the agent working the ticket in private may no longer (or can
    no longer) read it: the ticket goes back to its topic, and the desk is told there."""
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.private_agent_id is None:
        return
    hand_back(uow, ctx, ticket, "desk-private-revoked", why=ctx.desk_text("why-right-gone"))
    log.warning("private work ended at delivery", extra={"ticket": ticket.public_id})


async def from_private_chat(uow: UnitOfWork, ctx: Context, msg: Incoming) -> bool:
    """An agent's message in their private chat while they work a ticket there goes to
    its client. False when the sender works no ticket privately (a client, say)."""
    user = await uow.users.by_telegram_id(msg.sender.telegram_id)
    if user is None or not user.can_answer_tickets:
        return False
    command = command_in(msg.text)
    if command in ("note", "close"):
        # However typed (/CLOSE, a space or a zero-width before): handled before the
        # ticket is read, since /close must take the routing lock first.
        await desk_command_in_private(uow, ctx, msg)
        return True
    ticket = await uow.tickets.worked_privately_by(id_of(user))
    if ticket is None:
        return False
    handling = handling_of(msg.kind)
    if handling is Handling.IGNORE:
        return True
    if handling is not Handling.RELAY:
        tell(uow, ctx, user, "desk-kind-not-relayed", kind=msg.kind)
        return True
    if command == "back":
        await back_to_topic(uow, ctx, msg.sender)
        return True
    if command is not None:  # never relayed: answered instead
        tell(uow, ctx, user, "private-unknown-command")
        return True
    if await _still_theirs(uow, ctx, user, ticket):
        await desk.answer_client(uow, ctx, user, ticket, msg)
    return True


async def _still_theirs(uow: UnitOfWork, ctx: Context, user: User, ticket: Ticket) -> bool:
    """The rule every answer from the private chat passes, edits included; a ticket that
    is no longer the agent's to answer goes back to its topic, and both sides are told."""
    if await may_work(uow, ctx, user, ticket):
        return True
    hand_back(uow, ctx, ticket)
    tell(uow, ctx, user, "private-lost", client=client_alias(ticket.public_id))
    log.info("private work ended: no longer the agent's", extra={"ticket": ticket.public_id})
    return False


async def edit_in_private_chat(uow: UnitOfWork, ctx: Context, msg: Incoming) -> bool:
    """An agent edits a message they sent a client from their private chat."""
    user = await uow.users.by_telegram_id(msg.sender.telegram_id)
    if user is None or not user.can_answer_tickets or msg.text is None:
        return False
    ticket = await uow.tickets.worked_privately_by(id_of(user))
    if ticket is None:
        return False
    record = await uow.messages.by_desk_message(id_of(ticket), msg.chat_id, msg.message_id)
    if record is None or record.direction is not Direction.FROM_AGENT:
        return True
    if command_in(msg.text) is not None:  # an answer edited into a command stays here
        tell(uow, ctx, user, "private-unknown-command")
        return True
    if await _still_theirs(uow, ctx, user, ticket):
        record.edit(msg.text, ctx.clock())
        uow.outbox.add(edit(UserChat(ticket.client_id), record, msg))
    return True


async def relay_private(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """A plain message in a private chat: an agent answering the ticket they work
    there, or else a client writing to support."""
    if not await from_private_chat(uow, ctx, msg):
        await client.relay_from_client(uow, ctx, msg)


async def edit_private(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    if not await edit_in_private_chat(uow, ctx, msg):
        await client.edit_from_client(uow, ctx, msg)


async def desk_command_in_private(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """/note and /close in the private chat act on the ticket worked there; elsewhere
    (or other desk commands) the sender is told where they belong."""
    command = command_in(msg.text)
    if command == "close":
        await _close_worked_ticket(uow, ctx, msg)
    elif command == "note":
        await _note_worked_ticket(uow, ctx, msg)
    else:
        await client.wrong_chat(uow, ctx, msg.sender)


async def _worked_ticket(
    uow: UnitOfWork, ctx: Context, msg: Incoming
) -> tuple[User, Ticket] | None:
    """The sender and the ticket they work in this chat, or None after telling them."""
    user = await ensure_user(uow, ctx, msg.sender)
    ticket = None
    if user.can_answer_tickets:
        ticket = await uow.tickets.worked_privately_by(id_of(user))
    if ticket is None:
        await client.wrong_chat(uow, ctx, msg.sender)
        return None
    return user, ticket


async def _note_worked_ticket(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    found = await _worked_ticket(uow, ctx, msg)
    if found is None:
        return
    user, ticket = found
    tell(uow, ctx, user, await desk.keep_note(uow, ctx, user, ticket, msg))


@routing.changes_holdings
async def _close_worked_ticket(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    found = await _worked_ticket(uow, ctx, msg)
    if found is None:
        return
    user, ticket = found
    if await _still_theirs(uow, ctx, user, ticket):
        await desk.close_ticket(uow, ctx, ticket)
