"""The audit log on every backend: each change of a conversation leaves an entry, in the
same transaction, by pseudonym and without contents; the chain shows an edited, a deleted
and an inserted row; two processes writing at once keep it whole."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEY, FakeClock
from tests.integration.test_store import DESK, make_ctx
from veil.domain.audit import BreakKind
from veil.domain.model import Role
from veil.services import client, desk
from veil.services.context import Incoming, Sender
from veil.services.people import set_role
from veil.store.audit import export, verify_chain
from veil.store.tables import support_audit_log
from veil.store.uow import SqlStore

CLIENT, AGENT = 5_000_000_123, 5_000_000_456
SECRET = "my card is 4111 1111 1111 1111, flat 5b"


async def _conversation(store: SqlStore, clock: FakeClock) -> str:
    ctx = make_ctx(clock)
    alice, agent = Sender(CLIENT), Sender(AGENT)
    async with store() as uow:
        uow.audit.acting_for(CLIENT)
        ticket = await client.open_ticket(uow, ctx, alice)
        await uow.commit()
    async with store() as uow:
        await set_role(uow, ctx, AGENT, Role.SUPPORT_AGENT)
        loaded = await uow.tickets.get(ticket.id or 0)
        assert loaded is not None
        loaded.desk_topic_id = 77
        await uow.commit()
    steps = [
        (CLIENT, client.relay_from_client, Incoming(CLIENT, 1, alice, "text", SECRET)),
        (AGENT, desk.relay_from_agent, Incoming(DESK, 500, agent, "text", "on it")),
        (AGENT, desk.add_note, Incoming(DESK, 501, agent, "text", f"/note {SECRET}")),
        (AGENT, desk.close_from_topic, Incoming(DESK, 502, agent, "text", "/close")),
    ]
    for who, use_case, msg in steps:
        clock.advance(seconds=5)
        async with store() as uow:
            uow.audit.acting_for(who)
            await use_case(uow, ctx, msg if msg.chat_id != DESK else _in_topic(msg))
            await uow.commit()
    return ticket.public_id


def _in_topic(msg: Incoming) -> Incoming:
    return Incoming(msg.chat_id, msg.message_id, msg.sender, msg.kind, msg.text, thread_id=77)


async def _entries(engine: AsyncEngine) -> list[dict[str, Any]]:
    return [e async for e in export(engine)]


async def test_every_change_is_logged_by_pseudonym_without_contents(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    public_id = await _conversation(SqlStore(engine, clock), clock)
    entries = await _entries(engine)
    mine = [(e["actor"], e["action"]) for e in entries if e["ticket"] == public_id]
    client_name, agent_name = f"client:User-{public_id}", "agent:Agent-2"
    assert (client_name, "ticket.opened") in mine
    assert (client_name, "message.from_client") in mine
    assert (agent_name, "message.from_agent") in mine
    assert (agent_name, "note.added") in mine
    assert (agent_name, "ticket.closed") in mine
    assert mine.index((client_name, "ticket.opened")) < mine.index((agent_name, "ticket.closed"))
    closed = next(e for e in entries if e["action"] == "ticket.closed")
    assert closed["details"]["status"] == ["open", "closed"]
    assert closed["details"]["closed_by"] == [None, "agent"]
    everything = json.dumps(entries)
    assert "4111" not in everything and "flat 5b" not in everything and "on it" not in everything
    assert str(CLIENT) not in everything and str(AGENT) not in everything
    verdict = await verify_chain(engine)
    assert verdict.broken is None and verdict.checked == len(entries)


async def test_an_entry_is_written_with_its_change_or_not_at_all(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    store = SqlStore(engine, clock)
    async with store() as uow:
        uow.audit.acting_for(CLIENT)
        await client.open_ticket(uow, make_ctx(clock), Sender(CLIENT))
        # left without commit: the ticket and its entry go together
    assert await _entries(engine) == []


async def _tamper(engine: AsyncEngine, statement: str, **values: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(statement), values)


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("UPDATE support_audit_log SET actor = 'agent:Agent-99' WHERE seq = 4", BreakKind.ALTERED),
        ("UPDATE support_audit_log SET details = NULL WHERE seq = 4", BreakKind.ALTERED),
        ("DELETE FROM support_audit_log WHERE seq = 4", BreakKind.DELETED),
        (
            "INSERT INTO support_audit_log (seq, at, actor, action, prev_hash, hash) "
            "SELECT seq, at, 'admin:Agent-1', 'ticket.closed', prev_hash, hash "
            "FROM support_audit_log WHERE seq = 4",
            BreakKind.INSERTED,
        ),
    ],
)
async def test_verify_names_the_first_entry_tampered_with(
    engine: AsyncEngine, clock: FakeClock, statement: str, kind: BreakKind
) -> None:
    await _conversation(SqlStore(engine, clock), clock)
    assert (await verify_chain(engine)).broken is None
    await _tamper(engine, statement)
    broken = (await verify_chain(engine)).broken
    assert broken is not None and (broken.seq, broken.kind) == (4, kind)


async def test_a_forged_entry_with_a_correct_hash_of_its_own_is_found(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    """Someone who knows the hash rule slips in an entry, renumbering the rest: the
    entry after it no longer matches its own hash (its number is part of it)."""
    from veil.domain.audit import Entry, digest

    await _conversation(SqlStore(engine, clock), clock)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE support_audit_log SET seq = seq + 1 WHERE seq >= 3"))
        prev = await conn.scalar(text("SELECT hash FROM support_audit_log WHERE seq = 2"))
        forged = Entry(3, clock(), "admin:Agent-1", "agent.removed", None, {})
        await conn.execute(
            support_audit_log.insert().values(
                seq=3,
                at=forged.at,
                actor=forged.actor,
                action=forged.action,
                details={},
                prev_hash=prev,
                hash=digest(prev, forged),
            )
        )
    broken = (await verify_chain(engine)).broken
    assert broken is not None and (broken.seq, broken.kind) == (4, BreakKind.ALTERED)


WRITER = """
import asyncio, dataclasses, sys
from veil.system import random_suffix
from tests.conftest import FakeClock, TEST_KEYRING
from tests.integration.test_store import make_ctx
from veil.services import client
from veil.services.context import Sender
from veil.store import db
from veil.store.uow import SqlStore

async def main(url, first, count):
    store = SqlStore(db.make_engine(url, keyring=TEST_KEYRING), FakeClock())
    ctx = dataclasses.replace(make_ctx(FakeClock()), new_suffix=random_suffix)
    for n in range(first, first + count):
        async with store() as uow:
            uow.audit.acting_for(n)
            await client.open_ticket(uow, ctx, Sender(n))
            await uow.commit()
        # A refusal changes nothing else, so takes no other lock that would queue the two.
        for _ in range(3):
            async with store() as uow:
                uow.audit.acting_for(n)
                uow.audit.refused("/ban", "not an admin")
                await uow.commit()
    await store.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def test_two_processes_writing_at_once_keep_the_chain_whole(
    engine: AsyncEngine, database_url: str
) -> None:
    count = 40
    env = {**os.environ, "VEIL_ENCRYPTION_KEYS": TEST_KEY}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, database_url, str(first), str(count), env=env
        )
        for first in (6_000_000_000, 7_000_000_000)
    ]
    assert [await p.wait() for p in procs] == [0, 0]
    verdict = await verify_chain(engine)
    assert verdict.broken is None
    async with engine.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(support_audit_log))
    # Each ticket opened (its person, the ticket) and three refusals: none lost, none
    # numbered twice.
    assert verdict.checked == total and total >= 2 * 5 * count


async def test_an_agents_words_never_reach_the_log(engine: AsyncEngine, clock: FakeClock) -> None:
    from veil.services import handover

    store, ctx = SqlStore(engine, clock), make_ctx(clock)
    await _conversation_open(store, ctx)
    async with store() as uow:
        uow.audit.acting_for(AGENT)
        msg = Incoming(
            DESK, 600, Sender(AGENT), "text", "/escalate client's card is 4111 1111", thread_id=77
        )
        await handover.escalate(uow, ctx, msg)
        await uow.commit()
    entries = await _entries(engine)
    assert any(e["action"] == "ticket.escalated" for e in entries)
    assert "4111" not in json.dumps(entries) and "client's" not in json.dumps(entries)


async def _conversation_open(store: SqlStore, ctx: Any) -> None:
    async with store() as uow:
        ticket = await client.open_ticket(uow, ctx, Sender(CLIENT))
        await uow.commit()
    async with store() as uow:
        await set_role(uow, ctx, AGENT, Role.SUPPORT_AGENT)
        loaded = await uow.tickets.get(ticket.id or 0)  # type: ignore[union-attr]
        assert loaded is not None
        loaded.desk_topic_id = 77
        await uow.commit()


async def test_a_row_edited_past_reading_is_named_not_a_crash(
    clock: FakeClock, tmp_path: Any
) -> None:
    from tests.conftest import TEST_KEYRING, fresh_database
    from veil.store import db

    with fresh_database("sqlite", tmp_path) as url:  # SQLite takes any text anywhere
        engine = db.make_engine(url, keyring=TEST_KEYRING)
        await db.upgrade(engine)
        try:
            await _conversation(SqlStore(engine, clock), clock)
            await _tamper(
                engine, "UPDATE support_audit_log SET details = '{not json' WHERE seq = 3"
            )
            broken = (await verify_chain(engine)).broken
            assert broken is not None and (broken.seq, broken.kind) == (3, BreakKind.ALTERED)
            await _tamper(engine, "UPDATE support_audit_log SET at = 'yesterday' WHERE seq = 2")
            broken = (await verify_chain(engine)).broken
            assert broken is not None and broken.seq == 2
        finally:
            await engine.dispose()
