"""Button payloads (Telegram's callback_data, 64 bytes at most) and their strict parsing.

Payloads come back from outside and may be forged or stale: parsing accepts only the
shapes written here, and the use cases still check that the ticket exists, is in the
expected state and belongs to whoever pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from veil.domain.appointments import is_ref
from veil.domain.ids import is_ticket_id

OPEN_SUPPORT = "sup:open"
OPEN_ABOUT = "sup:open:"  # + the host's appointment ref: Live Support on an appointment
FORGET_ME = "sup:forget"  # the client confirms /forget_me


@dataclass(frozen=True)
class Action:
    # open_support | end_chat | transcript | close_ticket | take_ticket
    # | propose_offer | accept_offer | decline_offer
    name: str
    ticket: str | None = None
    about: str | None = None  # the appointment Live Support was pressed on
    offer: int | None = None


def open_about(ref: str) -> str:
    if not is_ref(ref):
        raise ValueError(f"not an appointment reference: {ref!r}")
    return f"{OPEN_ABOUT}{ref}"


_OFFERS = {"ofr:p:": "propose_offer", "ofr:y:": "accept_offer", "ofr:n:": "decline_offer"}
_OFFER_PREFIX = {name: prefix for prefix, name in _OFFERS.items()}


def offer_button(name: str, offer_id: int) -> str:
    return f"{_OFFER_PREFIX[name]}{offer_id}"


_BY_PREFIX = {
    "sup:end:": "end_chat",
    "tk:": "transcript",
    "desk:close:": "close_ticket",
    "desk:take:": "take_ticket",
}
_PREFIX_OF = {name: prefix for prefix, name in _BY_PREFIX.items()}


def encode(name: str, ticket: str) -> str:
    return f"{_PREFIX_OF[name]}{ticket}"


def parse(data: str | None) -> Action | None:
    """The action a button payload asks for, or None when it is not one of ours."""
    if data is None or len(data.encode()) > 64:
        return None
    if data == OPEN_SUPPORT:
        return Action("open_support")
    if data == FORGET_ME:
        return Action("forget_me")
    if data.startswith(OPEN_ABOUT):
        ref = data[len(OPEN_ABOUT) :]
        return Action("open_support", about=ref) if is_ref(ref) else None
    for prefix, name in _OFFERS.items():
        if data.startswith(prefix):
            digits = data[len(prefix) :]
            # ASCII digits only (str.isdigit takes "²"), few enough for a 64-bit id.
            if 0 < len(digits) <= 18 and digits.isascii() and digits.isdigit():
                return Action(name, offer=int(digits))
            return None
    for prefix, name in _BY_PREFIX.items():
        if data.startswith(prefix):
            ticket = data[len(prefix) :]
            return Action(name, ticket) if is_ticket_id(ticket) else None
    return None
