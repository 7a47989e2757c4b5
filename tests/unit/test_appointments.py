"""What a ticket is about, and the life of an offer on it (pure rules, and the use cases
over the fake unit of work)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from veil.domain.appointments import (
    Appointment,
    Offer,
    OfferError,
    OfferKind,
    OfferStatus,
    Outcome,
    Slot,
    is_ref,
    offerable,
)
from veil.domain.model import Priority, Role
from veil.domain.permissions import Act, Refusal
from veil.i18n import default_catalog
from veil.services import appointments, client, guard
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import CarryOut, SendText, UserChat
from veil.services.guard import Pressed
from veil.services.people import set_role
from veil.services.presses import AnswerOffer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _appointment(starts_in: timedelta | None) -> Appointment:
    starts = NOW + starts_in if starts_in is not None else None
    return Appointment("b1", "Haircut", "Tue 10:00", "Dr Lee", "booked", starts)


@pytest.mark.parametrize(
    ("starts_in", "soon"),
    [
        (timedelta(hours=2), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, minutes=1), False),
        (timedelta(minutes=-30), True),  # just started: the client may be at the door
        (timedelta(hours=-2), False),  # long over
        (None, False),  # the host did not say when
    ],
)
def test_an_appointment_is_soon_within_the_window(starts_in: timedelta | None, soon: bool) -> None:
    assert _appointment(starts_in).is_soon(NOW, timedelta(hours=24)) is soon


@pytest.mark.parametrize("ref", ["b1", "A-z_09", "x" * 40])
def test_references_of_the_host_are_short_and_plain(ref: str) -> None:
    assert is_ref(ref)


@pytest.mark.parametrize("ref", [None, "", "x" * 41, "b 1", "b1;drop", "бронь", "b1\n"])
def test_anything_else_is_no_reference(ref: str | None) -> None:
    assert not is_ref(ref)


def test_an_offer_goes_draft_proposed_accepted_settled_once() -> None:
    offer = Offer(1, OfferKind.RESCHEDULE, NOW, "b1", slot_ref="s2", slot_label="Wed 11:30", id=5)
    offer.propose()
    offer.accept(NOW)
    assert offer.status is OfferStatus.ACCEPTED and not offer.is_open
    offer.settle(Outcome(True, "moved"))
    assert offer.status is OfferStatus.DONE
    with pytest.raises(OfferError):
        offer.settle(Outcome(True, "moved again"))  # a crash's replay changes nothing


def test_a_declined_or_withdrawn_offer_cannot_be_accepted() -> None:
    declined = Offer(1, OfferKind.CANCEL, NOW, "b1", id=6)
    declined.propose()
    declined.decline(NOW)
    with pytest.raises(OfferError):
        declined.accept(NOW)
    withdrawn = Offer(1, OfferKind.CANCEL, NOW, "b1", id=7)
    withdrawn.propose()
    withdrawn.withdraw()
    with pytest.raises(OfferError):
        withdrawn.accept(NOW)
    failed = Offer(1, OfferKind.CANCEL, NOW, "b1", id=8)
    failed.propose()
    failed.accept(NOW)
    failed.settle(Outcome(False, "taken"))
    assert failed.status is OfferStatus.FAILED
    failed.withdraw()  # settled offers stay what they became
    assert failed.status is OfferStatus.FAILED


# --- the use cases, over the fakes ------------------------------------------------------

DESK = -1001
ALICE, MALLORY, BOB = Sender(111, "en"), Sender(444, "en"), Sender(222, "en")


class Clinic:
    """A host's bookings: Alice has b1 (tomorrow morning), nobody else has any."""

    def __init__(self, starts: datetime) -> None:
        self.starts = starts
        self.calls: list[tuple[str, ...]] = []

    async def describe(self, client_telegram_id: int, ref: str) -> Appointment | None:
        if client_telegram_id != ALICE.telegram_id or ref not in ("b1", "b2"):
            return None
        service = "Haircut" if ref == "b1" else "Massage"
        return Appointment(ref, service, "Wed 10:00", "Dr Lee", "booked", self.starts)

    async def slots(self, client_telegram_id: int, ref: str) -> list[Slot]:
        return [Slot("s7", "Thu 11:30"), Slot("s8", "Fri 15:00")]

    async def reschedule(self, client_telegram_id: int, ref: str, slot_ref: str) -> Outcome:
        self.calls.append(("reschedule", ref, slot_ref))
        moved = Appointment("b1", "Haircut", "Thu 11:30", "Dr Lee", "booked", self.starts)
        return Outcome(True, "your Haircut is now on Thu 11:30", moved)

    async def cancel(self, client_telegram_id: int, ref: str) -> Outcome:
        self.calls.append(("cancel", ref))
        return Outcome(True, "cancelled")


@pytest.fixture
def clinic(clock: FakeClock) -> Clinic:
    return Clinic(clock() + timedelta(hours=20))


@pytest.fixture
def ctx(clock: FakeClock, clinic: Clinic) -> Context:
    counter = itertools.count()
    return Context(
        clock, default_catalog(), lambda: f"R{next(counter):05d}", DESK, appointments=clinic
    )


@pytest.fixture
async def store(ctx: Context) -> FakeStore:
    store = FakeStore()
    async with store() as uow:
        await set_role(uow, ctx, BOB.telegram_id, Role.SUPPORT_AGENT)
    return store


async def _open(store: FakeStore, ctx: Context, who: Sender, about: str | None) -> int:
    appointment = await appointments.describe(ctx, who.telegram_id, about)  # before the unit
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, who, appointment)
        ticket.desk_topic_id = 9
        await uow.commit()
    assert ticket.id is not None
    return ticket.id


async def test_live_support_on_an_appointment_soon_brings_it_at_high_priority(
    store: FakeStore, ctx: Context
) -> None:
    ticket_id = await _open(store, ctx, ALICE, "b1")
    ticket = store.memory.tickets[ticket_id]
    assert ticket.about is not None and ticket.about.service == "Haircut"
    assert ticket.priority is Priority.HIGH


async def test_an_appointment_further_off_keeps_normal_priority(
    store: FakeStore, ctx: Context, clinic: Clinic
) -> None:
    clinic.starts += timedelta(days=3)
    ticket_id = await _open(store, ctx, ALICE, "b1")
    assert store.memory.tickets[ticket_id].priority is Priority.NORMAL


@pytest.mark.parametrize("about", ["b1", "b2", "bad ref!"])
async def test_someone_elses_or_a_forged_appointment_is_not_attached(
    store: FakeStore, ctx: Context, about: str
) -> None:
    ticket_id = await _open(store, ctx, MALLORY, about)
    ticket = store.memory.tickets[ticket_id]
    assert ticket.about is None and ticket.priority is Priority.NORMAL  # the ticket still opens


async def test_a_host_that_fails_to_describe_costs_the_context_not_the_ticket(
    store: FakeStore, ctx: Context, clinic: Clinic
) -> None:
    async def broken(client_telegram_id: int, ref: str) -> Appointment | None:
        raise ConnectionError("booking database down")

    clinic.describe = broken  # type: ignore[method-assign]
    ticket_id = await _open(store, ctx, ALICE, "b1")
    assert store.memory.tickets[ticket_id].about is None


async def test_a_host_that_hangs_is_given_up_on(
    store: FakeStore, ctx: Context, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(appointments, "HOST_TIMEOUT", 0.01)
    never = asyncio.Event()

    async def hanging(client_telegram_id: int, ref: str) -> Appointment | None:
        await never.wait()
        return None

    clinic.describe = hanging  # type: ignore[method-assign]
    ticket_id = await _open(store, ctx, ALICE, "b1")
    assert store.memory.tickets[ticket_id].about is None


async def test_a_naive_start_from_the_host_counts_as_utc(
    store: FakeStore, ctx: Context, clinic: Clinic, clock: FakeClock
) -> None:
    clinic.starts = (clock() + timedelta(hours=3)).replace(tzinfo=None)
    ticket_id = await _open(store, ctx, ALICE, "b1")
    assert store.memory.tickets[ticket_id].priority is Priority.HIGH


async def test_an_offer_is_carried_out_on_the_appointment_it_was_made_about(
    store: FakeStore, ctx: Context, clinic: Clinic
) -> None:
    await _open(store, ctx, ALICE, "b1")
    offer_id = await _propose_first_slot(store, ctx)
    # Before answering, the client presses Live Support on another booking.
    await _open(store, ctx, ALICE, "b2")
    ticket = next(iter(store.memory.tickets.values()))
    assert ticket.about is not None and ticket.about.ref == "b2"
    async with store() as uow:
        gone = await appointments.decide(uow, ctx, ALICE, offer_id, accept=True)
        await uow.commit()
    assert gone is not None and "no longer open" in gone
    assert CarryOut(offer_id) not in store.sent() and clinic.calls == []
    assert store.memory.offers[offer_id].appointment_ref == "b1"


def test_only_fit_slots_are_offered() -> None:
    slots = [
        Slot("s1", "   "),  # no words: Telegram refuses an empty button
        Slot("bad ref", "Mon 9:00"),
        Slot("s2", "x" * 300),
        Slot("s3", " Tue 10:00 "),
    ]
    assert offerable(slots, 6) == [Slot("s2", "x" * 64), Slot("s3", "Tue 10:00")]
    assert offerable(slots, 1) == [Slot("s2", "x" * 64)]


def test_a_slots_label_shows_agents_and_clients_nothing_hidden() -> None:
    slots = [
        Slot("s1", "\u200b\u202e"),  # nothing to read once cleaned: not offered
        Slot("s2", "Wed\u202e 9:00\u200b"),
        Slot("s3", "x" * 63 + "👨\u200d👩"),  # cut inside an emoji sequence
    ]
    assert offerable(slots, 6) == [Slot("s2", "Wed 9:00"), Slot("s3", "x" * 63 + "👨")]


async def _propose_first_slot(store: FakeStore, ctx: Context) -> int:
    ticket = next(iter(store.memory.tickets.values()))
    assert ticket.about is not None
    answer = await appointments.slots_for(ctx, ALICE.telegram_id, ticket.about)
    async with store() as uow:
        await appointments.offer_reschedule(
            uow, ctx, Incoming(DESK, 50, BOB, "text", "/reschedule", thread_id=9), answer
        )
        await uow.commit()
    drafts = sorted(store.memory.offers)
    assert len(drafts) == 2
    async with store() as uow:
        await appointments.propose(uow, ctx, drafts[0], DESK)
        await uow.commit()
    return drafts[0]


async def test_only_the_client_can_accept_and_the_host_acts_once(
    store: FakeStore, ctx: Context, clinic: Clinic
) -> None:
    await _open(store, ctx, ALICE, "b1")
    offer_id = await _propose_first_slot(store, ctx)
    assert store.memory.offers[offer_id].status is OfferStatus.PROPOSED
    assert [o.status for o in store.memory.offers.values()].count(OfferStatus.WITHDRAWN) == 1
    async with store() as uow:
        await client.open_ticket(uow, ctx, MALLORY)
        press = Pressed(AnswerOffer(offer_id, accept=True), chat_id=MALLORY.telegram_id)
        refused = await guard.admit(uow, ctx, MALLORY, Act.ANSWER_OFFER, press)
        await uow.commit()
    assert refused is not None and refused.why is Refusal.NOT_THEIR_TICKET
    assert store.memory.offers[offer_id].status is OfferStatus.PROPOSED
    async with store() as uow:
        await appointments.decide(uow, ctx, ALICE, offer_id, accept=True)
        await uow.commit()
    assert CarryOut(offer_id) in store.sent()
    await appointments.carry_out(store, ctx, offer_id)
    await appointments.carry_out(store, ctx, offer_id)  # the outbox may run it twice
    assert clinic.calls == [("reschedule", "b1", "s7")]
    ticket = next(iter(store.memory.tickets.values()))
    assert ticket.about is not None and ticket.about.when == "Thu 11:30"
    to_client = UserChat(ticket.client_id)
    told = [d.text for d in store.sent() if isinstance(d, SendText) and d.to == to_client]
    assert any("now on Thu 11:30" in t for t in told)


async def test_a_closed_ticket_withdraws_its_offers(store: FakeStore, ctx: Context) -> None:
    await _open(store, ctx, ALICE, "b1")
    offer_id = await _propose_first_slot(store, ctx)
    async with store() as uow:
        await client.end_chat(uow, ctx, ALICE, None)
        await uow.commit()
    assert store.memory.offers[offer_id].status is OfferStatus.WITHDRAWN
    async with store() as uow:
        gone = await appointments.decide(uow, ctx, ALICE, offer_id, accept=True)
    assert gone is not None and CarryOut(offer_id) not in store.sent()
