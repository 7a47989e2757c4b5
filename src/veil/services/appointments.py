"""Use cases of what a ticket is about: the host's appointment, and changes to it.

Live Support pressed on an appointment attaches it to the ticket, as the host describes
it (service, time, provider, status) and never with who the client is; one starting
soon makes the ticket urgent enough (high priority). An agent offers another slot or a
cancellation; the client's yes has the host carry it out (``CarryOut``, after commit),
and both sides are told what came of it.
"""

from __future__ import annotations

import logging

from veil.domain.appointments import (
    Appointment,
    Offer,
    OfferKind,
    OfferStatus,
    Outcome,
    is_ref,
)
from veil.domain.model import Priority, Ticket, User
from veil.services import actions
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
from veil.services.rights import may_act
from veil.services.say import answer_in_desk

log = logging.getLogger(__name__)

SLOTS_OFFERED = 6  # buttons in one message: enough choice, still readable


async def describe(ctx: Context, client: User, ref: str | None) -> Appointment | None:
    """The appointment ``ref`` as the host describes it, if it is this client's.

    A payload is only a claim (buttons can be forged): the host checks the appointment
    belongs to whoever pressed. A host that fails to answer costs the context, never the
    ticket."""
    if ref is None or ctx.appointments is None:
        return None
    if not is_ref(ref):
        log.warning("appointment reference of the wrong shape ignored")
        return None
    try:
        found = await ctx.appointments.describe(client.telegram_id, ref)
    except Exception:
        log.exception("the host could not describe an appointment; ticket opened without it")
        return None
    if found is None:
        log.warning("appointment not the client's (or gone): ticket opened without it")
    return found


def attach(uow: UnitOfWork, ctx: Context, ticket: Ticket, appointment: Appointment) -> None:
    """The ticket is about ``appointment``; one starting soon is high priority at least."""
    ticket.about = appointment
    if appointment.is_soon(ctx.clock(), ctx.soon) and ticket.priority in (
        Priority.LOW,
        Priority.NORMAL,
    ):
        ticket.reprioritise(Priority.HIGH)


async def offer_reschedule(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/reschedule`` in a ticket's topic: the free slots, as buttons for the agent."""
    found = await _about_here(uow, ctx, msg)
    if found is None:
        return
    _, ticket, appointment = found
    client = await uow.users.get(ticket.client_id)
    assert ctx.appointments is not None and client is not None  # checked by _about_here
    try:
        slots = list(await ctx.appointments.slots(client.telegram_id, appointment.ref))
    except Exception:
        log.exception("the host could not list slots")
        answer_in_desk(uow, ctx, msg, "desk-host-failed")
        return
    slots = [s for s in slots if is_ref(s.ref)][:SLOTS_OFFERED]
    if not slots:
        answer_in_desk(uow, ctx, msg, "desk-no-slots")
        return
    await _withdraw_open(uow, ticket)
    now = ctx.clock()
    rows: list[tuple[Button, ...]] = []
    for slot in slots:
        offer = Offer(
            id_of(ticket), OfferKind.RESCHEDULE, now, slot_ref=slot.ref, slot_label=slot.label
        )
        await uow.offers.add(offer)
        rows.append((Button(slot.label, actions.offer_button("propose_offer", id_of(offer))),))
    text = ctx.desk_text("desk-pick-slot", service=appointment.service)
    uow.outbox.add(SendText(RawChat(msg.chat_id, msg.thread_id), text, buttons=tuple(rows)))


async def offer_cancel(uow: UnitOfWork, ctx: Context, msg: Incoming) -> None:
    """``/cancel_booking`` in a ticket's topic: the client is asked to confirm."""
    found = await _about_here(uow, ctx, msg)
    if found is None:
        return
    _, ticket, _appointment = found
    await _withdraw_open(uow, ticket)
    offer = Offer(id_of(ticket), OfferKind.CANCEL, ctx.clock())
    await uow.offers.add(offer)
    offer.propose()
    await _put_to_client(uow, ctx, ticket, offer)


async def propose(
    uow: UnitOfWork, ctx: Context, sender: Sender, offer_id: int, chat_id: int
) -> str | None:
    """An agent picked a slot (a button in the topic); returns a notice for the presser."""
    user = await ensure_user(uow, ctx, sender)
    offer = await uow.offers.get(offer_id)
    ticket = await uow.tickets.get(offer.ticket_id) if offer is not None else None
    if offer is None or ticket is None or not ctx.desks.holds(ticket.desk_chat_id, chat_id):
        return ctx.desk_text("notice-stale-button")
    if not user.can_answer_tickets or not await may_act(uow, ctx, user, ticket):
        return ctx.desk_text("desk-not-yours-to-offer")
    if ticket.is_closed or offer.status is not OfferStatus.DRAFT:
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
    offer = await uow.offers.get(offer_id)
    ticket = await uow.tickets.get(offer.ticket_id) if offer is not None else None
    if offer is None or ticket is None or ticket.client_id != user.id:
        return ctx.texts(user.language, "notice-stale-button")
    if ticket.is_closed or offer.status is not OfferStatus.PROPOSED:
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
        offer = await uow.offers.get(offer_id)
        ticket = await uow.tickets.get(offer.ticket_id) if offer is not None else None
        client = await uow.users.get(ticket.client_id) if ticket is not None else None
    if offer is None or offer.status is not OfferStatus.ACCEPTED:
        return
    if ticket is None or client is None or ticket.about is None or ctx.appointments is None:
        outcome = Outcome(False, ctx.desk_text("offer-impossible"))
    else:
        outcome = await _ask_host(ctx, client, ticket.about, offer)
    async with units() as uow:
        offer = await uow.offers.get(offer_id)
        ticket = await uow.tickets.get(offer.ticket_id) if offer is not None else None
        if offer is None or ticket is None or offer.status is not OfferStatus.ACCEPTED:
            return
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


async def _ask_host(ctx: Context, client: User, about: Appointment, offer: Offer) -> Outcome:
    assert ctx.appointments is not None
    try:
        if offer.kind is OfferKind.CANCEL:
            return await ctx.appointments.cancel(client.telegram_id, about.ref)
        assert offer.slot_ref is not None  # a reschedule offer always names its slot
        return await ctx.appointments.reschedule(client.telegram_id, about.ref, offer.slot_ref)
    except Exception:
        # A host's failure is reported to both sides, not retried for ever.
        log.exception("the host could not carry out an accepted offer")
        return Outcome(False, ctx.desk_text("offer-host-failed"))


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
                actions.offer_button("accept_offer", id_of(offer)),
            ),
            Button(
                ctx.texts(language, "button-offer-no"),
                actions.offer_button("decline_offer", id_of(offer)),
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
