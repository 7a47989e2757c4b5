"""Columns sealed at rest: the column types encrypt on the way in and open on the way out.

The keyring belongs to the engine (``db.make_engine`` takes it, there is no engine without
one), so every statement on it — a unit of work, a migration, a CLI listing — seals what
it writes: no use case can forget, and a stolen database file holds no message text and
no client's Telegram id. A sealed column can never be compared with a value in SQL (the
same text seals differently each time); what must be found is found by a keyed hash
(``people.telegram_key``) instead.
"""

from __future__ import annotations

import json
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.types import TypeDecorator

from veil.store.crypto import Keyring

_keyrings: WeakKeyDictionary[Dialect, Keyring] = WeakKeyDictionary()


class Unsealed(Exception):
    """An engine without keys was asked to read or write a sealed column: a bug."""


def bind(engine: AsyncEngine, keyring: Keyring) -> None:
    _keyrings[engine.sync_engine.dialect] = keyring


def keyring_of(dialect: Dialect) -> Keyring:
    try:
        return _keyrings[dialect]
    except KeyError:
        raise Unsealed("this engine has no encryption keys (make it with db.make_engine)") from None


def keyring_of_engine(engine: AsyncEngine) -> Keyring:
    return keyring_of(engine.sync_engine.dialect)


def keyring_of_session(session: AsyncSession) -> Keyring:
    bind_ = session.bind
    assert bind_ is not None, "a unit of work's session is bound to its engine"
    return keyring_of(bind_.dialect)


def keyring_of_connection(connection: Connection) -> Keyring:
    return keyring_of(connection.dialect)


class SealedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).open(str(value))


class SealedInt(TypeDecorator[int]):
    """A number (a Telegram id) kept sealed; found by its keyed hash, never by value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring_of(dialect).seal(str(int(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(keyring_of(dialect).open(str(value)))


class SealedJson(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).seal(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keyring_of(dialect).open(str(value)))
