"""``veil bench figures``: the desk's figures over a large history in PostgreSQL.

Seeds a history (by default 100,000 tickets over 90 days and 1,000,000 messages, with
their SLA clock runs and ratings) with COPY, the way a desk of some years would have
it, then times the figures of several periods, for the desk, per level and per agent.
Message texts are one sealed value repeated: the figures never read them, and sealing
a million values would time the seeding, not the figures.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from veil.domain.figures import Breakdown, Period
from veil.store.crypto import Keyring
from veil.store.uow import SqlStore

END = datetime(2026, 12, 1, tzinfo=UTC)
DAYS = 90
AGENTS = 50
LEVELS = ("L1", "L2", "L3")


@dataclass(frozen=True)
class Timing:
    period: str
    breakdown: str
    groups: int
    median_ms: float
    max_ms: float


async def seed(
    engine: AsyncEngine,
    keyring: Keyring,
    tickets: int,
    messages: int,
    progress: Callable[[str], None],
    seed_value: int = 7,
) -> None:
    rng = random.Random(seed_value)
    start = END - timedelta(days=DAYS)
    sealed_text = keyring.seal("a message of some length, as clients write them")
    raw = await engine.raw_connection()
    try:
        pg: Any = raw.driver_connection  # asyncpg: COPY is the fast way in
        agent_ids = await _people(pg, keyring, start, AGENTS, "support_agent", 1)
        client_ids = await _people(pg, keyring, start, tickets // 2, "client", 10_000_000)
        progress(f"{len(agent_ids)} agents and {len(client_ids)} clients")
        ticket_rows, run_rows, rating_rows, opened_at = [], [], [], []
        span = (END - start).total_seconds()
        for n in range(tickets):
            opened = start + timedelta(seconds=rng.random() * span)
            level = rng.choice(LEVELS)
            first = timedelta(seconds=rng.expovariate(1 / 300))
            resolution = first + timedelta(seconds=rng.expovariate(1 / 7200))
            closed = opened + resolution
            closed_by = rng.choices(("agent", "system", "client"), (80, 12, 8))[0]
            ticket_rows.append(
                (
                    f"SUPP-{int(opened.timestamp())}-B{n:05d}"[:32],
                    client_ids[n // 2],
                    "closed",
                    rng.choice(("low", "normal", "normal", "high", "urgent")),
                    level,
                    -100,
                    opened,
                    opened + first,
                    closed,
                    closed,
                    closed_by,
                    0,
                )
            )
            opened_at.append(opened)
        progress(f"{tickets} tickets")
        await pg.copy_records_to_table(
            "support_tickets",
            records=ticket_rows,
            columns=[
                "public_id",
                "client_id",
                "status",
                "priority",
                "required_level",
                "desk_chat_id",
                "created_at",
                "first_response_at",
                "last_activity_at",
                "closed_at",
                "closed_by",
                "message_count",
            ],
        )
        ids = [r["id"] for r in await pg.fetch("SELECT id FROM support_tickets ORDER BY id")]
        for ticket_id, row in zip(ids, ticket_rows, strict=True):
            opened, first_at, closed, closed_by, level = row[6], row[7], row[8], row[10], row[4]
            agent = rng.choice(agent_ids)
            answer = (first_at - opened).total_seconds()
            run_rows.append(
                _run(ticket_id, "first_response", opened, first_at, answer, 600, agent, level, True)
            )
            for _ in range(rng.randint(0, 3)):
                begun = opened + (closed - opened) * rng.random()
                took = rng.expovariate(1 / 900)
                ended = begun + timedelta(seconds=took)
                run_rows.append(
                    _run(ticket_id, "next_response", begun, ended, took, 1200, agent, level, True)
                )
            whole = (closed - opened).total_seconds()
            run_rows.append(
                _run(
                    ticket_id,
                    "resolution",
                    opened,
                    closed,
                    whole,
                    86400,
                    agent,
                    level,
                    closed_by == "agent",
                )
            )
            if rng.random() < 0.3:
                rating_rows.append(
                    (ticket_id, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), closed, agent, level)
                )
        await pg.copy_records_to_table(
            "support_sla_runs",
            records=run_rows,
            columns=[
                "ticket_id",
                "clock",
                "started_at",
                "target",
                "used",
                "stopped_at",
                "breached_at",
                "agent_id",
                "level",
                "answered",
            ],
        )
        progress(f"{len(run_rows)} SLA clock runs")
        await pg.copy_records_to_table(
            "support_ratings",
            records=rating_rows,
            columns=["ticket_id", "score", "rated_at", "agent_id", "level"],
        )
        progress(f"{len(rating_rows)} ratings")
        batch: list[tuple[Any, ...]] = []
        per_ticket = max(1, messages // max(1, tickets))
        written = 0
        for ticket_id, opened in zip(ids, opened_at, strict=True):
            for seq in range(1, per_ticket + 1):
                if written >= messages:
                    break
                direction = "from_client" if seq % 2 else "from_agent"
                at = opened + timedelta(seconds=seq * 60)
                batch.append((ticket_id, seq, direction, "text", sealed_text, at))
                written += 1
            if len(batch) >= 100_000:
                await _messages(pg, batch)
                batch = []
                progress(f"{written} messages")
        if batch:
            await _messages(pg, batch)
        progress(f"{written} messages")
        await pg.execute("ANALYZE")
    finally:
        raw.close()


def _run(
    ticket_id: int,
    clock: str,
    started: datetime,
    stopped: datetime,
    used: float,
    target: float,
    agent: int,
    level: str,
    answered: bool,
) -> tuple[Any, ...]:
    breached = stopped if used > target else None
    return (
        ticket_id,
        clock,
        started,
        float(target),
        used,
        stopped,
        breached,
        agent,
        level,
        answered,
    )


async def _messages(pg: Any, rows: list[tuple[Any, ...]]) -> None:
    await pg.copy_records_to_table(
        "support_messages",
        records=rows,
        columns=["ticket_id", "seq", "direction", "kind", "text", "created_at"],
    )


async def _people(
    pg: Any, keyring: Keyring, at: datetime, count: int, role: str, first_id: int
) -> list[int]:
    rows = [(keyring.lookup(first_id + n), role, "en", at, at) for n in range(count)]
    await pg.copy_records_to_table(
        "support_people",
        records=rows,
        columns=["telegram_key", "role", "language", "created_at", "updated_at"],
    )
    found = await pg.fetch("SELECT id FROM support_people WHERE role = $1 ORDER BY id", role)
    return [int(r["id"]) for r in found]


async def time_figures(store: SqlStore, repeats: int) -> list[Timing]:
    periods = {
        "a day": Period(END - timedelta(days=1), END),
        "a week": Period(END - timedelta(days=7), END),
        "a month": Period(END - timedelta(days=30), END),
        "90 days (all)": Period(END - timedelta(days=DAYS), END),
    }
    timings: list[Timing] = []
    for name, period in periods.items():
        for breakdown in Breakdown:
            took: list[float] = []
            groups = 0
            for _ in range(repeats):
                began = time.perf_counter()
                async with store() as uow:
                    groups = len(await uow.figures.figures(period, breakdown))
                took.append((time.perf_counter() - began) * 1000)
            timings.append(
                Timing(name, breakdown.value, groups, statistics.median(took), max(took))
            )
    return timings


async def check_engine(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            raise ValueError("the figures bench runs on PostgreSQL (COPY)")
        found = await conn.scalar(text("SELECT count(*) FROM support_tickets"))
        if found:
            raise ValueError("the database is not empty: give the bench an empty one")
