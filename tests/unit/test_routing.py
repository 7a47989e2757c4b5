"""The routing policy: eligibility, least load, ties, queue order, and its invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from veil.domain.agents import AgentStatus
from veil.domain.model import Level, Priority
from veil.domain.routing import (
    AgentLoad,
    WaitingTicket,
    next_level,
    plan,
    queue_order,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def agent(
    agent_id: int,
    level: Level = Level.L1,
    *,
    status: AgentStatus = AgentStatus.ONLINE,
    capacity: int = 3,
    open_tickets: int = 0,
    last: int | None = None,
) -> AgentLoad:
    when = T0 - timedelta(minutes=last) if last is not None else None
    return AgentLoad(agent_id, level, status, capacity, open_tickets, when)


def ticket(
    ticket_id: int, priority: Priority = Priority.NORMAL, level: Level = Level.L1, waited: int = 0
) -> WaitingTicket:
    return WaitingTicket(ticket_id, priority, level, T0 - timedelta(minutes=waited))


def pick_agent(agents: list[AgentLoad], one: WaitingTicket) -> AgentLoad | None:
    """Whom the plan gives a single waiting ticket to."""
    decisions = plan(agents, [one], T0)
    return next((a for a in agents if decisions and a.agent_id == decisions[0].agent_id), None)


def test_only_online_agents_of_a_sufficient_level_with_room_are_eligible() -> None:
    needs_l2 = ticket(1, level=Level.L2)
    assert pick_agent([agent(1, Level.L1)], needs_l2) is None
    assert pick_agent([agent(2, Level.L2, status=AgentStatus.AWAY)], needs_l2) is None
    assert pick_agent([agent(3, Level.L3, capacity=2, open_tickets=2)], needs_l2) is None
    assert pick_agent([agent(4, Level.L3)], needs_l2) == agent(4, Level.L3)


def test_the_least_loaded_agent_gets_the_ticket() -> None:
    # 2 of 4 (50%) is less loaded than 2 of 3 (67%), though both hold two tickets.
    busy, roomy = agent(1, capacity=3, open_tickets=2), agent(2, capacity=4, open_tickets=2)
    assert pick_agent([busy, roomy], ticket(1)) == roomy


def test_a_tie_goes_to_the_agent_idle_longest() -> None:
    recent, long_ago, never = agent(1, last=5), agent(2, last=60), agent(3)
    assert pick_agent([recent, long_ago], ticket(1)) == long_ago
    assert pick_agent([recent, long_ago, never], ticket(1)) == never


def test_the_queue_is_ordered_by_priority_then_waiting_time() -> None:
    waiting = [
        ticket(1, Priority.NORMAL, waited=30),
        ticket(2, Priority.URGENT, waited=1),
        ticket(3, Priority.NORMAL, waited=45),
        ticket(4, Priority.LOW, waited=300),
        ticket(5, Priority.HIGH, waited=2),
    ]
    assert [t.ticket_id for t in queue_order(waiting)] == [2, 5, 3, 1, 4]


def test_a_plan_fills_capacity_in_queue_order_and_spreads_the_load() -> None:
    agents = [agent(1, capacity=2), agent(2, capacity=2)]
    waiting = [ticket(n, waited=10 - n) for n in range(1, 6)]
    decisions = plan(agents, waiting, T0)
    assert [d.ticket_id for d in decisions] == [1, 2, 3, 4]  # ticket 5 waits: all full
    owners = [d.agent_id for d in decisions]
    assert sorted(owners) == [1, 1, 2, 2] and owners[0] != owners[1]


def test_an_unservable_ticket_does_not_block_the_queue_behind_it() -> None:
    waiting = [ticket(1, Priority.URGENT, Level.L3), ticket(2, Priority.LOW)]
    assert [(d.ticket_id, d.agent_id) for d in plan([agent(7)], waiting, T0)] == [(2, 7)]


def test_escalation_climbs_the_levels_and_stops_at_the_top() -> None:
    assert [next_level(Level.L1), next_level(Level.L2), next_level(Level.L3)] == [
        Level.L2,
        Level.L3,
        None,
    ]


levels = st.sampled_from(list(Level))
agents_strategy = st.lists(
    st.builds(
        AgentLoad,
        agent_id=st.integers(1, 10_000),
        level=levels,
        status=st.sampled_from(list(AgentStatus)),
        capacity=st.integers(0, 5),
        open_tickets=st.integers(0, 5),
        last_assigned_at=st.none() | st.datetimes(timezones=st.just(UTC)),
    ),
    max_size=12,
    unique_by=lambda a: a.agent_id,
).map(lambda agents: [a for a in agents if a.open_tickets <= a.capacity])
tickets_strategy = st.lists(
    st.builds(
        WaitingTicket,
        ticket_id=st.integers(1, 10_000),
        priority=st.sampled_from(list(Priority)),
        required_level=levels,
        waiting_since=st.datetimes(timezones=st.just(UTC)),
    ),
    max_size=40,
    unique_by=lambda t: t.ticket_id,
)


@settings(max_examples=300)
@given(agents_strategy, tickets_strategy)
def test_no_agent_is_ever_over_capacity(
    agents: list[AgentLoad], waiting: list[WaitingTicket]
) -> None:
    decisions = plan(agents, waiting, T0)
    for a in agents:
        given_to_them = sum(d.agent_id == a.agent_id for d in decisions)
        assert given_to_them == 0 or a.status is AgentStatus.ONLINE
        assert a.open_tickets + given_to_them <= a.capacity
    assert len({d.ticket_id for d in decisions}) == len(decisions)  # never two owners


@settings(max_examples=300)
@given(agents_strategy, tickets_strategy)
def test_no_eligible_ticket_waits_while_an_eligible_agent_has_room(
    agents: list[AgentLoad], waiting: list[WaitingTicket]
) -> None:
    decisions = plan(agents, waiting, T0)
    assigned = {d.ticket_id for d in decisions}
    after = [
        AgentLoad(
            a.agent_id,
            a.level,
            a.status,
            a.capacity,
            a.open_tickets + sum(d.agent_id == a.agent_id for d in decisions),
        )
        for a in agents
    ]
    for t in waiting:
        if t.ticket_id not in assigned:
            assert pick_agent(after, t) is None, f"ticket {t.ticket_id} left waiting"
    # Each ticket went to someone able to take it.
    levels_of = {a.agent_id: a.level for a in agents}
    for d in decisions:
        needed = next(t.required_level for t in waiting if t.ticket_id == d.ticket_id)
        assert list(Level).index(levels_of[d.agent_id]) >= list(Level).index(needed)
