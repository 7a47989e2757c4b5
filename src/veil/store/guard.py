"""The routing-lock rule, kept by the session itself: holdings are read under the lock.

A listener on every session notes the first statement that reads the tables routing
decides on (tickets, agents' status, assignments) while the routing lock is not held.
``SqlAgents.lock_routing`` then refuses to lock late: a use case that read first would
decide on rows another process may be changing. The note lives in ``Session.info`` and
ends with the transaction, as the PostgreSQL lock does.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

HOLDINGS_TABLES = frozenset(
    {"support_tickets", "support_agent_status", "support_agent_assignments"}
)
_LOCKED = "veil.routing_locked"
_READ = "veil.holdings_read"


def routing_locked(session: AsyncSession) -> bool:
    return bool(session.info.get(_LOCKED))


def holdings_read(session: AsyncSession) -> str | None:
    """What was read of the holdings before the lock, if anything."""
    read = session.info.get(_READ)
    return str(read) if read is not None else None


def note_routing_locked(session: AsyncSession) -> None:
    session.info[_LOCKED] = True


class GuardedSession(Session):
    """Veil's sessions; the listeners below watch these alone, never a host's sessions."""


@event.listens_for(GuardedSession, "do_orm_execute")
def _noted(state: ORMExecuteState) -> None:
    info = state.session.info
    if info.get(_LOCKED) or _READ in info or not state.is_select:
        return
    statement = state.statement
    if not isinstance(statement, ClauseElement):
        return
    tables = {t.name for t in find_tables(statement)} & HOLDINGS_TABLES
    if tables:
        info[_READ] = ", ".join(sorted(tables))


@event.listens_for(GuardedSession, "after_commit")
@event.listens_for(GuardedSession, "after_rollback")
def _ended(session: Session) -> None:
    session.info.pop(_LOCKED, None)
    session.info.pop(_READ, None)
