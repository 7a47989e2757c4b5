"""The SQLAlchemy unit of work: one session, one transaction, outbox rows included."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from veil.services.ports import Clock
from veil.store import db, sealing
from veil.store.agents import (
    SqlAgents,
    SqlAlerts,
    SqlAssignments,
    SqlCanned,
    SqlInvites,
    SqlOffers,
)
from veil.store.audit import SqlAudit
from veil.store.erasure import SqlErasure
from veil.store.figures import SqlFigures
from veil.store.guard import GuardedSession
from veil.store.host_people import HostUsersTable
from veil.store.limits import SqlLimits
from veil.store.orm import start_mappers
from veil.store.ratings import SqlRatings
from veil.store.repositories import (
    SqlDeskMoves,
    SqlMessages,
    SqlOutbox,
    SqlTickets,
    SqlUpdateLog,
    SqlUsers,
    conflicts_reported,
)
from veil.store.sla import SqlSlaRuns
from veil.store.state import SqlClaims


class SqlUnitOfWork:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        on_commit: Callable[[], None],
        host: HostUsersTable | None = None,
    ) -> None:
        self.session = session
        self._clock = clock
        self._on_commit = on_commit
        self.users = SqlUsers(session, host)
        self.tickets = SqlTickets(session)
        self.messages = SqlMessages(session)
        self.outbox = SqlOutbox(session)
        self.updates = SqlUpdateLog(session)
        self.agents = SqlAgents(session)
        self.assignments = SqlAssignments(session)
        self.invites = SqlInvites(session)
        self.canned = SqlCanned(session)
        self.alerts = SqlAlerts(session)
        self.desk_moves = SqlDeskMoves(session)
        self.offers = SqlOffers(session)
        self.audit = SqlAudit(session)
        self.limits = SqlLimits(session)
        self.erasure = SqlErasure(session)
        self.sla = SqlSlaRuns(session)
        self.ratings = SqlRatings(session)
        self.figures = SqlFigures(session)
        self.claims = SqlClaims(session)

    async def commit(self) -> None:
        wrote_deliveries = bool(self.outbox.added)
        with conflicts_reported():
            now = self._clock()
            await self.outbox.flush(now)
            await self.session.flush()  # the last changes, seen by the audit log
            await self.audit.write(now, self.users.by_telegram_id)
            await self.session.commit()
        self.outbox.added.clear()
        if wrote_deliveries:
            self._on_commit()  # wakes the sender instead of waiting for its next poll

    async def rollback(self) -> None:
        self.outbox.added.clear()
        self.audit.clear()
        await self.session.rollback()


class SqlStore:
    """Hands out units of work over one engine."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        on_commit: Callable[[], None] = lambda: None,
        *,
        host_users: HostUsersTable | None = None,
    ) -> None:
        start_mappers()
        self.keyring = sealing.keyring_of_engine(engine)  # an engine without keys: refused here
        self.engine = engine
        self.host_users = host_users
        self._clock = clock
        self.on_commit = on_commit
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=GuardedSession
        )
        self._reader: AsyncEngine | None = None

    @asynccontextmanager
    async def peek(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for looking only (never committed): on SQLite it takes no write
        lock, so asking whether an update is Veil's costs the writers nothing."""
        if self._reader is None:
            self._reader = self._reader_engine()
        async with AsyncSession(self._reader, expire_on_commit=False) as session:
            yield SqlUnitOfWork(session, self._clock, lambda: None, self.host_users)

    def _reader_engine(self) -> AsyncEngine:
        if self.engine.dialect.name != "sqlite":
            return self.engine  # PostgreSQL reads take no lock a writer waits for
        url = self.engine.url.render_as_string(hide_password=False)
        return db.make_engine(url, keyring=sealing.keyring_of_engine(self.engine), reader=True)

    async def close(self) -> None:
        if self._reader is not None and self._reader is not self.engine:
            await self._reader.dispose()
        await self.engine.dispose()

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self._sessions() as session:
            uow = SqlUnitOfWork(session, self._clock, lambda: self.on_commit(), self.host_users)
            try:
                # Any statement of the unit may be the one PostgreSQL picks as a deadlock's
                # victim, not only the flush and commit below.
                with conflicts_reported():
                    yield uow
            finally:
                # Closing rolls back whatever was not committed; unlike rollback() it
                # leaves loaded objects readable for the caller.
                uow.outbox.added.clear()
