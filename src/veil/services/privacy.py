"""What a client typed that agents need not see, hidden before anything is stored or sent."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from veil.domain.audit import Action
from veil.domain.cleaning import clean_with_entities
from veil.domain.limits import LONGEST_BAN, held_tickets
from veil.domain.masking import Sensitive, mask
from veil.domain.model import ClosedBy, User
from veil.services import desk, presses, routing
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import Button
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork
from veil.services.say import tell

log = logging.getLogger(__name__)

MASKED_NOTICE = "masked"
FORGET_AT_MOST = 10_000  # tickets of one client erased at once
_LABELS = {
    Sensitive.PHONE: "masked-phone",
    Sensitive.EMAIL: "masked-email",
    Sensitive.CARD: "masked-card",
}


def cleaned(ctx: Context, msg: Incoming) -> Incoming:
    """``msg`` as agents may read it: without control, direction or invisible characters
    (``domain.cleaning``), its formatting moved to fit. A text of nothing else says so."""
    if not msg.text:
        return msg
    text, entities = clean_with_entities(msg.text, msg.entities)
    if msg.kind == "text" and not text.strip():  # Telegram sends no empty text either
        text, entities = ctx.desk_text("client-text-invisible"), ()
    if text == msg.text:
        return msg
    return replace(msg, text=text, entities=entities, masked=True)


async def masked(uow: UnitOfWork, ctx: Context, user: User, msg: Incoming) -> Incoming:
    """``msg`` cleaned, then with phone numbers, e-mail addresses and card numbers hidden
    (``VEIL_MASKING``); the client is told, once, that agents do not see them. Cleaned
    first: a zero-width space inside a phone number must not hide it from the masking."""
    msg = cleaned(ctx, msg)
    if not ctx.masking or not msg.text:
        return msg
    result = mask(msg.text, msg.entities, lambda kind: ctx.desk_text(_LABELS[kind]))
    if not result.kinds:
        return msg
    if await uow.limits.told_until(id_of(user), MASKED_NOTICE) is None:
        # Told once: the notice lasts as long as anything Veil keeps.
        await uow.limits.tell_until(id_of(user), MASKED_NOTICE, ctx.clock() + LONGEST_BAN)
        tell(uow, ctx, user, "masked-told")
    return replace(msg, text=result.text, entities=result.entities, masked=True)


async def ask_to_forget(uow: UnitOfWork, ctx: Context, sender: Sender) -> None:
    """``/forget_me``: what erasing means, and a button to confirm it."""
    user = await ensure_user(uow, ctx, sender)
    button = Button(ctx.texts(user.language, "button-forget-me"), presses.ConfirmForget())
    tell(uow, ctx, user, "forget-ask", ((button,),))


@routing.changes_holdings
async def forget_me(uow: UnitOfWork, ctx: Context, sender: Sender) -> str:
    """Erase what the client wrote and was sent, and give their tickets to a person who
    is nobody: nothing leads from those tickets to them any more. The tickets' numbers
    and the audit log (which holds no contents) stay.

    The person stays who they are to the limits: a ban or an allowance holds, and the
    times of the tickets opened in the last day stay counted, so that erasing is no way
    round the daily limit.
    """
    user = await ensure_user(uow, ctx, sender)
    ban = await uow.limits.ban_of(id_of(user))
    if ban is not None and ban.active(ctx.clock()):
        uow.audit.refused("/forget_me", "banned")
        return ctx.texts(user.language, "forget-banned")
    current = await uow.tickets.open_for_client(id_of(user))
    if current is not None:
        await desk.close_ticket(uow, ctx, current, by=ClosedBy.CLIENT, tell_client=False)
    now = ctx.clock()
    mine = await uow.tickets.for_client(id_of(user), FORGET_AT_MOST)
    tickets = [t.id for t in mine if t.id is not None]
    erased = await uow.erasure.contents(tickets)
    await uow.erasure.chat_deliveries(id_of(user))
    today = [t.created_at for t in mine if now - t.created_at < timedelta(days=1)]
    await uow.erasure.hold(held_tickets(id_of(user)), today)
    await uow.erasure.detach(tickets, now)
    uow.audit.record(Action.CONTENTS_FORGOTTEN, None, tickets=len(tickets), messages=erased)
    log.info("a client was forgotten at their request", extra={"tickets": len(tickets)})
    return ctx.texts(user.language, "forget-done", tickets=len(tickets))


async def purge_closed(uow: UnitOfWork, now: datetime, older_than: timedelta, batch: int) -> int:
    """The contents of tickets closed longer ago than ``older_than`` (VEIL_RETENTION_DAYS)
    are erased, a batch at a time; returns how many tickets were purged."""
    tickets = await uow.erasure.closed_before(now - older_than, batch)
    if tickets:
        erased = await uow.erasure.contents(tickets)
        uow.audit.record(Action.CONTENTS_PURGED, None, tickets=len(tickets), messages=erased)
    return len(tickets)
