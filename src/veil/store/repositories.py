"""SQLAlchemy implementations of the repository ports."""

from __future__ import annotations

import functools
import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    Text,
    bindparam,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from veil.domain.model import (
    Direction,
    Level,
    Role,
    SupportMessage,
    Ticket,
    TicketStatus,
    User,
)
from veil.domain.routing import PRIORITY_RANK, WaitingTicket
from veil.domain.sla import SlaClock
from veil.services.deliveries import (
    Delivery,
    chat_key,
    decode,
    encode,
    gathering_time,
    lane_of,
    ticket_of,
)
from veil.services.ports import ChatBacklog, Conflict, PendingDelivery
from veil.store.host_people import HostUsersTable
from veil.store.sealing import keyring_of_session
from veil.store.tables import (
    people,
    support_desk_moves,
    support_messages,
    support_outbox,
    support_processed_updates,
    support_sla_runs,
    support_tickets,
)

_RULE = re.compile(r"\b(uq|pk)_\w+|UNIQUE constraint failed: [\w.]+")
# PostgreSQL's "deadlock detected" and "could not serialize": the transaction lost a
# race and was rolled back whole; running it again is the documented answer.
_RETRYABLE_STATES = {"40P01": "a deadlock", "40001": "a serialization failure"}


@contextmanager
def conflicts_reported() -> Iterator[None]:
    """A broken unique rule, or a transaction PostgreSQL rolled back for losing a race,
    becomes the port's Conflict, which callers may retry."""
    try:
        yield
    except IntegrityError as exc:
        # Name the rule, not the values: PostgreSQL's message quotes the duplicate key.
        rule = _RULE.search(str(exc.orig))
        raise Conflict(rule.group(0) if rule else "a unique rule") from exc
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state in _RETRYABLE_STATES:
            raise Conflict(_RETRYABLE_STATES[state]) from exc
        raise


def findable(typed: str) -> bool:
    """Can a text a person typed (an alias, a ticket id) be a value in a text column? Not
    with a NUL: PostgreSQL refuses one even as a value to compare with, where SQLite
    would just find nothing. Lookups by such a text find nothing on every backend."""
    return "\x00" not in typed


async def add_entity(session: AsyncSession, entity: object) -> None:
    session.add(entity)
    with conflicts_reported():
        await session.flush()


# Queue order: most urgent first (0), then the oldest.
# Queue order is the domain's (routing.queue_key): the most urgent first, by the one rank.
_priority_rank = case(dict(PRIORITY_RANK), value=support_tickets.c.priority, else_=-1)
_waiting = (support_tickets.c.status != TicketStatus.CLOSED) & (
    support_tickets.c.assigned_agent_id.is_(None)
)


@functools.cache  # built once, after the mappers started (a statement costs to build)
def _by_telegram_key() -> Select[Any]:
    """A person by any of their keyed hashes; the oldest if ever two (a process that
    knew too few keys during a rotation)."""
    return (
        select(User)
        .where(people.c.telegram_key.in_(bindparam("keys", expanding=True)))
        .order_by(people.c.id)
        .limit(1)
    )


class SqlUsers:
    """Veil's people, each with what the host's own records say of them (when a host's
    users table is mapped), read once per unit of work."""

    def __init__(self, session: AsyncSession, host: HostUsersTable | None = None) -> None:
        self._session = session
        self._host = host
        self._asked: set[int] = set()
        # Found once per unit of work: the use case and then the audit log ask for the
        # same person, and each hash costs an HMAC per key and a query.
        self._found: dict[int, User] = {}

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        found = self._found.get(telegram_id)
        if found is not None and found.telegram_id == telegram_id:
            return found
        user = await self._look_up(telegram_id)
        if user is not None:
            self._found[telegram_id] = user
        return user

    async def _look_up(self, telegram_id: int) -> User | None:
        keys = list(keyring_of_session(self._session).lookups(telegram_id))
        found = await self._session.execute(_by_telegram_key(), {"keys": keys})
        return await self._known(found.scalar_one_or_none())

    async def get(self, user_id: int) -> User | None:
        return await self._known(await self._session.get(User, user_id))

    async def add(self, user: User) -> None:
        await add_entity(self._session, user)
        await self._known(user)
        if user.telegram_id is not None:
            self._found[user.telegram_id] = user

    async def with_role(self, role: Role) -> Sequence[User]:
        query = select(User).where(people.c.role == role).order_by(people.c.id)
        found = (await self._session.execute(query)).scalars().all()
        for user in found:
            await self._known(user)
        return found

    async def host_role(self, telegram_id: int) -> Role | None:
        if self._host is None:
            return None
        person = await self._host.lookup(self._session, telegram_id)
        return person.role if person is not None else None

    async def _known(self, user: User | None) -> User | None:
        if user is None or self._host is None or user.telegram_id in self._asked:
            return user
        self._asked.add(user.telegram_id)
        person = await self._host.lookup(self._session, user.telegram_id)
        user.host_role = person.role if person is not None else None
        user.host_language = person.language if person is not None else None
        if user.host_language and user.id is not None:
            # What texts are written in, not a change to Veil's record of them.
            set_committed_value(user, "language", user.host_language)
        return user


def _held(query: Select[Ticket]) -> Select[Ticket]:
    """A ticket a unit of work reads is that unit's until it ends (PostgreSQL: FOR UPDATE).

    A ticket's client and its agents write from different chats, whose updates are
    handled side by side: without the row lock both would number their message from the
    same count (a unique conflict on the sequence, retried, and lost once retries ran
    out), and a message could land in a ticket that a concurrent /close had just closed.
    With it, the second waits for the first to commit and reads what it wrote. SQLite
    needs nothing here: BEGIN IMMEDIATE serialises its writers already.
    """
    return query.with_for_update()


class SqlTickets:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, ticket: Ticket) -> None:
        await add_entity(self._session, ticket)

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self._session.get(Ticket, ticket_id, with_for_update=True)

    async def by_public_id(self, public_id: str) -> Ticket | None:
        if not findable(public_id):
            return None
        query = _held(select(Ticket).where(support_tickets.c.public_id == public_id))
        return (await self._session.execute(query)).scalar_one_or_none()

    async def open_for_client(self, client_id: int) -> Ticket | None:
        query = select(Ticket).where(
            support_tickets.c.client_id == client_id,
            support_tickets.c.status != TicketStatus.CLOSED,
        )
        return (await self._session.execute(_held(query))).scalar_one_or_none()

    async def by_topic(self, desk_chat_id: int, topic_id: int) -> Ticket | None:
        query = (
            select(Ticket)
            .where(
                support_tickets.c.desk_chat_id == desk_chat_id,
                support_tickets.c.desk_topic_id == topic_id,
            )
            .order_by(support_tickets.c.id.desc())
            .limit(1)
        )
        return (await self._session.execute(_held(query))).scalar_one_or_none()

    async def worked_privately_by(self, agent_id: int) -> Ticket | None:
        query = select(Ticket).where(
            support_tickets.c.private_agent_id == agent_id,
            support_tickets.c.status != TicketStatus.CLOSED,
        )
        return (await self._session.execute(_held(query.limit(1)))).scalar_one_or_none()

    async def open_by_desk(self) -> Mapping[int, int]:
        t = support_tickets.c
        query = (
            select(t.desk_chat_id, func.count())
            .where(t.status != TicketStatus.CLOSED)
            .group_by(t.desk_chat_id)
        )
        return {chat: int(n) for chat, n in await self._session.execute(query)}

    async def count_waiting(self) -> int:
        query = select(func.count()).where(_waiting)
        return int((await self._session.execute(query)).scalar_one())

    async def move_desk(self, old_chat_id: int, new_chat_id: int) -> int:
        result = await self._session.execute(
            update(support_tickets)
            .where(support_tickets.c.desk_chat_id == old_chat_id)
            .values(desk_chat_id=new_chat_id)
        )
        return int(getattr(result, "rowcount", 0))

    async def for_client(self, client_id: int, limit: int) -> Sequence[Ticket]:
        query = (
            select(Ticket)
            .where(support_tickets.c.client_id == client_id)
            .order_by(support_tickets.c.created_at.desc(), support_tickets.c.id.desc())
            .limit(limit)
        )
        # Listings (/tickets, /queue, /stats, the queue watch) change nothing: unlocked.
        return (await self._session.execute(query)).scalars().all()

    async def count_for_client(self, client_id: int) -> int:
        query = select(func.count()).where(support_tickets.c.client_id == client_id)
        return int((await self._session.execute(query)).scalar_one())

    async def waiting(self, levels: Sequence[Level], limit: int) -> Sequence[Ticket]:
        t = support_tickets.c
        query = (
            select(Ticket)
            .where(_waiting, t.required_level.in_(list(levels)))
            .order_by(_priority_rank.desc(), t.created_at, t.id)
            .limit(limit)
        )
        return (await self._session.execute(query)).scalars().all()

    async def silent(
        self, close_cutoff: datetime, warn_cutoff: datetime, limit: int
    ) -> Sequence[Ticket]:
        t = support_tickets.c
        r = support_sla_runs.c
        # Only a ticket that waits for its client closes for silence (an agent spoke
        # last: its resolution run is paused); one that waits for the desk is the SLA's.
        waits_for_client = exists().where(
            r.ticket_id == t.id,
            r.clock == SlaClock.RESOLUTION,
            r.stopped_at.is_(None),
            r.running_since.is_(None),
        )
        query = (
            select(Ticket)
            .where(
                t.status != TicketStatus.CLOSED,
                waits_for_client,
                or_(
                    t.last_activity_at <= close_cutoff,
                    (t.last_activity_at <= warn_cutoff) & t.idle_warned_at.is_(None),
                ),
            )
            .order_by(t.last_activity_at, t.id)
            .limit(limit)
            # Another instance passes over the tickets this one is closing or warning.
            .with_for_update(skip_locked=True)
        )
        return (await self._session.execute(query)).scalars().all()

    async def queue_head(self, levels: Sequence[Level], limit: int) -> Sequence[WaitingTicket]:
        t = support_tickets.c
        await self._session.flush()  # plain rows, not entities: make pending changes visible
        query = (
            select(t.id, t.priority, t.required_level, t.created_at)
            .where(_waiting, t.required_level.in_(list(levels)))
            .order_by(_priority_rank.desc(), t.created_at, t.id)
            .limit(limit)
        )
        return [WaitingTicket(*row) for row in await self._session.execute(query)]

    async def queue_position(self, ticket: Ticket) -> int:
        t = support_tickets.c
        rank = PRIORITY_RANK[ticket.priority]
        ahead = select(func.count()).where(
            _waiting,
            (_priority_rank > rank)
            | ((_priority_rank == rank) & (t.created_at < ticket.created_at))
            | ((_priority_rank == rank) & (t.created_at == ticket.created_at) & (t.id < ticket.id)),
        )
        return 1 + int((await self._session.execute(ahead)).scalar_one())

    async def open_for_agent(self, agent_id: int) -> Sequence[Ticket]:
        t = support_tickets.c
        query = (
            select(Ticket)
            .where(t.assigned_agent_id == agent_id, t.status != TicketStatus.CLOSED)
            .order_by(t.created_at)
        )
        return (await self._session.execute(_held(query))).scalars().all()


# Core statements (no ORM object is loaded, so none is left stale in the session): the
# bookkeeping fields are not audited (store/audit.py).
_TO_CLIENT = (
    update(support_messages)
    .where(support_messages.c.id == bindparam("message_id"))
    .values(client_message_id=bindparam("client_message_id"))
)
_TO_DESK = (
    update(support_messages)
    .where(support_messages.c.id == bindparam("message_id"))
    .values(desk_chat_id=bindparam("desk_chat_id"), desk_message_id=bindparam("desk_message_id"))
)


class SqlMessages:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, message: SupportMessage) -> None:
        await add_entity(self._session, message)

    async def get(self, message_id: int) -> SupportMessage | None:
        return await self._session.get(SupportMessage, message_id)

    async def by_client_message(
        self, ticket_id: int, client_message_id: int
    ) -> SupportMessage | None:
        query = select(SupportMessage).where(
            support_messages.c.ticket_id == ticket_id,
            support_messages.c.client_message_id == client_message_id,
        )
        return (await self._session.execute(query.limit(1))).scalar_one_or_none()

    async def by_desk_message(
        self, ticket_id: int, desk_chat_id: int, desk_message_id: int
    ) -> SupportMessage | None:
        query = select(SupportMessage).where(
            support_messages.c.ticket_id == ticket_id,
            support_messages.c.desk_chat_id == desk_chat_id,
            support_messages.c.desk_message_id == desk_message_id,
        )
        query = query.order_by(support_messages.c.id).limit(1)
        return (await self._session.execute(query)).scalar_one_or_none()

    async def delivered_to_client(self, message_id: int, client_message_id: int) -> None:
        await self._session.execute(
            _TO_CLIENT, {"message_id": message_id, "client_message_id": client_message_id}
        )

    async def delivered_to_desk(
        self, message_id: int, desk_chat_id: int, desk_message_id: int
    ) -> None:
        values = {"desk_chat_id": desk_chat_id, "desk_message_id": desk_message_id}
        await self._session.execute(_TO_DESK, {"message_id": message_id, **values})

    async def count_on_desk(self, ticket_id: int, desk_chat_id: int, desk_message_id: int) -> int:
        query = select(func.count()).where(
            support_messages.c.ticket_id == ticket_id,
            support_messages.c.desk_chat_id == desk_chat_id,
            support_messages.c.desk_message_id == desk_message_id,
        )
        return int((await self._session.execute(query)).scalar_one())

    async def for_ticket(
        self, ticket_id: int, *, include_internal: bool
    ) -> Sequence[SupportMessage]:
        query = select(SupportMessage).where(support_messages.c.ticket_id == ticket_id)
        if not include_internal:
            query = query.where(support_messages.c.direction != Direction.NOTE)
        query = query.order_by(support_messages.c.seq)
        return (await self._session.execute(query)).scalars().all()


class SqlOutbox:
    """Deliveries are buffered and inserted at commit, in the order they were added."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.added: list[Delivery] = []

    def add(self, delivery: Delivery) -> None:
        self.added.append(delivery)

    async def flush(self, now: datetime) -> None:
        if not self.added:
            return
        rows = [
            {
                "lane": lane_of(d),
                "ticket_id": ticket_of(d),
                "delivery": encode(d),
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "not_before": now + gathering_time(d),
            }
            for d in self.added
        ]
        # One row at a time keeps ids in the order the deliveries were written.
        for row in rows:
            await self._session.execute(insert(support_outbox).values(**row))

    async def heads(self, now: datetime, limit: int) -> Sequence[PendingDelivery]:
        o = support_outbox.c
        first_per_lane = select(func.min(o.id)).where(o.status == "pending").group_by(o.lane)
        query = (
            self._pending_rows()
            .where(
                o.id.in_(first_per_lane),
                o.not_before <= now,
                or_(o.claimed_until.is_(None), o.claimed_until < now),
            )
            .order_by(o.id)
            .limit(limit)
        )
        return [self._pending(row) for row in await self._session.execute(query)]

    async def following(self, head: PendingDelivery, limit: int) -> Sequence[PendingDelivery]:
        o = support_outbox.c
        query = (
            self._pending_rows()
            .where(o.lane == head.lane, o.status == "pending", o.id > head.id)
            .order_by(o.id)
            .limit(limit)
        )
        return [self._pending(row) for row in await self._session.execute(query)]

    def _pending_rows(self) -> Select[Any]:
        o, t = support_outbox.c, support_tickets.c
        return select(
            o.id,
            o.lane,
            type_coerce(o.delivery, Text).label("sealed"),  # opened by _pending, once
            o.attempts,
            o.created_at,
            t.desk_chat_id,
            t.private_agent_id,
        ).select_from(
            support_outbox.outerjoin(support_tickets, support_tickets.c.id == o.ticket_id)
        )

    def _pending(self, row: Any) -> PendingDelivery:
        delivery = _opened.get(row.sealed)
        if delivery is None:
            keyring = keyring_of_session(self._session)
            delivery = decode(json.loads(keyring.open(row.sealed)))
            _opened.put(row.sealed, delivery)
        chat, is_group = chat_key(delivery, row.lane, row.desk_chat_id, row.private_agent_id)
        return PendingDelivery(
            id=row.id,
            lane=row.lane,
            delivery=delivery,
            attempts=row.attempts,
            chat=chat,
            is_group=is_group,
            created_at=row.created_at,
        )

    async def claim(self, ids: Sequence[int], worker: str, now: datetime, until: datetime) -> bool:
        o = support_outbox.c
        result = await self._session.execute(
            update(support_outbox)
            .where(
                o.id.in_(ids),
                o.status == "pending",
                or_(o.claimed_until.is_(None), o.claimed_until < now),
            )
            .values(claimed_by=worker, claimed_until=until)
        )
        # All or none: a partial claim means another worker got there first.
        return int(getattr(result, "rowcount", 0)) == len(set(ids))

    async def release(self, ids: Sequence[int]) -> None:
        await self._session.execute(
            update(support_outbox)
            .where(support_outbox.c.id.in_(ids))
            .values(claimed_by=None, claimed_until=None)
        )

    async def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        await self._session.execute(
            update(support_outbox)
            .where(support_outbox.c.id.in_(ids))
            .values(status="sent", sent_at=now, error=None, claimed_by=None, claimed_until=None)
        )

    async def retry_later(
        self, outbox_id: int, not_before: datetime, error: str, *, attempt: bool = True
    ) -> None:
        attempts = support_outbox.c.attempts + (1 if attempt else 0)
        await self._set(
            outbox_id,
            not_before=not_before,
            error=error[:2000],
            attempts=attempts,
            claimed_by=None,
            claimed_until=None,
        )

    async def mark_failed(self, outbox_id: int, now: datetime, error: str) -> None:
        await self._set(
            outbox_id,
            status="failed",
            sent_at=now,
            error=error[:2000],
            claimed_by=None,
            claimed_until=None,
        )

    async def backlog(self) -> int:
        query = select(func.count()).where(support_outbox.c.status == "pending")
        return int((await self._session.execute(query)).scalar_one())

    async def backlog_by_chat(self, limit: int) -> Sequence[ChatBacklog]:
        o = support_outbox.c
        query = self._pending_rows().where(o.status == "pending").order_by(o.id)
        per_chat: dict[str, tuple[int, datetime]] = {}
        for row in await self._session.execute(query):
            pending = self._pending(row)
            chat = pending.chat or pending.lane
            count, oldest = per_chat.get(chat, (0, row.created_at))
            per_chat[chat] = (count + 1, min(oldest, row.created_at))
        ranked = sorted(per_chat.items(), key=lambda item: item[1][1])[:limit]
        return [ChatBacklog(chat, count, oldest) for chat, (count, oldest) in ranked]

    async def forget_sent_before(self, cutoff: datetime) -> int:
        o = support_outbox.c
        result = await self._session.execute(
            support_outbox.delete().where(o.status == "sent", o.sent_at < cutoff)
        )
        return int(getattr(result, "rowcount", 0))

    async def _set(self, outbox_id: int, **values: object) -> None:
        await self._session.execute(
            update(support_outbox).where(support_outbox.c.id == outbox_id).values(**values)
        )


class _Opened:
    """Deliveries already opened and decoded, by their sealed text.

    The sender looks at every lane's head on each pass, so a backlog's rows are read
    again and again while they wait; a row's delivery never changes (a rotation seals it
    anew, which is a new key here), and a sealed text is never written twice (each
    sealing draws a fresh nonce), so what it decoded to once it decodes to again.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Delivery] = OrderedDict()

    def get(self, sealed: str) -> Delivery | None:
        delivery = self._items.get(sealed)
        if delivery is not None:
            self._items.move_to_end(sealed)
        return delivery

    def put(self, sealed: str, delivery: Delivery) -> None:
        self._items[sealed] = delivery
        while len(self._items) > self._size:
            self._items.popitem(last=False)


_opened = _Opened(4096)


class SqlUpdateLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Insert-or-nothing, so a redelivered update is noticed inside its transaction."""
        table = support_processed_updates
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        values = {"update_id": update_id, "processed_at": now, "status": "done"}
        insert_or_nothing = pg_insert if dialect == "postgresql" else sqlite_insert
        result = await self._session.execute(
            insert_or_nothing(table).values(**values).on_conflict_do_nothing()
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def record_failure(self, update_id: int, now: datetime, payload: str, error: str) -> None:
        table = support_processed_updates
        await self._session.execute(table.delete().where(table.c.update_id == update_id))
        await self._session.execute(
            insert(table).values(
                update_id=update_id,
                processed_at=now,
                status="failed",
                payload=payload,
                error=error[:4000],
            )
        )

    async def forget_before(self, done: datetime, failed: datetime) -> int:
        c = support_processed_updates.c
        result = await self._session.execute(
            support_processed_updates.delete().where(
                ((c.status == "done") & (c.processed_at < done))
                | ((c.status == "failed") & (c.processed_at < failed))
            )
        )
        return int(getattr(result, "rowcount", 0))


class SqlDeskMoves:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None:
        m = support_desk_moves.c
        exists = await self._session.execute(
            select(m.old_chat_id).where(m.old_chat_id == old_chat_id)
        )
        if exists.first() is None:
            await self._session.execute(
                insert(support_desk_moves).values(
                    old_chat_id=old_chat_id, new_chat_id=new_chat_id, moved_at=now
                )
            )
        else:
            await self._session.execute(
                update(support_desk_moves)
                .where(m.old_chat_id == old_chat_id)
                .values(new_chat_id=new_chat_id, moved_at=now)
            )

    async def all(self) -> Sequence[tuple[int, int]]:
        m = support_desk_moves.c
        query = select(m.old_chat_id, m.new_chat_id).order_by(m.moved_at)
        return [(int(old), int(new)) for old, new in await self._session.execute(query)]
