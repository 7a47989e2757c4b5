"""Callback data as it leaves and comes back: packed small, signed for one chat, dated.

A modified Telegram client can send any bytes as a press, replay a button copied from
another chat or keep one for months; the codec must give back exactly the press Veil
sent, in the chat it sent it to, within its lifetime, and nothing else.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import TEST_KEY, FakeClock
from veil.services.presses import (
    PRESSES,
    AnswerOffer,
    CloseTicket,
    CommentRating,
    ConfirmForget,
    EndChat,
    OpenSupport,
    Press,
    ProposeOffer,
    RateTicket,
    SendCanned,
    ShowTranscript,
    TakeTicket,
)
from veil.store.crypto import Keyring, generate_key
from veil.telegram.presses import CONFIRM_LIFETIME, FACTORIES, PressCodec, Unread

LONGEST_TICKET = "SUPP-99999999999-ZZZZZZ"
BIG = 10**17
DESK = -1_009_999_999_999  # a supergroup id needs 13 digits and a sign
CLIENT = 9_223_372_036_854_775_807
LIFETIME = timedelta(days=30)

EVERY_PRESS: list[Press] = [
    OpenSupport(),
    OpenSupport("b" * 40),
    EndChat(LONGEST_TICKET),
    ShowTranscript(LONGEST_TICKET),
    ConfirmForget(),
    RateTicket(LONGEST_TICKET, 5),
    CommentRating(LONGEST_TICKET),
    AnswerOffer(BIG, accept=True),
    AnswerOffer(BIG, accept=False),
    TakeTicket(LONGEST_TICKET),
    CloseTicket(LONGEST_TICKET),
    ProposeOffer(BIG),
    SendCanned(BIG),
]


def codec(clock: FakeClock, *keys: str) -> PressCodec:
    return PressCodec(Keyring(list(keys or [TEST_KEY])), clock, LIFETIME)


def test_every_kind_of_press_is_covered() -> None:
    assert {type(p) for p in EVERY_PRESS} == set(PRESSES)


@pytest.mark.parametrize("press", EVERY_PRESS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("chat", [DESK, CLIENT])
def test_a_press_fits_telegram_and_reads_back_in_its_chat(press: Press, chat: int) -> None:
    clock = FakeClock()
    presses = codec(clock)
    data = presses.pack(press, chat)
    assert len(data.encode()) <= 64  # Telegram's limit on callback_data
    clock.advance(minutes=9) if isinstance(press, ConfirmForget | SendCanned) else clock.advance(
        days=29
    )
    assert presses.read(data, chat) == press


@pytest.mark.parametrize("press", EVERY_PRESS[2:], ids=lambda p: type(p).__name__)
def test_a_press_from_another_chat_is_refused(press: Press) -> None:
    presses = codec(FakeClock())
    data = presses.pack(press, DESK)
    assert presses.read(data, DESK + 1) is Unread.FORGED
    assert presses.read(data, None) is Unread.FORGED  # an inline message: no chat to bind


def test_a_press_signed_with_a_key_we_do_not_hold_is_refused() -> None:
    clock = FakeClock()
    theirs = codec(clock, generate_key()).pack(TakeTicket(LONGEST_TICKET), DESK)
    assert codec(clock).read(theirs, DESK) is Unread.FORGED


def test_presses_signed_before_a_key_rotation_still_work() -> None:
    clock = FakeClock()
    before = codec(clock).pack(CloseTicket(LONGEST_TICKET), DESK)
    after = codec(clock, generate_key(), TEST_KEY)  # a new key first, the old one kept
    assert after.read(before, DESK) == CloseTicket(LONGEST_TICKET)


@given(st.data())
def test_any_change_to_a_signed_press_is_refused(data: st.DataObject) -> None:
    presses = codec(FakeClock())
    press = data.draw(st.sampled_from(EVERY_PRESS[2:]))
    packed = presses.pack(press, DESK)
    start = data.draw(st.integers(0, len(packed)))
    end = data.draw(st.integers(start, min(len(packed), start + 3)))
    inserted = data.draw(st.text(max_size=3))
    altered = packed[:start] + inserted + packed[end:]
    if altered != packed:
        assert presses.read(altered, DESK) in (Unread.FORGED, Unread.NOT_OURS)


PREFIXES = ["sup:open", *(f.__prefix__ for f in FACTORIES.values())]


@given(st.sampled_from(PREFIXES), st.text(max_size=60))
def test_random_payloads_under_our_prefixes_are_never_a_signed_press(
    prefix: str, rest: str
) -> None:
    data = f"{prefix}:{rest}"
    read = codec(FakeClock()).read(data, DESK)
    assert isinstance(read, Unread | OpenSupport)


def test_a_press_is_bound_to_its_topic() -> None:
    """A canned answer's button from one ticket's topic, pressed under a message in
    another ticket's topic of the same group, is misplaced."""
    presses = codec(FakeClock())
    data = presses.pack(SendCanned(3), DESK, 55)
    assert presses.read(data, DESK, 55) == SendCanned(3)
    assert presses.read(data, DESK, 56) is Unread.FORGED
    assert presses.read(data, DESK, None) is Unread.FORGED


def test_a_canned_menu_goes_stale_soon() -> None:
    clock = FakeClock()
    presses = codec(clock)
    data = presses.pack(SendCanned(3), DESK, 55)
    clock.advance(minutes=11)
    assert presses.read(data, DESK, 55) is Unread.EXPIRED


def test_a_press_past_its_lifetime_is_expired() -> None:
    clock = FakeClock()
    presses = codec(clock)
    take = presses.pack(TakeTicket(LONGEST_TICKET), DESK)
    confirm = presses.pack(ConfirmForget(), CLIENT)
    clock.advance(seconds=CONFIRM_LIFETIME.total_seconds() + 1)
    assert presses.read(confirm, CLIENT) is Unread.EXPIRED  # erasing is confirmed now or not
    assert presses.read(take, DESK) == TakeTicket(LONGEST_TICKET)
    clock.advance(seconds=LIFETIME.total_seconds())
    assert presses.read(take, DESK) is Unread.EXPIRED


def test_a_press_from_far_in_the_future_is_refused() -> None:
    clock = FakeClock()
    later = FakeClock(clock.now + timedelta(hours=1))
    data = codec(later).pack(TakeTicket(LONGEST_TICKET), DESK)
    assert codec(clock).read(data, DESK) is Unread.EXPIRED


@pytest.mark.parametrize(
    "data",
    [
        "sup:open:",
        "sup:open:bad ref!",
        "sup:open:" + "a" * 41,
        "veil-t:SUPP-1764061200-ABC123:1795000000:",
        "veil-t:SUPP-1764061200-ABC123:1795000000",
        "veil-t::::",
        "veil-n:²:1795000000:AAAAAAAAAAA",
        "veil-t:x:1:é",  # a tag that is no tag (compare_digest takes ASCII only)
        "veil-t:x:1:ééééééééééé",
    ],
)
def test_malformed_payloads_of_ours_are_forged(data: str) -> None:
    assert codec(FakeClock()).read(data, DESK) is Unread.FORGED


@pytest.mark.parametrize(
    "data",
    [None, "", "desk:take:SUPP-1764061200-ABC123", "admin:ban", "vt:x:1:y", "x" * 65, "\ud800"],
)
def test_payloads_that_are_not_ours(data: str | None) -> None:
    presses = codec(FakeClock())
    assert presses.read(data, DESK) is Unread.NOT_OURS
    assert not presses.is_ours(data)
