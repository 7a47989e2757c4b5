"""Use cases of what a ticket is about: the host's appointment, and changes to it.

Live Support pressed on an appointment attaches it to the ticket, as the host describes
it (service, time, provider, status) and never with who the client is; one starting
soon makes the ticket urgent enough (high priority). An agent offers another slot or a
cancellation; the client's yes has the host carry it out (``CarryOut``, after commit),
and both sides are told what came of it.

The host is never called inside a transaction of Veil's (on SQLite that would hold the
database's write lock while the host's booking system thinks): what it says is asked
before the unit of work begins (``describe``, ``slots_for``) and handed in, and what it
does runs after commit. Each call has ``HOST_TIMEOUT``, under the outbox's lease, so a
change is never carried out twice at once. An offer is changed only under its ticket's
lock, and read after taking it (``_offer_with_ticket``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from veil.domain.appointments import (
    Appointment,
    Offer,
    OfferKind,
    OfferStatus,
    Outcome,
    Slot,
    as_utc,
    is_ref,
    offerable,
)
from veil.domain.model import Priority, Ticket, User
from veil.services import presses
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import (
    Button,
    Buttons,
    CarryOut,
    RawChat,
    RefreshCard,
    SendText,
    TicketTopic,
    UserChat,
)
from veil.services.desk import ticket_of_topic
from veil.services.people import ensure_user, id_of
from veil.services.ports import UnitOfWork, UnitOfWorkFactory
from veil.services.say import answer_in_desk

log = logging.getLogger(__name__)

SLOTS_OFFERED = 6  # buttons in one message: enough choice, still readable
HOST_TIMEOUT = 30.0  # seconds; well under the outbox lease (VEIL_SENDER_LEASE_SECONDS, 90)

T = TypeVar("T")


async def _ask(what: str, call: Awaitable[T]) -> T | None:
    """One call to the host, limited in time; None when it fails (logged by kind only: a
    host's error text may carry the client's Telegram id Veil passed it)."""
    try:
        return await asyncio.wait_for(call, HOST_TIMEOUT)
    except Exception as exc:  # the host's code: anything can come out of it
        log.error("the host failed to %s: %s", what, type(exc).__name__)
        return None


async def describe(ctx: Context, client_telegram_id: int, ref: str | None) -> Appointment | None:
    """The appointment ``ref`` as the host describes it, if it is this client's. Asked
    before Veil's unit of work begins.

    A payload is only a claim (buttons can be forged): the host checks the appointment
    belongs to whoever pressed. A host that fails to answer costs the context, never the
    ticket."""
    if ref is None or ctx.appointments is None:
        return None
    if not is_ref(ref):
        log.warning("appointment reference of the wrong shape ignored")
        return None
    found = await _ask(
        "describe an appointment", ctx.appointments.describe(client_telegram_id, ref)
    )
    if found is None:
        log.warning("no appointment to attach (not the client's, gone, or no answer)")
        return None
    return as_utc(found)


@dataclass(frozen=True)
class SlotsAnswer:
    """What the host said about free slots for the ticket in a topic, asked before the
    unit of work: the slots, or None when there was nothing to ask or no answer."""

    slots: tuple[Slot, ...] | None
    host_failed: bool = False


async def slots_for(ctx: Context, client_telegram_id: int, about: Appointment) -> SlotsAnswer:
    if ctx.appointments is None:
        return SlotsAnswer(None)
    found = await _ask("list free slots", ctx.appointments.slots(client_telegram_id, about.ref))
    if found is None:
        return SlotsAnswer(None, host_failed=True)
    return SlotsAnswer(tuple(offerable(list(found), SLOTS_OFFERED)))


def attach(uow: UnitOfWork, ctx: Context, ticket: Ticket, appointment: Appointment) -> None:
    """The ticket is about ``appointment``; one starting soon is high priority at least.
    Offers made about another appointment cannot be taken up any more (``_stale``)."""
    ticket.about = appointment
    if appointment.is_soon(ctx.clock(), ctx.soon) and ticket.priority in (
        Priority.LOW,
        Priority.NORMAL,
    ):
        ticket.reprioritise(Priority.HIGH)


async def offer_reschedule(
    uow: UnitOfWork, ctx: Context, msg: Incoming, answer: SlotsAnswer
) -> None:
    """``/reschedule`` in a ticket's topic: the free slots (asked of the host before this
    unit of work, ``answer``), as buttons for the agent."""
    found = await _about_here(uow, ctx, msg)
    if found is None:
        return
    _, ticket, appointment = found
    if answer.host_failed:
        answer_in_desk(uow, ctx, msg, "desk-host-failed")
        return
    if not answer.slots:
        answer_in_desk(uow, ctx, msg, "desk-no-slots")
        return
    await _withdraw_open(uow, ticket)
    now = ctx.clock()
    rows: list[tuple[Button, ...]] = []
    for slot in answer.slots:
        offer = Offer(
            id_of(ticket),
            OfferKind.RESCHEDULE,
            now,
            appointment.ref,
            slot_ref=slot.ref,
            slot_label=slot.label,
        )
        await uow.offers.add(offer)
        rows.append((Button(slot.label, presses.ProposeOffer(id_of(offer))),))
    text = ctx.desk_text("desk-pick-slot", service=appointment.service)
    uow.outbox.add(SendText(RawChat(msg.chat_id, msg.thread_id), text, buttons=tuple(rows)))


async def offer_cancel(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/cancel_booking`` in a ticket's topic: the client is asked to confirm."""
    found = await _about_here(uow, ctx, msg)
    if found is None:
        return
    _, ticket, appointment = found
    await _withdraw_open(uow, ticket)
    offer = Offer(id_of(ticket), OfferKind.CANCEL, ctx.clock(), appointment.ref)
    await uow.offers.add(offer)
    offer.propose()
    await _put_to_client(uow, ctx, ticket, offer)


async def propose(uow: UnitOfWork, ctx: Context, offer_id: int, chat_id: int) -> str | None:
    """An agent picked a slot (a button in the topic); returns a notice for the presser."""
    found = await _offer_with_ticket(uow, offer_id)
    if found is None or not ctx.desks.holds(found[1].desk_chat_id, chat_id):
        return ctx.desk_text("notice-stale-button")
    offer, ticket = found
    if ticket.is_closed or offer.status is not OfferStatus.DRAFT or _stale(offer, ticket):
        return ctx.desk_text("notice-offer-gone")
    for other in await uow.offers.open_for_ticket(id_of(ticket)):
        if other is not offer:
            other.withdraw()
    offer.propose()
    await _put_to_client(uow, ctx, ticket, offer)
    return ctx.desk_text("notice-offer-sent")


async def decide(
    uow: UnitOfWork, ctx: Context, sender: Sender, offer_id: int, *, accept: bool
) -> str | None:
    """The client's yes or no to an offer (a button in their chat)."""
    user = await ensure_user(uow, ctx, sender)
    found = await _offer_with_ticket(uow, offer_id)
    if found is None:  # someone else's was refused before, in the same words
        return ctx.texts(user.language, "notice-stale-button")
    offer, ticket = found
    if ticket.is_closed or offer.status is not OfferStatus.PROPOSED or _stale(offer, ticket):
        offer.withdraw()
        return ctx.texts(user.language, "notice-offer-gone")
    now = ctx.clock()
    topic = TicketTopic(id_of(ticket))
    if not accept:
        offer.decline(now)
        uow.outbox.add(
            SendText(topic, ctx.desk_text("desk-offer-declined", what=_what(ctx, offer)))
        )
        return ctx.texts(user.language, "notice-offer-declined")
    offer.accept(now)
    uow.outbox.add(SendText(topic, ctx.desk_text("desk-offer-accepted", what=_what(ctx, offer))))
    uow.outbox.add(CarryOut(id_of(offer)))
    return ctx.texts(user.language, "notice-offer-accepted")


async def carry_out(units: UnitOfWorkFactory, ctx: Context, offer_id: int) -> None:
    """Have the host make the change the client accepted, then tell both sides.

    The host is called outside any transaction of Veil's (it writes its own tables, maybe
    in the same SQLite file). Run again after a crash, an offer already settled is left
    alone; one accepted but not settled is put to the host again, which must then do no
    more than it did the first time (the port's contract)."""
    async with units() as uow:
        found = await _offer_with_ticket(uow, offer_id)
        client = await uow.users.get(found[1].client_id) if found is not None else None
    if found is None or found[0].status is not OfferStatus.ACCEPTED:
        return
    if client is None or ctx.appointments is None:
        outcome = Outcome(False, ctx.desk_text("offer-impossible"))
    else:
        outcome = await _carry_out_at_host(ctx, client, found[0])
    async with units() as uow:
        found = await _offer_with_ticket(uow, offer_id)
        if found is None or found[0].status is not OfferStatus.ACCEPTED:
            return
        offer, ticket = found
        offer.settle(outcome)
        if outcome.appointment is not None:
            ticket.about = outcome.appointment
        key = "offer-done" if outcome.done else "offer-failed"
        client = await uow.users.get(ticket.client_id)
        language = client.language if client is not None else None
        uow.outbox.add(
            SendText(UserChat(ticket.client_id), ctx.texts(language, key, result=outcome.message))
        )
        uow.outbox.add(
            SendText(
                TicketTopic(id_of(ticket)), ctx.desk_text(f"desk-{key}", result=outcome.message)
            )
        )
        uow.outbox.add(RefreshCard(id_of(ticket)))
        await uow.commit()
    log.info("offer carried out", extra={"offer": offer_id, "done": outcome.done})


async def _carry_out_at_host(ctx: Context, client: User, offer: Offer) -> Outcome:
    """The change, on the appointment the offer was made about (not whatever the ticket is
    about by now). A host's failure is reported to both sides, not retried for ever."""
    assert ctx.appointments is not None
    who, ref = client.telegram_id, offer.appointment_ref
    if offer.kind is OfferKind.CANCEL:
        done = await _ask("cancel an appointment", ctx.appointments.cancel(who, ref))
    else:
        assert offer.slot_ref is not None  # a reschedule offer always names its slot
        change = ctx.appointments.reschedule(who, ref, offer.slot_ref)
        done = await _ask("reschedule an appointment", change)
    return done if done is not None else Outcome(False, ctx.desk_text("offer-host-failed"))


async def _offer_with_ticket(uow: UnitOfWork, offer_id: int) -> tuple[Offer, Ticket] | None:
    """The offer and its ticket, the ticket's lock taken before the offer is read, so
    that the offer is as the last unit to change it (under the same lock) left it."""
    ticket_id = await uow.offers.ticket_of(offer_id)
    ticket = await uow.tickets.get(ticket_id) if ticket_id is not None else None
    offer = await uow.offers.get(offer_id) if ticket is not None else None
    if offer is None or ticket is None:
        return None
    return offer, ticket


def _stale(offer: Offer, ticket: Ticket) -> bool:
    """Made about an appointment the ticket is no longer about."""
    return ticket.about is None or ticket.about.ref != offer.appointment_ref


async def _about_here(
    uow: UnitOfWork, ctx: Context, msg: Incoming
) -> tuple[User, Ticket, Appointment] | None:
    found = await ticket_of_topic(uow, ctx, msg, answer_outside=True)
    if found is None:
        return None
    user, ticket = found
    if ticket.about is None or ctx.appointments is None:
        answer_in_desk(uow, ctx, msg, "desk-no-appointment")
        return None
    return user, ticket, ticket.about


async def _withdraw_open(uow: UnitOfWork, ticket: Ticket) -> None:
    for offer in await uow.offers.open_for_ticket(id_of(ticket)):
        offer.withdraw()


async def _put_to_client(uow: UnitOfWork, ctx: Context, ticket: Ticket, offer: Offer) -> None:
    client = await uow.users.get(ticket.client_id)
    language = client.language if client is not None else None
    assert ticket.about is not None
    key = "offer-cancel" if offer.kind is OfferKind.CANCEL else "offer-reschedule"
    text = ctx.texts(
        language,
        key,
        service=ticket.about.service,
        when=ticket.about.when,
        slot=offer.slot_label or "",
    )
    buttons: Buttons = (
        (
            Button(
                ctx.texts(language, "button-offer-yes"),
                presses.AnswerOffer(id_of(offer), accept=True),
            ),
            Button(
                ctx.texts(language, "button-offer-no"),
                presses.AnswerOffer(id_of(offer), accept=False),
            ),
        ),
    )
    uow.outbox.add(SendText(UserChat(ticket.client_id), text, buttons=buttons))
    uow.outbox.add(
        SendText(
            TicketTopic(id_of(ticket)), ctx.desk_text("desk-offer-sent", what=_what(ctx, offer))
        )
    )


def _what(ctx: Context, offer: Offer) -> str:
    if offer.kind is OfferKind.CANCEL:
        return ctx.desk_text("offer-what-cancel")
    return ctx.desk_text("offer-what-reschedule", slot=offer.slot_label or "")
