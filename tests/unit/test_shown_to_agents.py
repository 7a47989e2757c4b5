"""Where cleaning applies: every text the desk reads, and nothing the client sent is
copied as is when it carries characters that hide or turn text around."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import FakeClock
from tests.unit.fakes import FakeStore
from veil.domain.cleaning import is_clean
from veil.domain.model import Role
from veil.domain.text import utf16_len
from veil.i18n import default_catalog
from veil.services import client, desk
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import CopyContent, EditContent, SendText, TicketTopic
from veil.services.people import set_role

DESK = -1001
ALICE = Sender(111, "en")
BOB = Sender(222, "en")
SPOOF = "invoice\u202etxt.exe"


@pytest.fixture
def ctx(clock: FakeClock) -> Context:
    counter = itertools.count()
    return Context(clock, default_catalog(), lambda: f"R{next(counter):05d}", DESK)


async def _open(store: FakeStore, ctx: Context) -> int:
    async with store() as uow:
        await set_role(uow, ctx, BOB.telegram_id, Role.SUPPORT_AGENT)
        ticket = await client.open_ticket(uow, ctx, ALICE)
        assert ticket is not None and ticket.id is not None
        ticket.desk_topic_id = 9
        await uow.commit()
    return ticket.id


def _to_desk(store: FakeStore) -> list[SendText | CopyContent | EditContent]:
    return [
        d
        for d in store.sent()
        if isinstance(d, SendText | CopyContent | EditContent) and isinstance(d.to, TicketTopic)
    ]


def _covered(text: str, entity: dict[str, object]) -> str:
    start, length = int(str(entity["offset"])), int(str(entity["length"]))
    return text.encode("utf-16-le")[2 * start : 2 * (start + length)].decode("utf-16-le")


async def test_a_clients_text_reaches_the_desk_cleaned_with_its_formatting_in_place(
    ctx: Context,
) -> None:
    store = FakeStore()
    await _open(store, ctx)
    text = f"😀 {SPOOF} see\u200b this"
    bold = {"type": "bold", "offset": utf16_len("😀 invoice\u202etxt.exe see\u200b "), "length": 4}
    async with store() as uow:
        msg = Incoming(111, 5, ALICE, "text", text, entities=(bold,))
        await client.relay_from_client(uow, ctx, msg)
        await uow.commit()
    (sent,) = _to_desk(store)
    assert isinstance(sent, SendText)
    assert sent.text == "😀 invoicetxt.exe see this"
    (moved,) = sent.entities
    assert _covered(sent.text, moved) == "this"


async def test_a_caption_with_hidden_characters_is_rewritten_not_copied_as_is(
    ctx: Context,
) -> None:
    store = FakeStore()
    await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, Incoming(111, 5, ALICE, "photo", SPOOF))
        await client.relay_from_client(uow, ctx, Incoming(111, 6, ALICE, "photo", "plain"))
        await uow.commit()
    spoofed, plain = _to_desk(store)
    assert isinstance(spoofed, CopyContent) and not spoofed.verbatim
    assert spoofed.has_caption and spoofed.caption == "invoicetxt.exe"
    assert isinstance(plain, CopyContent) and plain.verbatim  # untouched: one plain copy


async def test_a_text_of_invisible_characters_only_is_named_for_what_it_was(
    ctx: Context,
) -> None:
    store = FakeStore()
    await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, Incoming(111, 5, ALICE, "text", "\u200b\u202e"))
        await uow.commit()
    (sent,) = _to_desk(store)
    assert isinstance(sent, SendText) and "invisible characters" in sent.text


async def test_a_zero_width_space_cannot_hide_a_phone_number_from_the_masking(
    ctx: Context,
) -> None:
    store = FakeStore()
    await _open(store, ctx)
    async with store() as uow:
        msg = Incoming(111, 5, ALICE, "text", "call +33\u200b6 12 34 56 78")
        await client.relay_from_client(uow, ctx, msg)
        await uow.commit()
    (sent,) = _to_desk(store)
    assert isinstance(sent, SendText) and "phone number hidden" in sent.text


async def test_a_clients_edit_reaches_the_desk_cleaned(ctx: Context) -> None:
    store = FakeStore()
    await _open(store, ctx)
    async with store() as uow:
        await client.relay_from_client(uow, ctx, Incoming(111, 5, ALICE, "text", "first"))
        await client.edit_from_client(uow, ctx, Incoming(111, 5, ALICE, "text", SPOOF))
        await uow.commit()
    edited = _to_desk(store)[-1]
    assert isinstance(edited, EditContent) and edited.text == "invoicetxt.exe"


def test_every_placeholder_of_every_text_is_cleaned() -> None:
    catalog = default_catalog()
    said = catalog("en", "desk-assigned", agent="Agent\u202e-1\u200b", reason="auto\u0007")
    assert is_clean(said) and "Agent-1" in said and "auto" in said
    # The catalog's own words are kept as written (line breaks and all).
    assert catalog("en", "menu") == default_catalog()("en", "menu")


async def test_the_ticket_card_shows_a_hosts_appointment_cleaned(ctx: Context) -> None:
    from veil.domain.appointments import Appointment

    store = FakeStore()
    ticket_id = await _open(store, ctx)
    async with store() as uow:
        ticket = await uow.tickets.get(ticket_id)
        assert ticket is not None
        ticket.about = Appointment(
            ref="a1",
            service=f"Haircut {SPOOF}",
            when="Mon\u2066 10:00",
            provider="Dr\u200b. Who",
            status="booked\u0000",
        )
        text, buttons = await desk.card_view(uow, ctx, ticket)
    assert is_clean(text) and "Haircut invoicetxt.exe" in text and "Dr. Who" in text
    assert all(is_clean(b.text) for row in buttons for b in row)
