"""The desk's figures in SQL (domain/figures.py defines them): a handful of grouped
queries over indexed columns, the same on SQLite and PostgreSQL.

Percentiles: on PostgreSQL its ``percentile_cont``; on SQLite, read by rank with window
functions (``row_number`` and ``count`` over each group), keeping only the rows at the
ranks a median and a 90th percentile lie between, interpolated as ``percentile_cont``
does (domain/figures.py). The same hand-computed tests hold both to one definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Float, and_, case, func, literal_column, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from veil.domain.figures import Breakdown, Figures, Period, Ranks, Share, Spread
from veil.domain.model import ClosedBy
from veil.domain.sla import SlaClock
from veil.store.tables import support_ratings, support_sla_runs, support_tickets

_runs = support_sla_runs.c
_ratings = support_ratings.c
_tickets = support_tickets.c


def _group(
    breakdown: Breakdown, agent: ColumnElement[Any], level: ColumnElement[Any]
) -> tuple[Any, list[Any]]:
    """What a row is grouped by, as a column named ``grp``, and the GROUP BY it needs
    (the desk is one group: a constant, grouped by nothing)."""
    match breakdown:
        case Breakdown.AGENT:
            return agent.label("grp"), [agent]
        case Breakdown.LEVEL:
            return level.label("grp"), [level]
        case Breakdown.DESK:
            return literal_column("0").label("grp"), []


class SqlFigures:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def figures(self, period: Period, breakdown: Breakdown) -> dict[Hashable, Figures]:
        """Every group's figures over the period (the desk: one group, key 0)."""
        found: dict[Hashable, Figures] = defaultdict(Figures)
        for key, clock, ranks in await self._spreads(period, breakdown):
            spread = Spread.of_ranks(ranks)
            match clock:
                case SlaClock.FIRST_RESPONSE:
                    found[key] = replace(found[key], first_response=spread)
                case SlaClock.NEXT_RESPONSE:
                    found[key] = replace(found[key], next_response=spread)
                case SlaClock.RESOLUTION:
                    found[key] = replace(found[key], resolution=spread)
        for key, attainment in (await self._attainment(period, breakdown)).items():
            found[key] = replace(found[key], attainment=attainment)
        for key, (resolved, auto_closed, abandoned, reopened) in (
            await self._closes(period, breakdown)
        ).items():
            found[key] = replace(
                found[key],
                resolved=resolved,
                auto_closed=auto_closed,
                abandoned=abandoned,
                reopened=reopened,
            )
        for key, (ratings, satisfied, score_total) in (
            await self._ratings(period, breakdown)
        ).items():
            found[key] = replace(
                found[key], ratings=ratings, satisfied=satisfied, score_total=score_total
            )
        if breakdown is Breakdown.DESK:
            opened = await self._opened(period)
            found[0] = replace(found[0], opened=opened)
        return dict(found)

    def _ended(self, period: Period) -> ColumnElement[bool]:
        return and_(_runs.stopped_at >= period.start, _runs.stopped_at < period.end)

    async def _spreads(
        self, period: Period, breakdown: Breakdown
    ) -> list[tuple[Hashable, SlaClock, Ranks]]:
        if self._session.bind is not None and self._session.bind.dialect.name == "postgresql":
            return await self._spreads_pg(period, breakdown)
        group, by = _group(breakdown, _runs.agent_id, _runs.level)
        timed = (_runs.clock == SlaClock.RESOLUTION) | _runs.answered
        partition = [*by, _runs.clock]
        ranked = (
            select(
                group,
                _runs.clock.label("clock"),
                _runs.used.label("v"),
                (func.row_number().over(partition_by=partition, order_by=_runs.used) - 1).label(
                    "i"
                ),
                func.count().over(partition_by=partition).label("n"),
            )
            .where(self._ended(period), timed)
            .subquery()
        )
        i, n, v = ranked.c.i, ranked.c.n, ranked.c.v

        def at(rank: ColumnElement[Any]) -> Any:
            return func.max(case((i == rank, v)))

        query = select(
            ranked.c.grp,
            ranked.c.clock,
            n,
            # The ranks of domain.figures.rank_bounds, in integer arithmetic (//).
            at((5 * (n - 1)) // 10),
            at((5 * (n - 1) + 9) // 10),
            at((9 * (n - 1)) // 10),
            at((9 * (n - 1) + 9) // 10),
        ).group_by(ranked.c.grp, ranked.c.clock, n)
        rows = await self._session.execute(query)
        return [
            (
                _key(grp),
                SlaClock(clock),
                Ranks(int(count), *(None if x is None else _seconds(x) for x in values)),
            )
            for grp, clock, count, *values in rows
        ]

    async def _spreads_pg(
        self, period: Period, breakdown: Breakdown
    ) -> list[tuple[Hashable, SlaClock, Ranks]]:
        """PostgreSQL's own ordered-set aggregate, the definition the ranks follow: one
        sort per group in C instead of a window over every row."""
        group, by = _group(breakdown, _runs.agent_id, _runs.level)
        timed = (_runs.clock == SlaClock.RESOLUTION) | _runs.answered
        seconds = type_coerce(_runs.used, Float)
        query = (
            select(
                group,
                _runs.clock,
                func.count(),
                func.percentile_cont(0.5).within_group(seconds),
                func.percentile_cont(0.9).within_group(seconds),
            )
            .where(self._ended(period), timed)
            .group_by(*by, _runs.clock)
        )
        return [
            (_key(grp), SlaClock(clock), Ranks(int(count), median, median, p90, p90))
            for grp, clock, count, median, p90 in await self._session.execute(query)
        ]

    async def _attainment(
        self, period: Period, breakdown: Breakdown
    ) -> dict[Hashable, dict[SlaClock, Share]]:
        group, by = _group(breakdown, _runs.agent_id, _runs.level)
        missed = _runs.breached_at.is_not(None)
        counts = (_runs.clock == SlaClock.RESOLUTION) | _runs.answered | missed
        query = (
            select(
                group,
                _runs.clock,
                func.count(),
                func.sum(case((missed, 0), else_=1)),
            )
            .where(self._ended(period), counts)
            .group_by(*by, _runs.clock)
        )
        found: dict[Hashable, dict[SlaClock, Share]] = defaultdict(dict)
        for grp, clock, total, met in await self._session.execute(query):
            found[_key(grp)][SlaClock(clock)] = Share(int(met or 0), int(total))
        return found

    async def _closes(
        self, period: Period, breakdown: Breakdown
    ) -> dict[Hashable, tuple[int, int, int, int]]:
        """Per group: closed by an agent, by Veil, by the client; reopened since. A close
        is a resolution run ended in the period, which records how it ended."""
        group, by = _group(breakdown, _runs.agent_id, _runs.level)

        def closed_by(who: ClosedBy) -> Any:
            return func.sum(case((_runs.closed_by == who, 1), else_=0))

        query = (
            select(
                group,
                closed_by(ClosedBy.AGENT),
                closed_by(ClosedBy.SYSTEM),
                closed_by(ClosedBy.CLIENT),
                func.sum(case((_runs.reopened, 1), else_=0)),
            )
            .where(self._ended(period), _runs.clock == SlaClock.RESOLUTION)
            .group_by(*by)
        )
        return {
            _key(grp): (int(agent or 0), int(system or 0), int(client or 0), int(back or 0))
            for grp, agent, system, client, back in await self._session.execute(query)
        }

    async def _ratings(
        self, period: Period, breakdown: Breakdown
    ) -> dict[Hashable, tuple[int, int, int]]:
        """Per group: ratings, of them 4 or 5, the sum of scores."""
        group, by = _group(breakdown, _ratings.agent_id, _ratings.level)
        satisfied = case((_ratings.score >= 4, 1), else_=0)
        query = (
            select(group, func.count(), func.sum(satisfied), func.sum(_ratings.score))
            .where(_ratings.rated_at >= period.start, _ratings.rated_at < period.end)
            .group_by(*by)
        )
        return {
            _key(grp): (int(count), int(happy or 0), int(total or 0))
            for grp, count, happy, total in await self._session.execute(query)
            if count
        }

    async def _opened(self, period: Period) -> int:
        query = select(func.count()).where(
            _tickets.created_at >= period.start, _tickets.created_at < period.end
        )
        return int((await self._session.execute(query)).scalar_one())


def _key(value: Any) -> Hashable:
    return value if value is None or isinstance(value, Hashable) else str(value)


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
