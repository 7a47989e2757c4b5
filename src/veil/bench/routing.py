"""``veil bench routing``: assignment decisions with many tickets and agents, and two
processes racing each other on one PostgreSQL database.

The race also serves the test suite (``tests/integration/test_routing_race.py``): after
it, nobody may own a ticket twice, nobody may be over capacity, and no ticket may wait
while an agent who could take it has room.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import func, insert, select, text

from veil.domain.agents import AgentStatus, alias_for
from veil.domain.model import ClosedBy, Level, Priority, Role, TicketStatus
from veil.domain.routing import LEVEL_RANK, plan
from veil.i18n import default_catalog
from veil.services import routing
from veil.services.context import Context
from veil.services.ports import Conflict
from veil.store import db
from veil.store.crypto import Keyring, generate_key
from veil.store.tables import people, support_agent_status, support_tickets
from veil.store.uow import SqlStore, SqlUnitOfWork
from veil.system import random_suffix, utcnow

DESK = -100_000_000_001
LEVELS = [Level.L1, Level.L1, Level.L1, Level.L2, Level.L2, Level.L3]


def bench_keyring() -> Keyring:
    """One throwaway key per run, shared with the racing processes (they inherit it)."""
    return Keyring.parse(os.environ.setdefault("VEIL_ENCRYPTION_KEYS", generate_key()))


def context() -> Context:
    return Context(utcnow, default_catalog(), random_suffix, DESK)


async def seed(store: SqlStore, agents: int, tickets: int, capacity: int, waiting: int) -> None:
    """Agents online, most tickets already owned, ``waiting`` of them in the queue."""
    now = utcnow()
    rng = random.Random(7)
    key = store.keyring.lookup
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(people),
            [
                {
                    "telegram_id": 10_000_000 + n,
                    "telegram_key": key(10_000_000 + n),
                    "role": Role.SUPPORT_AGENT,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(agents)
            ]
            + [
                {
                    "telegram_id": 20_000_000 + n,
                    "telegram_key": key(20_000_000 + n),
                    "role": Role.CLIENT,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(tickets)
            ],
        )
        ids = (await conn.execute(select(people.c.id, people.c.role).order_by(people.c.id))).all()
        agent_ids = [i for i, role in ids if role == Role.SUPPORT_AGENT]
        client_ids = [i for i, role in ids if role == Role.CLIENT]
        levels = {a: LEVELS[n % len(LEVELS)] for n, a in enumerate(agent_ids)}
        loads = dict.fromkeys(agent_ids, 0)
        rows = []
        for n, client in enumerate(client_ids):
            owner = None
            if n >= waiting:
                owner = agent_ids[n % len(agent_ids)]
                if loads[owner] >= capacity - 1:  # keep a little room here and there
                    owner = None
                else:
                    loads[owner] += 1
            level = rng.choices(list(Level), weights=(16, 3, 1))[0] if owner is None else Level.L1
            rows.append(
                {
                    "public_id": f"SUPP-{int(now.timestamp())}-B{n:05d}",
                    "client_id": client,
                    "status": TicketStatus.NEW,
                    "priority": rng.choice(list(Priority)),
                    "required_level": level,
                    "assigned_agent_id": owner,
                    "desk_chat_id": DESK,
                    "message_count": 0,
                    "created_at": now - timedelta(seconds=tickets - n),
                    "last_activity_at": now,
                }
            )
        await conn.execute(insert(support_tickets), rows)
        await conn.execute(
            insert(support_agent_status),
            [
                {
                    "agent_id": a,
                    "alias": alias_for(a),
                    "level": levels[a],
                    "status": AgentStatus.ONLINE,
                    "capacity": capacity,
                    "open_tickets": loads[a],
                }
                for a in agent_ids
            ],
        )
    # Settle: whatever can be assigned is, as the running bot would have done.
    async with store() as uow:
        await routing.route(uow, context())
        await uow.commit()


class ChurnResult(TypedDict):
    decisions: int
    assigned: int
    conflicts: int
    choices: list[float]  # reading agents with room and the queue's head, and plan()
    latencies: list[float]  # route() alone, for decisions that assigned a ticket
    transactions: list[float]  # the whole close-and-route transaction, lock wait included


async def churn(url: str, seconds: float, seed_value: int) -> ChurnResult:
    """Close owned tickets one at a time, each close followed by a routing decision.

    Returns the decisions' latencies and how many tickets were assigned."""
    store = SqlStore(db.make_engine(url, keyring=bench_keyring(), pool_size=2), utcnow)
    ctx = context()
    rng = random.Random(seed_value)
    latencies: list[float] = []
    choices: list[float] = []
    transactions: list[float] = []
    assigned = conflicts = 0
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            async with store.engine.connect() as conn:
                owned = (
                    await conn.execute(
                        select(support_tickets.c.id)
                        .where(
                            support_tickets.c.assigned_agent_id.is_not(None),
                            support_tickets.c.status != TicketStatus.CLOSED,
                        )
                        .offset(rng.randrange(50))
                        .limit(1)
                    )
                ).scalar_one_or_none()
            if owned is None:
                break
            try:
                began = time.perf_counter()
                async with store() as uow:
                    await uow.agents.lock_routing()  # before reading, as the services do
                    ticket = await uow.tickets.get(owned)
                    if ticket is None or ticket.is_closed:
                        continue
                    ticket.close(ClosedBy.AGENT, ctx.clock())
                    await routing.release(uow, ctx, ticket, "closed")
                    await uow.session.flush()  # the close itself is not the decision
                    choice = await _time_choice(uow)
                    started = time.perf_counter()
                    made = await routing.route(uow, ctx)
                    decided = time.perf_counter()
                    await uow.commit()
                    if made:  # a decision that assigned something
                        choices.append(choice)
                        latencies.append(decided - started)
                        transactions.append(time.perf_counter() - began)
                    assigned += made
            except Conflict:
                conflicts += 1
    finally:
        await store.engine.dispose()
    return {
        "decisions": len(latencies),
        "assigned": assigned,
        "conflicts": conflicts,
        "latencies": latencies,
        "choices": choices,
        "transactions": transactions,
    }


async def _time_choice(uow: SqlUnitOfWork) -> float:
    """How long the choice takes, made exactly as ``route`` makes it, without writing."""
    started = time.perf_counter()
    agents = await uow.agents.with_room()
    if agents:
        top = max(LEVEL_RANK[a.level] for a in agents)
        levels = [level for level, rank in LEVEL_RANK.items() if rank <= top]
        waiting = await uow.tickets.queue_head(levels, sum(a.spare for a in agents))
        plan(agents, waiting, utcnow())
    return time.perf_counter() - started


async def check_invariants(url: str) -> list[str]:
    """What must hold after any race; returns the broken rules (none, we hope)."""
    engine = db.make_engine(url, keyring=bench_keyring())
    problems: list[str] = []
    t, a = support_tickets.c, support_agent_status.c
    try:
        async with engine.connect() as conn:
            counts: dict[int, int] = dict(
                (
                    await conn.execute(
                        select(t.assigned_agent_id, func.count())
                        .where(t.assigned_agent_id.is_not(None), t.status != TicketStatus.CLOSED)
                        .group_by(t.assigned_agent_id)
                    )
                ).all()
            )
            agents = (
                await conn.execute(
                    select(a.agent_id, a.capacity, a.open_tickets, a.level, a.status)
                )
            ).all()
            for agent_id, capacity, open_tickets, _, _ in agents:
                real = counts.get(agent_id, 0)
                if real > capacity:
                    problems.append(f"agent {agent_id} holds {real} > capacity {capacity}")
                if real != open_tickets:
                    problems.append(f"agent {agent_id} counted {open_tickets}, holds {real}")
            double = (
                await conn.execute(
                    text(
                        "select ticket_id from support_agent_assignments where released_at is null "
                        "group by ticket_id having count(*) > 1"
                    )
                )
            ).all()
            problems += [f"ticket {row[0]} has two current owners" for row in double]
            for agent_id, capacity, _, level, status in agents:
                if status != AgentStatus.ONLINE or counts.get(agent_id, 0) >= capacity:
                    continue
                eligible = [lv for lv, rank in LEVEL_RANK.items() if rank <= LEVEL_RANK[level]]
                waiting = (
                    await conn.execute(
                        select(func.count()).where(
                            t.assigned_agent_id.is_(None),
                            t.status != TicketStatus.CLOSED,
                            t.required_level.in_(eligible),
                        )
                    )
                ).scalar_one()
                if waiting:
                    problems.append(f"{waiting} tickets wait while agent {agent_id} has room")
    finally:
        await engine.dispose()
    return problems


@dataclass
class Figures:
    decisions: int
    assigned: int
    per_second: float
    p50_ms: float
    p99_ms: float
    txn_p50_ms: float
    txn_p99_ms: float
    choice_p50_ms: float
    choice_p99_ms: float
    conflicts: int


def _percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0] * 1000, values[0] * 1000) if values else (0.0, 0.0)
    p = statistics.quantiles(sorted(values), n=100)
    return p[49] * 1000, p[98] * 1000


def summarise(results: list[ChurnResult], seconds: float) -> Figures:
    p50, p99 = _percentiles([x for r in results for x in r["latencies"]])
    t50, t99 = _percentiles([x for r in results for x in r["transactions"]])
    assigned = int(sum(r["assigned"] for r in results))
    decisions = sum(len(r["latencies"]) for r in results)
    conflicts = int(sum(r["conflicts"] for r in results))
    c50, c99 = _percentiles([x for r in results for x in r["choices"]])
    return Figures(decisions, assigned, assigned / seconds, p50, p99, t50, t99, c50, c99, conflicts)


async def race(url: str, seconds: float, processes: int) -> list[ChurnResult]:
    """Run ``churn`` in several real processes at once against one database."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "veil.bench.routing",
            url,
            str(seconds),
            str(n),
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(processes)
    ]
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    results: list[ChurnResult] = [json.loads(out) for out, _ in outputs]
    return results


def main() -> None:
    url, seconds, seed_value = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(churn(url, seconds, seed_value))))


if __name__ == "__main__":
    main()
