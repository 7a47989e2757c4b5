"""The real clock and the real randomness, handed to the use cases as ports."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from veil.domain.ids import SUFFIX_ALPHABET, SUFFIX_LENGTH


def utcnow() -> datetime:
    return datetime.now(UTC)


def random_suffix() -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))


def random_token() -> str:
    """A secret for invite links: 128 bits, safe in a /start payload (64 characters max)."""
    return secrets.token_urlsafe(16)
