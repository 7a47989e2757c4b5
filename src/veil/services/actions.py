"""Button payloads (Telegram's callback_data, 64 bytes at most) and their strict parsing.

Payloads come back from outside and may be forged or stale: parsing accepts only the
shapes written here, and the use cases still check that the ticket exists, is in the
expected state and belongs to whoever pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from veil.domain.ids import is_ticket_id

OPEN_SUPPORT = "sup:open"


@dataclass(frozen=True)
class Action:
    name: str  # open_support | end_chat | transcript | close_ticket | take_ticket
    ticket: str | None = None


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
    for prefix, name in _BY_PREFIX.items():
        if data.startswith(prefix):
            ticket = data[len(prefix) :]
            return Action(name, ticket) if is_ticket_id(ticket) else None
    return None
