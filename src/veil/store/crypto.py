"""The keys that seal what Veil keeps: message texts, deliveries, who a ticket's client is.

A keyring is the operator's list of Fernet keys (``VEIL_ENCRYPTION_KEYS``, or the key
file), newest first: the newest seals, every one opens. Each sealed value starts with the
short id of the key that sealed it (``<kid>.<fernet token>``), so that opening needs no
trial of every key and ``veil keys rotate`` can find, and count, what an older key still
holds — which is what makes a rotation resumable after a kill.

Telegram ids are looked up by a keyed hash (HMAC-SHA256 under a key derived from each
Fernet key), never stored plain; a lookup asks for the hash under every key, so it keeps
working while a rotation is half done.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KID_LENGTH = 8
# Sealed values opened (or sealed) lately, with what they hold: the sender reads the
# same pending deliveries pass after pass, and a person's row is read with every
# update. A Fernet token opens to one plain value only (it is authenticated), so a
# token seen before needs no second decryption; any other string, an altered one
# included, misses and is checked in full.
OPENED_CACHE_SIZE = 4096
OPENED_CACHE_MAX_CHARS = 16_384  # longer values are opened every time


class KeyringError(Exception):
    """A key is malformed, missing, or none of the keys opens a value; says which."""


def generate_key() -> str:
    """A new random key, as ``veil keys generate`` prints it."""
    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class _Key:
    kid: str
    fernet: Fernet
    lookup: bytes  # the HMAC key for lookups, derived so one secret serves both uses
    buttons: bytes  # the HMAC key that signs button payloads


def _parse(text: str) -> _Key:
    raw = text.strip().encode()
    try:
        secret = base64.urlsafe_b64decode(raw)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 32:
        raise KeyringError(
            "an encryption key is not a Fernet key (32 url-safe base64 bytes); make one with "
            "`veil keys generate`"
        )
    kid = hashlib.sha256(b"veil key id:" + secret).hexdigest()[:KID_LENGTH]
    lookup = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"veil lookup").derive(
        secret
    )
    buttons = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"veil buttons").derive(
        secret
    )
    return _Key(kid, Fernet(raw), lookup, buttons)


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        parsed = [_parse(k) for k in keys if k.strip()]
        if not parsed:
            raise KeyringError("no encryption key given")
        self._keys = parsed
        self._by_kid = {k.kid: k for k in parsed}
        if len(self._by_kid) != len(parsed):
            raise KeyringError("the same encryption key is listed twice")
        # Per keyring: a keyring's keys never change, so what opened once opens again.
        self._opened: OrderedDict[str, str] = OrderedDict()
        self._opened_lock = threading.Lock()  # migrations and CLI tools may use threads

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Keys separated by commas or new lines (the setting, or the key file)."""
        return cls(text.replace("\n", ",").split(","))

    @property
    def newest(self) -> str:
        """The id of the key that seals."""
        return self._keys[0].kid

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(k.kid for k in self._keys)

    def seal(self, plain: str) -> str:
        key = self._keys[0]
        sealed = f"{key.kid}.{key.fernet.encrypt(plain.encode()).decode()}"
        self._remember(sealed, plain)  # what this process writes it often reads back
        return sealed

    def open(self, sealed: str) -> str:
        with self._opened_lock:
            plain = self._opened.get(sealed)
            if plain is not None:
                self._opened.move_to_end(sealed)
                return plain
        plain = self._open(sealed)
        self._remember(sealed, plain)
        return plain

    def _remember(self, sealed: str, plain: str) -> None:
        if len(sealed) > OPENED_CACHE_MAX_CHARS:
            return
        with self._opened_lock:
            self._opened[sealed] = plain
            self._opened.move_to_end(sealed)
            while len(self._opened) > OPENED_CACHE_SIZE:
                self._opened.popitem(last=False)

    def _open(self, sealed: str) -> str:
        kid, dot, token = sealed.partition(".")
        key = self._by_kid.get(kid)
        if not dot or key is None:
            raise KeyringError(
                f"a value was sealed with key {kid[:KID_LENGTH]!r}, which is not among the "
                f"keys given ({', '.join(self.kids)}); add it back to VEIL_ENCRYPTION_KEYS"
            )
        try:
            return key.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise KeyringError(f"a value sealed with key {kid!r} does not open: altered") from None

    def sealed_by_newest(self, sealed: str) -> bool:
        return sealed.startswith(self.newest + ".")

    def lookup(self, value: int | str) -> str:
        """The keyed hash a value is found by, under the newest key."""
        return self._digest(self._keys[0], value)

    def lookups(self, value: int | str) -> tuple[str, ...]:
        """The value's hash under every key: rows not yet rotated are found too."""
        return tuple(self._digest(k, value) for k in self._keys)

    def sign(self, text: str) -> str:
        """A short tag (64 bits, 11 characters) that only these keys can make for ``text``:
        button payloads carry one, so that a forged or altered press is known."""
        return self._tag(self._keys[0], text)

    def signed(self, text: str, tag: str) -> bool:
        """``tag`` was made for ``text`` by one of the keys (an older one too)."""
        given = tag.encode("ascii", "replace")  # compare_digest takes ASCII text only
        return any(hmac.compare_digest(self._tag(k, text).encode(), given) for k in self._keys)

    @staticmethod
    def _tag(key: _Key, text: str) -> str:
        mac = hmac.new(key.buttons, text.encode(), hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    @staticmethod
    def _digest(key: _Key, value: int | str) -> str:
        return hmac.new(key.lookup, str(value).encode(), hashlib.sha256).hexdigest()
