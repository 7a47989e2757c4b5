"""The desk's figures in SQL on every backend, against hand-computed values."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FakeClock
from veil.domain.figures import Breakdown, Figures, Period, Share, Spread
from veil.domain.model import ClosedBy, Level, Role, Ticket, TicketStatus, User
from veil.domain.ratings import Rating
from veil.domain.sla import ClockRun, SlaClock
from veil.services.ports import UnitOfWork
from veil.store.uow import SqlStore

DAY = Period(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
IN = DAY.start + timedelta(hours=10)
BEFORE = DAY.start - timedelta(hours=1)
HOUR = timedelta(hours=1)


async def _person(uow: UnitOfWork, telegram_id: int, role: Role) -> int:
    user = User(telegram_id, role, "en", IN, IN)
    await uow.users.add(user)
    assert user.id is not None
    return user.id


async def _ticket(
    uow: UnitOfWork, client: int, n: int, closed_by: ClosedBy | None, at: datetime = IN
) -> int:
    ticket = Ticket(f"SUPP-1-T{n:05d}", client, at, at, -100)
    if closed_by is not None:
        ticket.status, ticket.closed_by, ticket.closed_at = TicketStatus.CLOSED, closed_by, at
    await uow.tickets.add(ticket)
    assert ticket.id is not None
    return ticket.id


def _run(
    ticket: int,
    clock: SlaClock,
    seconds: float,
    agent: int | None,
    level: Level,
    *,
    answered: bool = True,
    breached: bool = False,
    stopped: datetime = IN,
    started: datetime | None = None,
    closed_by: ClosedBy | None = None,
    reopened: bool = False,
) -> ClockRun:
    return ClockRun(
        ticket,
        clock,
        started or stopped - timedelta(seconds=seconds),
        timedelta(seconds=600),
        used=timedelta(seconds=seconds),
        stopped_at=stopped,
        breached_at=stopped if breached else None,
        agent_id=agent,
        level=level,
        answered=answered,
        closed_by=closed_by,
        reopened=reopened,
    )


async def _desk_day(store: SqlStore) -> tuple[int, int]:
    async with store() as uow:
        a = await _person(uow, 1001, Role.SUPPORT_AGENT)
        b = await _person(uow, 1002, Role.SUPPORT_AGENT)
        clients = [await _person(uow, 2000 + n, Role.CLIENT) for n in range(8)]
        resolved = await _ticket(uow, clients[0], 1, ClosedBy.AGENT)
        auto = await _ticket(uow, clients[1], 2, ClosedBy.SYSTEM)
        abandoned = await _ticket(uow, clients[2], 3, ClosedBy.CLIENT)
        others = [await _ticket(uow, clients[3 + n], 4 + n, None) for n in range(4)]
        await _ticket(uow, clients[7], 9, None, at=BEFORE)  # opened before the day
        first = SlaClock.FIRST_RESPONSE
        for ticket, seconds, agent, level, breached in (
            (resolved, 60, a, Level.L1, False),
            (auto, 120, a, Level.L1, False),
            (abandoned, 300, a, Level.L1, False),
            (others[0], 600, b, Level.L2, False),
            (others[1], 900, b, Level.L2, True),
        ):
            await uow.sla.add(_run(ticket, first, seconds, agent, level, breached=breached))
        # Not counted: never answered (the client left), or ended before the day.
        await uow.sla.add(_run(others[2], first, 30, None, Level.L1, answered=False))
        await uow.sla.add(_run(others[3], first, 5, a, Level.L1, stopped=BEFORE))
        resolution = SlaClock.RESOLUTION
        for ticket, seconds, agent, level, by in (
            (resolved, 1000, a, Level.L1, ClosedBy.AGENT),
            (auto, 2000, b, Level.L2, ClosedBy.SYSTEM),
            (abandoned, 3000, a, Level.L1, ClosedBy.CLIENT),
        ):
            run = _run(ticket, resolution, seconds, agent, level, closed_by=by)
            run.reopened = ticket == resolved  # it came back later
            await uow.sla.add(run)
        reopened = ClockRun(resolved, resolution, IN + HOUR, timedelta(hours=8))  # came back
        reopened.running_since = IN + HOUR
        await uow.sla.add(reopened)
        for ticket, score, agent, level in (
            (resolved, 5, a, Level.L1),
            (abandoned, 4, a, Level.L1),
            (auto, 2, b, Level.L2),
        ):
            await uow.ratings.add(Rating(ticket, score, IN, agent, level))
        await uow.ratings.add(Rating(others[0], 1, BEFORE, b, Level.L2))  # not this day
        await uow.commit()
    return a, b


async def test_the_desks_figures_for_a_day(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    await _desk_day(store)
    async with store() as uow:
        (desk,) = (await uow.figures.figures(DAY, Breakdown.DESK)).values()
    assert desk.first_response == Spread(5, timedelta(seconds=300), timedelta(seconds=780))
    assert desk.resolution == Spread(3, timedelta(seconds=2000), timedelta(seconds=2800))
    assert desk.next_response == Spread()
    assert desk.attainment[SlaClock.FIRST_RESPONSE] == Share(4, 5)
    assert desk.attainment[SlaClock.RESOLUTION] == Share(3, 3)
    assert (desk.resolved, desk.auto_closed, desk.abandoned, desk.reopened) == (1, 1, 1, 1)
    assert desk.resolution_rate.ratio == 1 / 3 and desk.reopen_rate.ratio == 1 / 3
    assert desk.csat == Share(2, 3) and desk.average_score == 11 / 3
    assert desk.rating_response == Share(3, 3)
    assert desk.opened == 7


async def test_per_agent_and_per_level(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    a, b = await _desk_day(store)
    async with store() as uow:
        agents = await uow.figures.figures(DAY, Breakdown.AGENT)
        levels = await uow.figures.figures(DAY, Breakdown.LEVEL)
    assert agents[a].first_response == Spread(3, timedelta(seconds=120), timedelta(seconds=264))
    assert agents[b].first_response == Spread(2, timedelta(seconds=750), timedelta(seconds=870))
    assert agents[a].attainment[SlaClock.FIRST_RESPONSE] == Share(3, 3)
    assert agents[b].attainment[SlaClock.FIRST_RESPONSE] == Share(1, 2)
    assert (agents[a].resolved, agents[a].abandoned, agents[a].reopened) == (1, 1, 1)
    assert agents[b].auto_closed == 1
    assert agents[a].csat == Share(2, 2) and agents[b].csat == Share(0, 1)
    assert levels[Level.L1].first_response.count == 3
    assert levels[Level.L2].resolution == Spread(
        1, timedelta(seconds=2000), timedelta(seconds=2000)
    )
    assert levels[Level.L2].ratings == 1


async def test_an_empty_period_has_nothing_to_show(engine: AsyncEngine, clock: FakeClock) -> None:
    store = SqlStore(engine, clock)
    await _desk_day(store)
    later = Period(DAY.end + timedelta(days=30), DAY.end + timedelta(days=31))
    async with store() as uow:
        found = await uow.figures.figures(later, Breakdown.DESK)
        agents = await uow.figures.figures(later, Breakdown.AGENT)
    desk = found.get(0, Figures())
    assert desk.first_response == Spread() and desk.closed == 0 and desk.csat.ratio is None
    assert agents == {}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_the_percentiles_are_percentile_cont(values: list[float]) -> None:
    spread = Spread.of_values(values)
    ordered = sorted(values)
    expected = statistics.quantiles(ordered, n=10, method="inclusive") if len(values) > 1 else None
    assert spread.median is not None and spread.p90 is not None
    assert abs(spread.median.total_seconds() - statistics.median(ordered)) < 1e-3
    if expected is not None:
        assert abs(spread.p90.total_seconds() - expected[8]) < 1e-3
