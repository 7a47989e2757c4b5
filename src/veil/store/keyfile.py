"""Where the keys come from: ``VEIL_ENCRYPTION_KEYS``, else the key file, else a new one.

A fresh installation must work with one command, and must not store anything plain while
it does: so ``veil run`` without keys writes a new key to the key file (0600, beside the
database by default) and says where it is, loudly, since losing it loses the history.
A database sealed with other keys is refused at start-up (``check``) rather than filled
with rows its old ones cannot be read beside.
"""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from veil.config import ConfigError, Settings
from veil.store.crypto import Keyring, KeyringError, generate_key
from veil.store.state import kept

log = logging.getLogger(__name__)
CHECK_KEY = "keys.check"


def keyring_of(settings: Settings, *, create: bool = True) -> Keyring:
    """The operator's keys; a key file made when there are none and ``create`` says so."""
    try:
        if settings.encryption_keys is not None:
            return Keyring.parse(settings.encryption_keys.get_secret_value())
        path = settings.encryption_key_file
        if path.exists():
            return _read(path)
        if not create:
            raise ConfigError(
                f"no encryption keys: set VEIL_ENCRYPTION_KEYS or put the key file at {path} "
                "(VEIL_ENCRYPTION_KEY_FILE)"
            )
        return _create(path)
    except KeyringError as exc:
        raise ConfigError(f"VEIL_ENCRYPTION_KEYS: {exc}") from None


def _read(path: Path) -> Keyring:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "the key file %s can be read by others (mode %o): chmod 600 it", path, mode & 0o777
        )
    try:
        return Keyring.parse(path.read_text())
    except KeyringError as exc:
        raise ConfigError(f"the key file {path}: {exc}") from None


def _create(path: Path) -> Keyring:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    try:
        # O_EXCL: two processes starting at once must not write two different keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    log.warning(
        "created a new encryption key in %s (mode 600). Back it up: without it, the "
        "support history in the database cannot be read. Set VEIL_ENCRYPTION_KEYS to "
        "keep keys elsewhere.",
        path.resolve(),
    )
    return Keyring([key])


def add_key(path: Path, key: str) -> None:
    """Put ``key`` first in the key file (it seals from now on); the others still open."""
    old = path.read_text() if path.exists() else ""
    Keyring.parse(key + "\n" + old)  # refuses a malformed or repeated key
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n" + old)


async def check(engine: AsyncEngine, now: datetime) -> None:
    """The keys given open what this database holds; the first start records a check
    value sealed with them."""
    try:
        await kept(engine, CHECK_KEY, lambda: "veil", now)
    except KeyringError as exc:
        raise ConfigError(
            f"the encryption keys do not open this database: {exc}. Restore the key file "
            "or VEIL_ENCRYPTION_KEYS this database was used with."
        ) from None
