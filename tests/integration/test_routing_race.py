"""Two bot processes assigning tickets at once on one PostgreSQL database: never two
owners, never an agent over capacity, never a ticket skipped."""

from __future__ import annotations

from veil.bench import routing as bench
from veil.store import db
from veil.store.uow import SqlStore
from veil.system import utcnow


async def _prepare(url: str) -> None:
    store = SqlStore(db.make_engine(url, keyring=bench.bench_keyring()), utcnow)
    try:
        await db.upgrade(store.engine)
        # 40 agents with room for 4 each, 600 tickets: 120 waiting, the rest owned.
        await bench.seed(store, agents=40, tickets=600, capacity=4, waiting=120)
    finally:
        await store.engine.dispose()


async def test_racing_processes_keep_every_routing_rule(database_url: str) -> None:
    await _prepare(database_url)
    assert await bench.check_invariants(database_url) == []  # the seed itself is sound
    results = await bench.race(database_url, seconds=4, processes=2)
    assert all(r["decisions"] > 0 for r in results), results  # both really raced
    assert sum(r["assigned"] for r in results) > 0
    assert await bench.check_invariants(database_url) == []
