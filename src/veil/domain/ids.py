"""Ticket ids and the pseudonyms agents see instead of a client."""

from __future__ import annotations

import hashlib
import re
import string
from datetime import datetime

TICKET_PREFIX = "SUPP"
SUFFIX_ALPHABET = string.ascii_uppercase + string.digits
SUFFIX_LENGTH = 6
_TICKET_ID = re.compile(rf"^{TICKET_PREFIX}-(\d{{9,11}})-([A-Z0-9]{{{SUFFIX_LENGTH}}})$")


def new_ticket_id(now: datetime, suffix: str) -> str:
    """``SUPP-<unix seconds>-<suffix>``; the caller supplies the random suffix."""
    if not is_valid_suffix(suffix):
        raise ValueError(f"ticket id suffix must be {SUFFIX_LENGTH} of {SUFFIX_ALPHABET!r}")
    return f"{TICKET_PREFIX}-{int(now.timestamp())}-{suffix}"


def is_valid_suffix(suffix: str) -> bool:
    return len(suffix) == SUFFIX_LENGTH and all(c in SUFFIX_ALPHABET for c in suffix)


def is_ticket_id(text: str) -> bool:
    return _TICKET_ID.match(text) is not None


def client_alias(ticket_public_id: str) -> str:
    """What agents call the client of a ticket: never a name, never an id."""
    return f"User-{ticket_public_id}"


def fitting(key: str, limit: int) -> str:
    """``key`` itself when it fits in ``limit`` characters, else a digest of it that does
    (as distinct as the key was): for identifiers from outside, such as Telegram's
    callback and album ids, kept in columns of a fixed size, where one too long would
    fail its update again at every delivery."""
    if len(key) <= limit:
        return key
    return "#" + hashlib.sha256(key.encode()).hexdigest()[: max(8, limit - 1)]
