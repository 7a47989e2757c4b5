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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        # A link fails if the file is there: two processes starting at once agree on the
        # first one's key, and neither ever reads a half-written file.
        os.link(temporary, path)
    except FileExistsError:
        return _read(path)
    finally:
        temporary.unlink()
    log.warning(
        "created a new encryption key in %s (mode 600). Back it up: without it, the "
        "support history in the database cannot be read. Set VEIL_ENCRYPTION_KEYS to "
        "keep keys elsewhere.",
        path.resolve(),
    )
    return Keyring([key])


def add_key(path: Path, key: str) -> None:
    """Add ``key`` second in the key file: it opens from the next start, and seals only
    once promoted (``promote``), when every process can already open what it seals."""
    lines = _lines(path)
    _write(path, [*lines[:1], key, *lines[1:]])


def promote(path: Path) -> str:
    """Put the second key first: it seals from the next start. Returns its id."""
    lines = _lines(path)
    if len(lines) < 2:
        raise ConfigError(
            f"the key file {path} holds one key: add one with `veil keys generate --add`"
        )
    _write(path, [lines[1], lines[0], *lines[2:]])
    return Keyring([lines[1]]).newest


def _lines(path: Path) -> list[str]:
    return (
        [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if path.exists()
        else []
    )


def _write(path: Path, keys: list[str]) -> None:
    """All or nothing: a kill or a full disk half-way leaves the old file as it was."""
    Keyring(keys)  # refuses a malformed or repeated key
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(keys) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


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
