"""Keys on every backend: a rotation killed half-way loses nothing and finishes when run
again; after it the old key can go; a database refuses keys that do not open it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEY, TEST_KEYRING, FakeClock
from tests.integration.test_store import make_ctx
from veil.config import ConfigError
from veil.domain.model import Direction, SupportMessage
from veil.services import client
from veil.services.context import Sender
from veil.store import db, keyfile, rotation
from veil.store.crypto import Keyring, generate_key
from veil.store.tables import support_messages
from veil.store.uow import SqlStore

CLIENT = 5_000_000_077
MESSAGES = 1500


async def _a_long_conversation(engine: AsyncEngine, clock: FakeClock) -> int:
    store = SqlStore(engine, clock)
    async with store() as uow:
        ticket = await client.open_ticket(uow, make_ctx(clock), Sender(CLIENT, "en"))
        assert ticket.id is not None
        for n in range(1, MESSAGES + 1):
            seq = ticket.next_seq(clock())
            await uow.messages.add(
                SupportMessage(ticket.id, seq, Direction.FROM_CLIENT, "text", clock(), f"m{n}")
            )
        await uow.commit()
    return ticket.id


async def _texts(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        query = select(support_messages.c.text).order_by(support_messages.c.seq)
        return [str(t) for t in await conn.scalars(query)]


@contextlib.asynccontextmanager
async def _writes_held(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold off every write while inside: on a busy machine the rotation could otherwise
    finish between seeing it under way and the kill landing."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(sorted({c.table for c in rotation.sealed_columns()}))
            await conn.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        else:  # the writer engine's BEGIN IMMEDIATE takes the write lock at once
            await conn.execute(text("SELECT 1"))
        yield


async def _until_some_done(
    engine: AsyncEngine, before: int, proc: asyncio.subprocess.Process
) -> None:
    for _ in range(6000):
        if proc.returncode is not None:
            return
        if sum((await rotation.left(engine)).values()) < before:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the rotation never got going")


async def test_a_rotation_killed_half_way_is_finished_by_running_it_again(
    engine: AsyncEngine, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    await _a_long_conversation(engine, clock)
    new = generate_key()
    both = db.make_engine(database_url, keyring=Keyring([new, TEST_KEY]))
    try:
        before = sum((await rotation.left(both)).values())
        assert before >= MESSAGES + 1  # the messages, the client, the deliveries
        env = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
        env.update(VEIL_DATABASE_URL=database_url, VEIL_ENCRYPTION_KEYS=f"{new},{TEST_KEY}")
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "veil", "keys", "rotate", "--batch", "5"),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await _until_some_done(both, before, proc)
        assert proc.returncode is None, "the rotation ended before it could be killed"
        async with _writes_held(both):  # it cannot finish while it is being killed
            proc.send_signal(signal.SIGKILL)
            await proc.wait()

        half = sum((await rotation.left(both)).values())
        assert 0 < half < before  # killed half-way, really
        assert await _texts(both) == [f"m{n}" for n in range(1, MESSAGES + 1)]  # nothing lost

        assert await rotation.rotate(both) == half  # again: only what was left
        assert all(count == 0 for count in (await rotation.left(both)).values())
    finally:
        await both.dispose()

    # The old key can go: everything opens, and the client is found, with the new one alone.
    newest = db.make_engine(database_url, keyring=Keyring([new]))
    try:
        assert await _texts(newest) == [f"m{n}" for n in range(1, MESSAGES + 1)]
        async with SqlStore(newest, clock)() as uow:
            found = await uow.users.by_telegram_id(CLIENT)
        assert found is not None and found.telegram_id == CLIENT
    finally:
        await newest.dispose()


async def test_lookups_find_people_while_a_rotation_is_half_done(
    engine: AsyncEngine, clock: FakeClock, database_url: str
) -> None:
    await _a_long_conversation(engine, clock)
    both = db.make_engine(database_url, keyring=Keyring([generate_key(), TEST_KEY]))
    try:
        async with SqlStore(both, clock)() as uow:  # the client's row still has the old hash
            found = await uow.users.by_telegram_id(CLIENT)
        assert found is not None and found.telegram_id == CLIENT
        async with SqlStore(both, clock)() as uow:  # and a newcomer is keyed by the new one
            await client.open_ticket(uow, make_ctx(clock), Sender(CLIENT + 1, "en"))
            await uow.commit()
        async with SqlStore(both, clock)() as uow:
            assert await uow.users.by_telegram_id(CLIENT + 1) is not None
    finally:
        await both.dispose()


async def test_a_database_refuses_keys_that_do_not_open_it(
    engine: AsyncEngine, clock: FakeClock, database_url: str
) -> None:
    await keyfile.check(engine, clock())  # the first start records what opens it
    stranger = db.make_engine(database_url, keyring=Keyring([generate_key()]))
    try:
        with pytest.raises(ConfigError, match=f"sealed with key '{TEST_KEYRING.newest}'"):
            await keyfile.check(stranger, clock())
    finally:
        await stranger.dispose()
    await keyfile.check(engine, clock())  # the right keys still pass
