"""Masking what a client types that agents need not see: phone numbers, e-mail
addresses, card numbers.

Agents see that something was there (``[phone number hidden]``), not what. Numbers that
only look like these stay: dates, times, prices, amounts, ticket ids, order numbers.
A card number is one only if its digits pass the Luhn check; a phone number needs the
shape of one (a ``+`` and 7-15 digits, or a national number of 10-11 digits written as
phone numbers are written), so that a plain run of digits (an order, a booking
reference) stays as typed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from veil.domain.text import utf16_len


class Sensitive(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CARD = "card"


@dataclass(frozen=True)
class Span:
    start: int  # in characters of the Python string
    end: int
    kind: Sensitive


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])"
)
# Ticket ids, dates, times: taken out of the text before numbers are looked at.
_KEEP = re.compile(
    r"SUPP-\d+-[A-Za-z0-9]+"
    r"|\b\d{4}[-./]\d{1,2}[-./]\d{1,2}\b"
    r"|\b\d{1,2}[-./]\d{1,2}[-./]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d(?:[ .\-]?\(?\d+\)?){2,8}(?!\w)")
_NATIONAL = re.compile(
    r"(?<![\w+])(?:"
    r"\(\d{3}\)[ .-]?\d{3}[ .-]?\d{4}"  # (415) 555-2671
    r"|\d{3}[.-]\d{3}[.-]\d{4}"  # 415-555-2671
    r"|0\d(?:[ .-]?\d{2}){4}"  # 06 12 34 56 78
    r"|0\d{2,4}[ .-]\d{3,4}[ .-]?\d{3,4}"  # 020 7946 0958
    r"|8[ -]?\(?\d{3}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}"  # 8 (800) 555-35-35
    r")(?!\w)"
)
_CURRENCY_BEFORE = re.compile(r"[$€£¥₽₹]\s*$|\b(?:USD|EUR|GBP|RUB)\s*$", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def find(text: str) -> list[Span]:
    """Where the sensitive parts of ``text`` are, in order, never overlapping."""
    taken: list[Span] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s.start or start >= s.end for s in taken)

    kept = [(m.start(), m.end()) for m in _KEEP.finditer(text)]

    def unkept(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in kept)

    for m in _EMAIL.finditer(text):
        taken.append(Span(m.start(), m.end(), Sensitive.EMAIL))
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and free(*m.span()) and unkept(*m.span()):
            taken.append(Span(m.start(), m.end(), Sensitive.CARD))
    for pattern in (_INTERNATIONAL, _NATIONAL):
        for m in pattern.finditer(text):
            start, end = m.span()
            digits = _digits(m.group())
            if not 7 <= len(digits) <= 15 or not free(start, end) or not unkept(start, end):
                continue
            if _CURRENCY_BEFORE.search(text[:start]):
                continue  # "€ 0612345678" is an amount, however long
            taken.append(Span(start, end, Sensitive.PHONE))
    return sorted(taken, key=lambda s: s.start)


@dataclass(frozen=True)
class Masked:
    text: str
    entities: tuple[dict[str, Any], ...]
    kinds: frozenset[Sensitive]


def mask(
    text: str,
    entities: Sequence[dict[str, Any]],
    label: Callable[[Sensitive], str],
) -> Masked:
    """``text`` with each sensitive part replaced by its label; the formatting entities
    moved to fit (offsets in UTF-16 units), those that touched a masked part dropped."""
    spans = find(text)
    # A link's address is text too: "call me" linked to tel:+1415... shows no number.
    linked = [e for e in entities if _hides_something(e)]
    entities = [e for e in entities if not _hides_something(e)]
    hidden_links = frozenset(_link_kind(e) for e in linked)
    if not spans:
        return Masked(text, tuple(entities), hidden_links)
    out: list[str] = []
    # (start, end, new length) of each replacement, in UTF-16 units of the original.
    edits: list[tuple[int, int, int]] = []
    position = 0
    for span in spans:
        out.append(text[position : span.start])
        replacement = label(span.kind)
        out.append(replacement)
        start16 = utf16_len(text[: span.start])
        end16 = start16 + utf16_len(text[span.start : span.end])
        edits.append((start16, end16, utf16_len(replacement)))
        position = span.end
    out.append(text[position:])
    moved = tuple(e for e in (_moved(dict(e), edits) for e in entities) if e is not None)
    return Masked("".join(out), moved, frozenset(s.kind for s in spans) | hidden_links)


def _link_kind(entity: dict[str, Any]) -> Sensitive:
    url = str(entity.get("url") or "")
    if url.lower().startswith("mailto:"):
        return Sensitive.EMAIL
    if url.lower().startswith("tel:"):
        return Sensitive.PHONE
    return find(url)[0].kind


def _hides_something(entity: dict[str, Any]) -> bool:
    if entity.get("type") != "text_link":
        return False
    url = str(entity.get("url") or "")
    return url.lower().startswith(("mailto:", "tel:")) or bool(find(url))


def _moved(entity: dict[str, Any], edits: Sequence[tuple[int, int, int]]) -> dict[str, Any] | None:
    offset, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
    end = offset + length
    shift = 0
    for start16, end16, new_length in edits:
        if end <= start16:
            break
        if offset >= end16:
            shift += new_length - (end16 - start16)
            continue
        return None  # the formatting covered what was hidden: it goes with it
    entity["offset"] = offset + shift
    return entity
