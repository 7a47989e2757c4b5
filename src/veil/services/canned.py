"""Canned answers: named replies admins keep, agents send with one press."""

from __future__ import annotations

import re

from veil.domain.agents import CannedAnswer
from veil.domain.cleaning import clean
from veil.domain.content import TEXT_LIMIT
from veil.domain.model import Direction
from veil.domain.text import utf16_clip, utf16_len
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import Button, RawChat, SendText, UserChat
from veil.services.desk import ticket_of_topic
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.presses import SendCanned
from veil.services.relay import record_message
from veil.services.say import tell

NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
# Placeholders an answer may use; anything else in braces is left as written.
PLACEHOLDERS = ("ticket",)


async def manage(uow: UnitOfWork, ctx: Context, sender: Sender, args: str) -> None:
    """``/canned_set name text`` (create or edit), ``/canned_delete name``, ``/canned_list``."""
    user = await ensure_user(uow, ctx, sender)
    verb, _, rest = args.strip().partition(" ")
    name, _, body = rest.strip().partition(" ")
    body = clean(body)  # sent to clients, echoed to the desk; a NUL cannot even be stored
    name = name.lower()
    if verb == "list":
        answers = await uow.canned.all()
        lines = [f"• {a.name}: {utf16_clip(a.text, 80)}" for a in answers]
        key = "canned-list" if lines else "canned-none"
        tell(uow, ctx, user, key, lines="\n".join(lines))
    elif verb == "set" and NAME.match(name) and body.strip() and utf16_len(body) <= TEXT_LIMIT:
        found = await uow.canned.by_name(name)
        if found is None:
            await uow.canned.add(CannedAnswer(name, body.strip(), id_of(user), ctx.clock()))
        else:
            found.text, found.updated_at = body.strip(), ctx.clock()
        tell(uow, ctx, user, "canned-saved", name=name)
    elif verb == "delete" and (found := await uow.canned.by_name(name)) is not None:
        await uow.canned.remove(found)
        tell(uow, ctx, user, "canned-deleted", name=name)
    else:
        tell(uow, ctx, user, "canned-usage")


async def offer(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/canned`` in a topic: the answers as buttons."""
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return
    answers = await uow.canned.all()
    to = RawChat(msg.chat_id, msg.thread_id)
    if not answers:
        uow.outbox.add(SendText(to, ctx.desk_text("canned-none-desk")))
        return
    buttons = tuple((Button(a.name, SendCanned(id_of(a))),) for a in answers)
    uow.outbox.add(SendText(to, ctx.desk_text("canned-pick"), buttons=buttons))


async def send(
    uow: UnitOfWork,
    ctx: Context,
    sender: Sender,
    chat_id: int,
    thread_id: int | None,
    answer_id: int,
) -> str:
    """One press: the answer goes to the client as the agent's message. Returns a notice."""
    user = await ensure_user(uow, ctx, sender)
    ticket = None
    if thread_id is not None:
        ticket = await uow.tickets.by_topic(chat_id, thread_id)
    answer = await uow.canned.get(answer_id)
    if ticket is None or ticket.is_closed or answer is None:
        return ctx.desk_text("notice-stale-button")
    text = answer.text.replace("{ticket}", ticket.public_id)
    note = Incoming(chat_id, 0, sender, "text", text, thread_id=thread_id)
    record = await record_message(uow, ctx, ticket, note, Direction.FROM_AGENT, id_of(user))
    record.desk_chat_id = record.desk_message_id = None  # never a message in the topic
    ticket.agent_answered(ctx.clock())
    uow.outbox.add(SendText(UserChat(ticket.client_id), text, record=id_of(record)))
    uow.outbox.add(
        SendText(
            RawChat(chat_id, thread_id), ctx.desk_text("canned-sent", name=answer.name, text=text)
        )
    )
    return ctx.desk_text("canned-sent-notice", name=answer.name)
