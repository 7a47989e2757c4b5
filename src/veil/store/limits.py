"""Limits and bans in the database: counts from the rows that are the facts (tickets,
messages), per-person decisions, notices given, and a log of other counted events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, delete, func, insert, literal, null, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from veil.domain.limits import Ban, Limit, LimitKind, Verdict, held_tickets, judge
from veil.domain.model import Direction, SupportMessage
from veil.store.audit import created_in
from veil.store.tables import (
    support_limit_notices,
    support_messages,
    support_rate_events,
    support_rate_limits,
    support_tickets,
)

BAN = "ban"
_MESSAGE = "~message"  # the rows of a person's latest messages, read with their decisions


def _latest_messages() -> Any:
    """A client's latest messages after ``since``, newest first, ``count`` of them."""
    m, t = support_messages.c, support_tickets.c
    return (
        select(m.created_at)
        .join(support_tickets, t.id == m.ticket_id)
        .where(
            t.client_id == bindparam("user_id"),
            m.direction == Direction.FROM_CLIENT,
            m.created_at > bindparam("since"),
        )
        .order_by(m.created_at.desc())
    )


def _decisions_and_messages() -> Any:
    """A person's decisions, and as many of their latest messages as their own allowance
    of messages an hour says (or ``count``), in one statement."""
    r = support_rate_limits.c
    allowance = (
        select(r.allowance)
        .where(r.user_id == bindparam("user_id"), r.kind == LimitKind.MESSAGES_PER_HOUR.value)
        .scalar_subquery()
    )
    count = bindparam("count", type_=Integer)
    inner = _latest_messages().limit(func.coalesce(allowance, count)).subquery()
    times = select(
        literal(_MESSAGE).label("kind"),
        null().label("allowance"),
        inner.c.created_at,
        null().label("until"),
        null().label("reason"),
    )
    return _DECISIONS.union_all(times)


# Built once: a statement made afresh for every message costs more to build and to key
# for SQLAlchemy's cache than to run.
_r = support_rate_limits.c
_DECISIONS = select(_r.kind, _r.allowance, _r.created_at, _r.until, _r.reason).where(
    _r.user_id == bindparam("user_id")
)
_LATEST_MESSAGES = _latest_messages().limit(bindparam("count", type_=Integer))
_DECISIONS_AND_MESSAGES = _decisions_and_messages()


@dataclass(frozen=True)
class _Foreseen:
    """A person's latest message times, read with their decisions (see foresee_messages):
    every one after ``since``, or the latest ``limit`` of them when not ``complete``."""

    since: datetime
    times: list[datetime]  # newest first
    complete: bool

    def answer(self, count: int, since: datetime) -> list[datetime] | None:
        """The latest ``count`` after ``since``, when these rows are sure to hold them."""
        if since < self.since:
            return None
        inside = [t for t in self.times if t > since]
        return inside[:count] if self.complete or len(inside) >= count else None


class SqlLimits:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # A person's decisions (ban, allowances), read in one query once per unit of work:
        # a relayed message asks for the ban and the allowance both.
        self._decisions: dict[int, dict[str, Any]] = {}
        self._asked_messages: dict[int, tuple[int, datetime]] = {}
        self._foreseen: dict[int, _Foreseen] = {}

    async def foresee_messages(self, user_id: int, count: int, since: datetime) -> None:
        if user_id not in self._decisions:
            self._asked_messages[user_id] = (count, since)

    async def _of(self, user_id: int) -> dict[str, Any]:
        found = self._decisions.get(user_id)
        if found is None:
            asked = self._asked_messages.pop(user_id, None)
            if asked is None:
                rows = await self._session.execute(_DECISIONS, {"user_id": user_id})
                found = {row.kind: row for row in rows}
            else:
                found = await self._with_messages(user_id, *asked)
            self._decisions[user_id] = found
        return found

    async def _with_messages(self, user_id: int, count: int, since: datetime) -> dict[str, Any]:
        """The person's decisions and their latest messages in one round trip: as many
        as their own allowance of messages an hour says, or ``count``."""
        await self._session.flush()  # plain rows: make this unit's own messages visible
        found: dict[str, Any] = {}
        seen: list[datetime] = []
        params = {"user_id": user_id, "since": since, "count": count}
        for row in await self._session.execute(_DECISIONS_AND_MESSAGES, params):
            if row.kind == _MESSAGE:
                seen.append(row.created_at)
            else:
                found[row.kind] = row
        own = found.get(LimitKind.MESSAGES_PER_HOUR.value)
        limit = own.allowance if own is not None and own.allowance is not None else count
        seen.sort(reverse=True)
        self._foreseen[user_id] = _Foreseen(since, seen, complete=len(seen) < limit)
        return found

    async def recent_tickets(
        self, client_id: int, count: int, since: datetime
    ) -> Sequence[datetime]:
        t, e = support_tickets.c, support_rate_events.c
        opened = select(t.created_at.label("at")).where(
            t.client_id == client_id, t.created_at > since
        )
        # Tickets erased at the client's request (/forget_me) still count, by their time.
        held = select(e.at.label("at")).where(e.key == held_tickets(client_id), e.at > since)
        both = opened.union_all(held).subquery()
        query = select(both.c.at).order_by(both.c.at.desc()).limit(count)
        return list((await self._session.execute(query)).scalars())

    async def recent_messages(
        self, client_id: int, count: int, since: datetime
    ) -> Sequence[datetime]:
        foreseen = self._foreseen.pop(client_id, None)
        # Read with the decisions before this unit wrote any message: still the facts.
        if foreseen is not None and not created_in(self._session, SupportMessage):
            answer = foreseen.answer(count, since)
            if answer is not None:
                return answer
        await self._session.flush()  # plain rows: make this unit's own messages visible
        params = {"user_id": client_id, "since": since, "count": count}
        return list((await self._session.execute(_LATEST_MESSAGES, params)).scalars())

    async def allowance(self, user_id: int, kind: LimitKind) -> int | None:
        row = (await self._of(user_id)).get(kind.value)
        return int(row.allowance) if row is not None and row.allowance is not None else None

    async def set_allowance(
        self, user_id: int, kind: LimitKind, allowance: int | None, by: int | None, now: datetime
    ) -> None:
        await self._replace(user_id, kind.value, allowance=allowance, created_by=by, created_at=now)

    async def ban_of(self, user_id: int) -> Ban | None:
        row = (await self._of(user_id)).get(BAN)
        return Ban(user_id, row.created_at, row.until, row.reason) if row else None

    async def ban(self, ban: Ban, by: int | None) -> None:
        await self._replace(
            ban.user_id,
            BAN,
            until=ban.until,
            reason=ban.reason,
            created_by=by,
            created_at=ban.since,
        )

    async def unban(self, user_id: int) -> bool:
        self._decisions.pop(user_id, None)
        r = support_rate_limits.c
        result = await self._session.execute(
            delete(support_rate_limits).where(r.user_id == user_id, r.kind == BAN)
        )
        return bool(getattr(result, "rowcount", 0))

    async def told_until(self, user_id: int, kind: str) -> datetime | None:
        n = support_limit_notices.c
        query = select(n.until).where(n.user_id == user_id, n.kind == kind)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def tell_until(self, user_id: int, kind: str, until: datetime | None) -> None:
        await self.forget_told(user_id, kind)
        await self._session.execute(
            insert(support_limit_notices).values(user_id=user_id, kind=kind, until=until)
        )

    async def forget_told(self, user_id: int, kind: str) -> None:
        n = support_limit_notices.c
        await self._session.execute(
            delete(support_limit_notices).where(n.user_id == user_id, n.kind == kind)
        )

    async def told_before(self, kind: str, now: datetime, limit: int) -> Sequence[int]:
        n = support_limit_notices.c
        query = select(n.user_id).where(n.kind == kind, n.until <= now).limit(limit)
        return list((await self._session.execute(query)).scalars())

    async def forget_events_before(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(support_rate_events).where(support_rate_events.c.at < cutoff)
        )
        return int(getattr(result, "rowcount", 0))

    async def _replace(self, user_id: int, kind: str, **values: object) -> None:
        self._decisions.pop(user_id, None)
        r = support_rate_limits.c
        await self._session.execute(
            delete(support_rate_limits).where(r.user_id == user_id, r.kind == kind)
        )
        await self._session.execute(
            insert(support_rate_limits).values(user_id=user_id, kind=kind, **values)
        )


class SqlRateLog:
    """Counted events in a table of their own, each hit in a short transaction of its own.

    On PostgreSQL two processes counting the same key at once are serialised by a
    transaction-scoped advisory lock on the key; on SQLite by the write lock.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def hit(self, key: str, limit: Limit, now: datetime) -> Verdict:
        e = support_rate_events.c
        async with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
            latest = (
                await conn.execute(
                    select(e.at)
                    .where(e.key == key, e.at > now - limit.window)
                    .order_by(e.at.desc())
                    .limit(limit.count)
                )
            ).scalars()
            verdict = judge(list(latest), limit, now)
            if verdict.allowed:
                await conn.execute(insert(support_rate_events).values(key=key, at=now))
            return verdict
