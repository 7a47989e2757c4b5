"""``veil keys rotate``: everything sealed by an older key, sealed again by the newest.

The columns come from the schema itself (every column of a sealed type), so a sealed
column added later is rotated without anyone remembering to list it. Rows go in small
batches, one transaction each; a batch rewrites a value only if it is still the one read
(a running bot may have changed it since), so a rotation can run beside the bot, be
killed at any point, and be run again to finish: what it has not done yet is exactly
what the newest key did not seal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, and_, column, func, select, table, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import ColumnClause

from veil.store.crypto import Keyring
from veil.store.sealing import SealedInt, SealedJson, SealedText, keyring_of_engine
from veil.store.tables import AboutJson, metadata, people

SEALED_TYPES = (SealedText, SealedInt, SealedJson, AboutJson)


@dataclass(frozen=True)
class SealedColumn:
    table: str
    key: str  # the primary key column rows are walked and rewritten by
    column: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def sealed_columns() -> list[SealedColumn]:
    found = []
    for t in metadata.sorted_tables:
        for c in t.columns:
            if isinstance(c.type, SEALED_TYPES):
                found.append(SealedColumn(t.name, _single_key(t), c.name))
    return found


def _single_key(t: Table) -> str:
    keys = list(t.primary_key.columns)
    assert len(keys) == 1, f"{t.name}: a sealed table needs a one-column primary key"
    return keys[0].name


def _raw(c: SealedColumn) -> tuple[ColumnClause[Any], ColumnClause[Any]]:
    """The column as stored (text, not opened by its type), and the key."""
    t = table(c.table, column(c.key), column(c.column, Text))
    return t.c[c.column], t.c[c.key]


async def left(engine: AsyncEngine) -> dict[str, int]:
    """Per sealed column, how many values the newest key did not seal."""
    keyring = keyring_of_engine(engine)
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for c in sealed_columns():
            value, _ = _raw(c)
            query = select(func.count()).where(value.is_not(None), _not_newest(value, keyring))
            counts[c.name] = int(await conn.scalar(query) or 0)
    return counts


def _not_newest(value: ColumnClause[Any], keyring: Keyring) -> ColumnElement[bool]:
    return ~value.startswith(keyring.newest + ".", autoescape=True)


async def rotate(
    engine: AsyncEngine, batch: int = 500, progress: Callable[[str, int], None] | None = None
) -> int:
    """Seal again, under the newest key, every value an older one sealed; returns how many.
    ``progress(column, count)`` follows each batch committed."""
    total = 0
    for c in sealed_columns():
        after: object = None
        while True:
            count, after = await _one_batch(engine, c, batch, after)
            if after is None:
                break
            total += count
            if progress is not None:
                progress(c.name, count)
    return total


async def _one_batch(
    engine: AsyncEngine, c: SealedColumn, size: int, after: object
) -> tuple[int, object]:
    """Rotate the next ``size`` rows past ``after`` (in key order); returns how many were
    rewritten and the last key seen (None: the column is done)."""
    keyring = keyring_of_engine(engine)
    value, key = _raw(c)
    query = select(key, value).where(value.is_not(None), _not_newest(value, keyring))
    if after is not None:
        query = query.where(key > after)
    rewritten = 0
    async with engine.begin() as conn:
        rows = (await conn.execute(query.order_by(key).limit(size))).all()
        for row_key, sealed in rows:
            plain = keyring.open(sealed)
            values: dict[str, object] = {c.column: keyring.seal(plain)}
            if c.table == people.name and c.column == people.c.telegram_id.name:
                values[people.c.telegram_key.name] = keyring.lookup(int(plain))
            target = table(c.table, column(c.key), column(c.column, Text), *map(column, values))
            # Only if unchanged since read: a running bot may have written it meanwhile.
            result = await conn.execute(
                update(target)
                .where(and_(target.c[c.key] == row_key, target.c[c.column] == sealed))
                .values(**values)
            )
            rewritten += int(getattr(result, "rowcount", 0))
    return rewritten, (rows[-1][0] if rows else None)
