"""What a client types that agents need not see: international phone formats, e-mail
addresses and card numbers are hidden; what only looks like them stays as typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.domain.masking import Sensitive, find, luhn_valid, mask
from veil.domain.text import utf16_len


def _label(kind: Sensitive) -> str:
    return f"[{kind.value} hidden]"


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("+33 6 12 34 56 78", Sensitive.PHONE),
        ("+1 (415) 555-2671", Sensitive.PHONE),
        ("+44 20 7946 0958", Sensitive.PHONE),
        ("+7 912 345-67-89", Sensitive.PHONE),
        ("+491701234567", Sensitive.PHONE),
        ("+81 3-1234-5678", Sensitive.PHONE),
        ("(415) 555-2671", Sensitive.PHONE),
        ("415-555-2671", Sensitive.PHONE),
        ("06 12 34 56 78", Sensitive.PHONE),
        ("0612345678", Sensitive.PHONE),
        ("020 7946 0958", Sensitive.PHONE),
        ("8 (800) 555-35-35", Sensitive.PHONE),
        ("alice.moreau+help@example.co.uk", Sensitive.EMAIL),
        ("BOB@Mail.Example.ORG", Sensitive.EMAIL),
        ("4111 1111 1111 1111", Sensitive.CARD),
        ("4111-1111-1111-1111", Sensitive.CARD),
        ("5500005555555559", Sensitive.CARD),
        ("378282246310005", Sensitive.CARD),
    ],
)
def test_hidden(typed: str, kind: Sensitive) -> None:
    text = f"you can reach me: {typed}, thanks"
    result = mask(text, (), _label)
    assert typed not in result.text
    assert result.text == f"you can reach me: [{kind.value} hidden], thanks"
    assert result.kinds == {kind}


@pytest.mark.parametrize(
    "typed",
    [
        "2026-12-01",
        "01.12.2026",
        "12/01/2026",
        "10:30",
        "at 09:45:10",
        "€1,299.00",
        "$45.50",
        "1 299 ₽",
        "€ 0612345678",
        "price 1299.99",
        "order 1234567890123456",  # 16 digits, not a card: the Luhn check fails
        "4111 1111 1111 1112",
        "SUPP-1764590000-AB12",
        "BK-20261201-0042",
        "booking 123456789",
        "room 101, 2 x 500 g",
        "2019-2026",
        "version 3.11.7",
    ],
)
def test_kept(typed: str) -> None:
    text = f"about {typed} please"
    assert find(text) == []
    assert mask(text, (), _label).text == text


def test_several_in_one_text_and_formatting_moved_to_fit() -> None:
    text = "🙂 mail a@b.io or call +33 6 12 34 56 78 — thanks"
    bold_thanks = {"type": "bold", "offset": utf16_len(text) - 6, "length": 6}
    over_phone = {"type": "italic", "offset": utf16_len("🙂 mail a@b.io or call "), "length": 3}
    result = mask(text, (bold_thanks, over_phone), _label)
    assert result.text == "🙂 mail [email hidden] or call [phone hidden] — thanks"
    assert result.kinds == {Sensitive.EMAIL, Sensitive.PHONE}
    # The formatting over the phone went with it; "thanks" is still bold where it now is.
    (bold,) = result.entities
    start = bold["offset"]
    encoded = result.text.encode("utf-16-le")
    assert encoded[start * 2 : (start + bold["length"]) * 2].decode("utf-16-le") == "thanks"


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_a_text_without_digits_or_at_signs_is_left_alone(text: str) -> None:
    if "@" not in text:
        assert mask(text, (), _label).text == text


@given(st.text(max_size=300))
def test_masking_never_fails_and_never_grows_a_masked_text_back(text: str) -> None:
    once = mask(text, (), _label)
    assert mask(once.text, (), _label).text == once.text  # nothing left to hide


@pytest.mark.parametrize(
    "url", ["tel:+14155552671", "mailto:alice@example.org", "https://wa.me/+33612345678"]
)
def test_a_link_whose_address_hides_something_is_dropped(url: str) -> None:
    link = {"type": "text_link", "offset": 0, "length": 7, "url": url}
    bold = {"type": "bold", "offset": 8, "length": 6}
    result = mask("call me please", (link, bold), _label)
    assert result.text == "call me please"
    assert result.entities == (bold,) and result.kinds


def test_a_plain_link_stays() -> None:
    link = {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/help"}
    assert mask("help here", (link,), _label).entities == (link,)
