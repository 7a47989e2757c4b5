"""The audit log, written by the unit of work itself: no use case can forget it.

Every flush of a Veil session is watched (``before_flush``): each new, changed or
removed entity of the desk becomes a change, and at commit the changes — with the
entries a use case adds itself (refusals, which change no row) — are written as audit
entries in the same transaction, chained by hash (domain/audit.py). What is sealed is
never copied into an entry (the column types say which columns are), nor are the
desk's delivery bookkeeping fields, which change with every message sent.

The chain needs one writer at a time: on PostgreSQL a transaction-scoped advisory lock,
taken last, just before the commit, so that it is held for milliseconds and never while
waiting for another lock; on SQLite the write lock every transaction already holds.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from veil.domain.agents import Agent, AssignmentRecord, CannedAnswer, Invite, alias_for
from veil.domain.appointments import Offer
from veil.domain.audit import (
    GENESIS,
    SYSTEM,
    Action,
    Actor,
    ActorRole,
    Break,
    BreakKind,
    ChainCheck,
    Detail,
    Entry,
    Stored,
    Verdict,
    digest,
)
from veil.domain.model import Direction, SupportMessage, Ticket, TicketStatus, User
from veil.store.guard import GuardedSession
from veil.store.sealing import SealedInt, SealedJson, SealedText
from veil.store.tables import AboutJson, support_audit_log, support_tickets

AUDIT_LOCK_KEY = 0x7E11_0002
_CHANGES = "veil.audit_changes"
_SEALED = (SealedText, SealedInt, SealedJson, AboutJson)


@dataclass
class Change:
    entity: object
    created: bool = False
    removed: bool = False
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name: (old, new)


@dataclass(frozen=True)
class Spec:
    """How one kind of entity appears in the log."""

    created: Action
    removed: Action
    changed: Callable[[Change], Action]
    ticket: Callable[[Any], int | None]
    shown_when_created: tuple[str, ...] = ()
    ignored: frozenset[str] = frozenset()  # bookkeeping: not an event of the desk


def _ticket_changed(change: Change) -> Action:
    f = change.fields
    if "status" in f:
        old, new = f["status"]
        if new is TicketStatus.CLOSED:
            return Action.TICKET_CLOSED
        return Action.TICKET_REOPENED if old is TicketStatus.CLOSED else Action.TICKET_CHANGED
    if "assigned_agent_id" in f:
        released = f["assigned_agent_id"][1] is None
        return Action.TICKET_RELEASED if released else Action.TICKET_ASSIGNED
    if "required_level" in f:
        return Action.TICKET_ESCALATED
    if "priority" in f:
        return Action.TICKET_REPRIORITISED
    if "private_agent_id" in f:
        return Action.TICKET_PRIVATE
    return Action.TICKET_CHANGED


def _message_created(message: SupportMessage) -> Action:
    return {
        Direction.FROM_CLIENT: Action.MESSAGE_FROM_CLIENT,
        Direction.FROM_AGENT: Action.MESSAGE_FROM_AGENT,
        Direction.NOTE: Action.NOTE_ADDED,
    }[message.direction]


def _message_changed(change: Change) -> Action:
    erased = "text" in change.fields and change.fields["text"][1] is None
    return Action.MESSAGE_ERASED if erased else Action.MESSAGE_EDITED


SPECS: dict[type, Spec] = {
    Ticket: Spec(
        Action.TICKET_OPENED,
        Action.RECORD_CHANGED,
        _ticket_changed,
        ticket=lambda t: t.id,
        shown_when_created=("public_id", "priority", "required_level", "category"),
        ignored=frozenset(
            {"last_activity_at", "message_count", "desk_topic_id", "card_message_id"}
            # Whose turn it is: bookkeeping of every message, as the count is.
            | {"awaiting_reply_since"}
            # An agent's words (an escalation's reason) are contents, as a message is.
            | {"escalation_reason"}
        ),
    ),
    SupportMessage: Spec(
        Action.MESSAGE_FROM_CLIENT,  # by direction, see _entries
        Action.MESSAGE_ERASED,
        _message_changed,
        ticket=lambda m: m.ticket_id,
        shown_when_created=("seq", "kind"),
        ignored=frozenset({"desk_chat_id", "desk_message_id", "client_message_id"}),
    ),
    AssignmentRecord: Spec(
        Action.ASSIGNMENT_STARTED,
        Action.RECORD_CHANGED,
        lambda c: Action.ASSIGNMENT_ENDED,
        ticket=lambda a: a.ticket_id,
        shown_when_created=("agent_id", "reason"),
    ),
    Agent: Spec(
        Action.AGENT_ADDED,
        Action.AGENT_REMOVED,
        lambda c: Action.AGENT_CHANGED,
        ticket=lambda a: None,
        shown_when_created=("alias", "level", "capacity"),
        ignored=frozenset(
            {"last_activity_at", "open_tickets", "last_assigned_at", "status_changed_at"}
        ),
    ),
    User: Spec(
        Action.PERSON_MET,
        Action.RECORD_CHANGED,
        lambda c: (
            Action.PERSON_FORGOTTEN
            if "telegram_id" in c.fields and c.fields["telegram_id"][1] is None
            else Action.PERSON_CHANGED
        ),
        ticket=lambda u: None,
        shown_when_created=("role",),
        ignored=frozenset({"updated_at", "language", "_telegram_key"}),
    ),
    Invite: Spec(
        Action.INVITE_CREATED,
        Action.RECORD_CHANGED,
        lambda c: Action.INVITE_REDEEMED,
        ticket=lambda i: None,
        shown_when_created=("level", "expires_at"),
        ignored=frozenset({"token_hash"}),
    ),
    CannedAnswer: Spec(
        Action.CANNED_SAVED,
        Action.CANNED_REMOVED,
        lambda c: Action.CANNED_SAVED,
        ticket=lambda a: None,
        shown_when_created=("name",),
        ignored=frozenset({"updated_at", "text"}),
    ),
    Offer: Spec(
        Action.OFFER_MADE,
        Action.OFFER_REMOVED,
        lambda c: Action.OFFER_DECIDED,
        ticket=lambda o: o.ticket_id,
        shown_when_created=("kind", "status"),
        ignored=frozenset({"slot_label"}),
    ),
}
# Fields naming a person, shown by pseudonym.
PEOPLE_FIELDS = frozenset(
    {"assigned_agent_id", "private_agent_id", "agent_id", "author_id", "created_by", "used_by"}
)


_sealed_by_kind: dict[type, frozenset[str]] = {}  # a mapping never changes while running


def _sealed_fields(entity: object) -> frozenset[str]:
    kind = type(entity)
    found = _sealed_by_kind.get(kind)
    if found is None:
        found = frozenset(
            prop.key
            for prop in inspect(kind).column_attrs
            if any(isinstance(c.type, _SEALED) for c in prop.columns)
        )
        _sealed_by_kind[kind] = found
    return found


@event.listens_for(GuardedSession, "before_flush")
def _capture(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changes: dict[int, Change] = session.info.setdefault(_CHANGES, {})
    for entity in session.new:
        if type(entity) in SPECS:
            changes.setdefault(id(entity), Change(entity, created=True))
    for entity in session.deleted:
        if type(entity) in SPECS:
            changes.setdefault(id(entity), Change(entity)).removed = True
    for entity in session.dirty:
        spec = SPECS.get(type(entity))
        if spec is None or not session.is_modified(entity):
            continue
        change = changes.setdefault(id(entity), Change(entity))
        state = inspect(entity)
        for attr in state.mapper.column_attrs:
            if attr.key in spec.ignored:
                continue
            history = state.attrs[attr.key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            first = change.fields.get(attr.key, (old, new))[0]
            change.fields[attr.key] = (first, new)


def created_in(session: AsyncSession, kind: type) -> bool:
    """Has this unit of work added an entity of ``kind``, flushed or not yet?"""
    sync = session.sync_session
    if any(isinstance(entity, kind) for entity in sync.new):
        return True
    changes: dict[int, Change] = sync.info.get(_CHANGES, {})
    return any(c.created and isinstance(c.entity, kind) for c in changes.values())


@event.listens_for(GuardedSession, "after_commit")
@event.listens_for(GuardedSession, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGES, None)


def _value(name: str, value: Any, sealed: frozenset[str]) -> Detail:
    if name in sealed:
        return "(sealed)" if value is not None else None
    if value is None or isinstance(value, bool | int | str):
        if name in PEOPLE_FIELDS and isinstance(value, int):
            return alias_for(value)
        return value
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _entry_of(change: Change) -> tuple[Action, int | None, dict[str, Detail]] | None:
    entity = change.entity
    spec = SPECS[type(entity)]
    sealed = _sealed_fields(entity)
    ticket = spec.ticket(entity)
    if change.created:
        action = _message_created(entity) if isinstance(entity, SupportMessage) else spec.created
        shown = {f: _value(f, getattr(entity, f), sealed) for f in spec.shown_when_created}
        return action, ticket, shown
    if change.removed:
        return spec.removed, ticket, {}
    fields = {k: v for k, v in change.fields.items() if v[0] != v[1]}
    if not fields:
        return None
    details: dict[str, Detail] = {
        name: [_value(name, old, sealed), _value(name, new, sealed)]
        for name, (old, new) in sorted(fields.items())
    }
    return spec.changed(Change(entity, fields=fields)), ticket, details


class SqlAudit:
    """The unit of work's audit entries: the changes it saw and the ones it was given."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._given: list[tuple[Action, int | None, dict[str, Detail]]] = []
        self._actor: Actor | None = None
        self._acting_for: int | None = None

    def acting_for(self, telegram_id: int) -> None:
        """The person whose update this unit of work handles (their pseudonym is found
        at commit, once what they did is known)."""
        self._acting_for = telegram_id

    def acting_as(self, actor: Actor) -> None:
        self._actor = actor

    def record(self, action: Action, ticket_id: int | None, **details: Detail) -> None:
        self._given.append((action, ticket_id, dict(details)))

    def refused(self, attempted: str, reason: str, ticket_id: int | None = None) -> None:
        self.record(Action.REFUSED, ticket_id, attempted=attempted, reason=reason)

    def clear(self) -> None:
        self._given.clear()

    async def write(self, now: datetime, actor_of: Callable[[int], Any]) -> int:
        """Write this unit's entries, chained; returns how many. Called after the last
        flush, just before the commit."""
        sync = self._session.sync_session
        changes: dict[int, Change] = sync.info.pop(_CHANGES, {})
        pending = [e for e in map(_entry_of, changes.values()) if e is not None]
        pending += self._given
        self._given = []
        if not pending:
            return 0
        actor = await self._resolve(actor_of, [t for _, t, _ in pending])
        now = now.astimezone(UTC)  # as it reads back, so that the hash can be checked
        await self._lock()
        head = (await self._session.execute(_HEAD)).first()
        seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
        rows = []
        for action, ticket_id, details in pending:
            seq += 1
            entry = Entry(seq, now, str(actor), action.value, ticket_id, details)
            entry_hash = digest(prev, entry)
            rows.append(_row(entry, prev, entry_hash))
            prev = entry_hash
        await self._session.execute(_INSERT, rows)
        return len(rows)

    async def _lock(self) -> None:
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(_LOCK, {"key": AUDIT_LOCK_KEY})

    async def _resolve(
        self, actor_of: Callable[[int], Any], tickets: Sequence[int | None]
    ) -> Actor:
        if self._actor is not None:
            return self._actor
        if self._acting_for is None:
            return SYSTEM
        user: User | None = await actor_of(self._acting_for)
        if user is None or user.id is None:
            return Actor(ActorRole.STRANGER, "unknown")
        if user.is_admin:
            return Actor(ActorRole.ADMIN, alias_for(user.id))
        if user.can_answer_tickets:
            return Actor(ActorRole.AGENT, alias_for(user.id))
        named = {t for t in tickets if t is not None}
        if len(named) == 1:
            ticket = await self._session.get(Ticket, next(iter(named)))
            if ticket is not None and ticket.client_id == user.id:
                return Actor(ActorRole.CLIENT, f"User-{ticket.public_id}")
        return Actor(ActorRole.CLIENT, f"client#{user.id}")


# Built once: the chain's statements run with every change of the desk.
_HEAD = (
    select(support_audit_log.c.seq, support_audit_log.c.hash)
    .order_by(support_audit_log.c.seq.desc(), support_audit_log.c.id.desc())
    .limit(1)
)
_INSERT = insert(support_audit_log)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _row(entry: Entry, prev: str, entry_hash: str) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "ticket_id": entry.ticket_id,
        "details": dict(entry.details),
        "prev_hash": prev,
        "hash": entry_hash,
    }


def stored(row: Any) -> Stored:
    """A row of the log as the chain sees it."""
    entry = Entry(
        int(row.seq), row.at, row.actor, row.action, row.ticket_id, dict(row.details or {})
    )
    return Stored(entry, row.prev_hash, row.hash)


async def read_chain(engine: AsyncEngine, batch: int = 5000) -> AsyncIterator[Stored | int]:
    """Every entry in chain order, read in batches (the log can be long); the ``seq`` of
    a row edited into something that cannot even be read back as an entry."""
    log = support_audit_log.c
    after: tuple[int, int] | None = None
    async with engine.connect() as conn:
        while True:
            keys = select(log.seq, log.id).order_by(log.seq, log.id).limit(batch)
            if after is not None:
                keys = keys.where(
                    (log.seq > after[0]) | ((log.seq == after[0]) & (log.id > after[1]))
                )
            try:
                found = [(int(seq), int(row_id)) for seq, row_id in await conn.execute(keys)]
            except (ValueError, TypeError):
                # A number edited into words: the walk ends there, as a break.
                yield (after[0] + 1) if after else 1
                return
            rows = await _entries(conn, [row_id for _, row_id in found])
            for seq, row_id in found:
                yield rows.get(row_id, seq)
            if len(found) < batch:
                return
            after = found[-1]


async def _entries(conn: Any, ids: list[int]) -> dict[int, Stored]:
    """The rows as entries; one whose fields no longer parse is left out (altered)."""
    log = support_audit_log.c
    try:
        rows = (await conn.execute(select(support_audit_log).where(log.id.in_(ids)))).all()
        return {int(r.id): stored(r) for r in rows}
    except (ValueError, TypeError, AttributeError):
        readable: dict[int, Stored] = {}
        for row_id in ids:
            try:
                row = (await conn.execute(select(support_audit_log).where(log.id == row_id))).one()
                readable[row_id] = stored(row)
            except (ValueError, TypeError, AttributeError):
                continue
        return readable


async def verify_chain(engine: AsyncEngine) -> Verdict:
    check = ChainCheck()
    async for entry in read_chain(engine):
        if isinstance(entry, int):  # could not be read back at all
            return check.verdict(Break(entry, BreakKind.ALTERED))
        broken = check.feed(entry)
        if broken is not None:
            return check.verdict(broken)
    return check.verdict()


async def export(
    engine: AsyncEngine, since: datetime | None = None, until: datetime | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The entries between ``since`` and ``until`` (UTC), with their tickets' public ids."""
    log, t = support_audit_log.c, support_tickets.c
    query = (
        select(support_audit_log, t.public_id)
        .select_from(support_audit_log.outerjoin(support_tickets, t.id == log.ticket_id))
        .order_by(log.seq, log.id)
    )
    if since is not None:
        query = query.where(log.at >= since)
    if until is not None:
        query = query.where(log.at < until)
    async with engine.connect() as conn:
        result = await conn.stream(query)
        async for row in result:
            yield {
                "seq": row.seq,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "action": row.action,
                "ticket": row.public_id,
                "details": row.details or {},
                "hash": row.hash,
            }
