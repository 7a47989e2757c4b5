"""The ports the use cases need. Adapters live in store/ and in the tests' fakes."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from veil.domain.agents import Agent, AssignmentRecord, CannedAnswer, Invite
from veil.domain.appointments import Appointment, Offer, Outcome, Slot
from veil.domain.audit import Action, Actor, Detail
from veil.domain.figures import Breakdown, Figures, Period
from veil.domain.limits import Ban, Limit, LimitKind, Verdict
from veil.domain.model import Level, Role, SupportMessage, Ticket, User
from veil.domain.ratings import Rating
from veil.domain.routing import AgentLoad, WaitingTicket
from veil.domain.sla import ClockRun
from veil.services.deliveries import Delivery

Clock = Callable[[], datetime]


class Conflict(Exception):
    """Another transaction got there first (a unique rule held); running again may succeed."""


class RoutingLockNeeded(Exception):
    """A use case found, after reading, that it must change who holds what (a client
    coming back to a closed ticket): the update is handled again from the start, the
    routing lock taken first (telegram/middlewares.py)."""


class RoutingLockTooLate(Exception):
    """A use case read tickets, agents or assignments before taking the routing lock: a
    bug (its decisions could rest on rows another process is changing), never retried."""


class Texts(Protocol):
    """The message catalog: every text a person reads comes from here."""

    def __call__(self, language: str | None, key: str, **args: Any) -> str: ...


class UserRepository(Protocol):
    async def by_telegram_id(self, telegram_id: int) -> User | None: ...
    async def get(self, user_id: int) -> User | None: ...
    async def add(self, user: User) -> None: ...
    async def with_role(self, role: Role) -> Sequence[User]: ...
    async def host_role(self, telegram_id: int) -> Role | None:
        """What the host's own records say of someone Veil may not have met yet."""
        ...


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> None: ...
    async def get(self, ticket_id: int) -> Ticket | None: ...
    async def by_public_id(self, public_id: str) -> Ticket | None: ...
    async def open_for_client(self, client_id: int) -> Ticket | None: ...
    async def by_topic(self, desk_chat_id: int, topic_id: int) -> Ticket | None: ...
    async def worked_privately_by(self, agent_id: int) -> Ticket | None: ...
    async def open_by_desk(self) -> Mapping[int, int]:
        """Open tickets per desk group."""
        ...

    async def count_waiting(self) -> int:
        """Tickets in the queue (open, nobody owns them)."""
        ...

    async def move_desk(self, old_chat_id: int, new_chat_id: int) -> int:
        """Tickets of a desk group that Telegram moved follow it; returns how many."""
        ...

    async def for_client(self, client_id: int, limit: int) -> Sequence[Ticket]: ...
    async def count_for_client(self, client_id: int) -> int: ...
    async def silent(
        self, close_cutoff: datetime, warn_cutoff: datetime, limit: int
    ) -> Sequence[Ticket]:
        """Open tickets silent since ``close_cutoff``, or since ``warn_cutoff`` and not
        yet warned; held by this unit of work alone."""
        ...

    async def waiting(self, levels: Sequence[Level], limit: int) -> Sequence[Ticket]:
        """Open tickets nobody owns, of these required levels, in queue order."""
        ...

    async def queue_head(self, levels: Sequence[Level], limit: int) -> Sequence[WaitingTicket]:
        """The same as ``waiting``, as routing sees the tickets (cheap to read)."""
        ...

    async def queue_position(self, ticket: Ticket) -> int:
        """1 + how many waiting tickets are ahead of this one."""
        ...

    async def open_for_agent(self, agent_id: int) -> Sequence[Ticket]: ...


class AgentRepository(Protocol):
    async def get(self, agent_id: int) -> Agent | None: ...
    async def by_alias(self, alias: str) -> Agent | None: ...
    async def add(self, agent: Agent) -> None: ...
    async def remove(self, agent: Agent) -> None: ...
    async def all(self) -> Sequence[Agent]: ...
    async def with_room(self) -> Sequence[AgentLoad]:
        """Online agents below their capacity, as routing sees them."""
        ...

    async def lock_routing(self) -> None:
        """Serialise routing decisions (across processes) until this transaction ends.

        Raises RoutingLockTooLate when this unit of work already read tickets, agents or
        assignments without it; taking it again once held does nothing."""
        ...


class AssignmentRepository(Protocol):
    async def add(self, record: AssignmentRecord) -> None: ...
    async def current(self, ticket_id: int) -> AssignmentRecord | None: ...
    async def last(self, ticket_id: int) -> AssignmentRecord | None:
        """The ticket's latest holding, ended or not."""
        ...


class AlertLog(Protocol):
    async def active_since(self, kind: str) -> datetime | None:
        """When the alert of this kind was raised, if it still stands."""
        ...

    async def raise_alert(self, kind: str, now: datetime) -> None: ...
    async def clear(self, kind: str, now: datetime) -> None: ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...
    async def redeem(self, token_hash: str, user_id: int, now: datetime) -> Level | None:
        """Use the invite for ``user_id`` if it is still usable (unused, unexpired), in
        one step that two concurrent redeemers cannot both pass; returns its level."""
        ...


class CannedRepository(Protocol):
    async def add(self, answer: CannedAnswer) -> None: ...
    async def by_name(self, name: str) -> CannedAnswer | None: ...
    async def get(self, answer_id: int) -> CannedAnswer | None: ...
    async def all(self) -> Sequence[CannedAnswer]: ...
    async def remove(self, answer: CannedAnswer) -> None: ...


class MessageRepository(Protocol):
    async def add(self, message: SupportMessage) -> None: ...
    async def get(self, message_id: int) -> SupportMessage | None: ...
    async def by_client_message(
        self, ticket_id: int, client_message_id: int
    ) -> SupportMessage | None: ...
    async def by_desk_message(
        self, ticket_id: int, desk_chat_id: int, desk_message_id: int
    ) -> SupportMessage | None:
        """The (first) message a desk message carries; a bundle carries several."""
        ...

    async def count_on_desk(
        self, ticket_id: int, desk_chat_id: int, desk_message_id: int
    ) -> int: ...
    async def delivered_to_client(self, message_id: int, client_message_id: int) -> None:
        """Where a message landed in the client's chat (without loading the message:
        this runs once per relayed message, on the sender's path)."""
        ...

    async def delivered_to_desk(
        self, message_id: int, desk_chat_id: int, desk_message_id: int
    ) -> None:
        """Where a message landed on the desk."""
        ...

    async def for_ticket(
        self, ticket_id: int, *, include_internal: bool
    ) -> Sequence[SupportMessage]: ...


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    lane: str
    delivery: Delivery
    attempts: int
    # The Telegram chat the delivery lands in, as a flood-control key ("user:7",
    # "chat:-100..."), or None for calls that send no message (callback answers).
    chat: str | None = None
    is_group: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True)
class ChatBacklog:
    chat: str
    pending: int
    oldest: datetime


class Outbox(Protocol):
    def add(self, delivery: Delivery) -> None: ...
    async def heads(self, now: datetime, limit: int) -> Sequence[PendingDelivery]:
        """The first pending row of each lane, when it is due and not held by a worker."""
        ...

    async def following(self, head: PendingDelivery, limit: int) -> Sequence[PendingDelivery]:
        """Pending rows of the head's lane after it, in order (to merge with it)."""
        ...

    async def claim(self, ids: Sequence[int], worker: str, now: datetime, until: datetime) -> bool:
        """Hold the rows for ``worker`` until ``until``; all or none. False when another
        worker holds one, or one is no longer pending."""
        ...

    async def release(self, ids: Sequence[int]) -> None: ...
    async def mark_sent(self, ids: Sequence[int], now: datetime) -> None: ...
    async def retry_later(
        self, outbox_id: int, not_before: datetime, error: str, *, attempt: bool = True
    ) -> None:
        """Due again at ``not_before`` (and released); ``attempt`` counts it as a failure
        for the backoff, which a flood-control pause is not."""
        ...

    async def mark_failed(self, outbox_id: int, now: datetime, error: str) -> None: ...
    async def backlog(self) -> int: ...
    async def backlog_by_chat(self, limit: int) -> Sequence[ChatBacklog]:
        """Pending deliveries per chat, the longest-waiting chats first."""
        ...

    async def forget_sent_before(self, cutoff: datetime) -> int: ...


class UpdateLog(Protocol):
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record an inbound update; False when it was processed before."""
        ...

    async def record_failure(
        self, update_id: int, now: datetime, payload: str, error: str
    ) -> None: ...

    async def forget_before(self, done: datetime, failed: datetime) -> int:
        """Drop records of updates handled before ``done``, failed ones before ``failed``."""
        ...


class DeskMoves(Protocol):
    async def record(self, old_chat_id: int, new_chat_id: int, now: datetime) -> None: ...
    async def all(self) -> Sequence[tuple[int, int]]:
        """(old, new) chat ids, oldest move first."""
        ...


class OfferRepository(Protocol):
    async def add(self, offer: Offer) -> None: ...
    async def get(self, offer_id: int) -> Offer | None:
        """The offer as stored now (read after its ticket's lock is held)."""
        ...

    async def ticket_of(self, offer_id: int) -> int | None: ...
    async def open_for_ticket(self, ticket_id: int) -> Sequence[Offer]:
        """Drafts and proposals not yet decided, oldest first."""
        ...


class Appointments(Protocol):
    """What the host says about its appointments, and what it does to them: the port a
    host implements so that tickets come with what they are about.

    Veil calls it outside any transaction of its own and gives each call a time limit
    (``HOST_TIMEOUT``). ``reschedule`` and ``cancel`` come after the client said yes, and
    may be called again for the same change after a crash: doing it twice must do no
    more than doing it once. Each checks that the appointment is this client's.
    ``starts_at`` should be time-zone aware (a naive one is taken as UTC).
    """

    async def describe(self, client_telegram_id: int, ref: str) -> Appointment | None:
        """The appointment ``ref`` if it is this client's; None when it is not (or gone)."""
        ...

    async def slots(self, client_telegram_id: int, ref: str) -> Sequence[Slot]:
        """Free slots the appointment could move to, soonest first."""
        ...

    async def reschedule(self, client_telegram_id: int, ref: str, slot_ref: str) -> Outcome: ...
    async def cancel(self, client_telegram_id: int, ref: str) -> Outcome: ...


class LimitRepository(Protocol):
    """What limits and bans are decided on: counted where the facts already are."""

    async def recent_tickets(
        self, client_id: int, count: int, since: datetime
    ) -> Sequence[datetime]:
        """When the client's latest ``count`` tickets opened after ``since``."""
        ...

    async def recent_messages(
        self, client_id: int, count: int, since: datetime
    ) -> Sequence[datetime]:
        """When the client's latest ``count`` messages after ``since`` arrived."""
        ...

    async def foresee_messages(self, user_id: int, count: int, since: datetime) -> None:
        """A hint, given before the person's ban or allowances are first asked for: their
        latest messages (``count``, or their own allowance) after ``since`` will be asked
        for next. A store may read them in the same query; the answer is the same."""
        ...

    async def allowance(self, user_id: int, kind: LimitKind) -> int | None:
        """A limit an admin set for this person instead of the settings'."""
        ...

    async def set_allowance(
        self, user_id: int, kind: LimitKind, allowance: int | None, by: int | None, now: datetime
    ) -> None: ...
    async def ban_of(self, user_id: int) -> Ban | None: ...
    async def ban(self, ban: Ban, by: int | None) -> None:
        """Ban (or ban again, replacing the earlier ban)."""
        ...

    async def unban(self, user_id: int) -> bool: ...
    async def told_until(self, user_id: int, kind: str) -> datetime | None:
        """Until when the person was told they are held back (told once per spell)."""
        ...

    async def tell_until(self, user_id: int, kind: str, until: datetime | None) -> None: ...
    async def forget_told(self, user_id: int, kind: str) -> None: ...
    async def told_before(self, kind: str, now: datetime, limit: int) -> Sequence[int]:
        """People whose notice of this kind ended before ``now``."""
        ...

    async def forget_events_before(self, cutoff: datetime) -> int:
        """Drop counted events (desk actions) too old to count against any limit."""
        ...


class RateLog(Protocol):
    """Counts events no table records (an agent's desk actions), across processes."""

    async def hit(self, key: str, limit: Limit, now: datetime) -> Verdict:
        """Count one more event for ``key`` if the limit allows it now; else say when."""
        ...


class Erasure(Protocol):
    """Removing what people wrote, keeping the rest (tickets, their numbers, the audit log)."""

    async def contents(self, ticket_ids: Sequence[int]) -> int:
        """Erase the texts of these tickets' messages, what they were about, and their
        deliveries (sent or not); returns how many messages lost their text."""
        ...

    async def chat_deliveries(self, user_id: int) -> int:
        """Drop every delivery to this person's chat (they hold the words sent to them)."""
        ...

    async def detach(self, ticket_ids: Sequence[int], now: datetime) -> int:
        """Give these tickets to a new person who is nobody; returns that person's id."""
        ...

    async def hold(self, key: str, times: Sequence[datetime]) -> None:
        """Keep these times counted under ``key`` (a limit's events outlive the tickets)."""
        ...

    async def closed_before(self, cutoff: datetime, limit: int) -> Sequence[int]:
        """Tickets closed before ``cutoff`` whose contents are still kept."""
        ...


class SlaRuns(Protocol):
    """The runs of tickets' SLA clocks (domain/sla.py)."""

    async def add(self, run: ClockRun) -> None: ...
    async def running(self, ticket_id: int) -> list[ClockRun]:
        """The ticket's runs not yet stopped."""
        ...

    async def last_resolution(self, ticket_id: int) -> ClockRun | None:
        """The ticket's latest resolution run that ended (its last close)."""
        ...

    async def due(self, now: datetime, limit: int) -> Sequence[ClockRun]:
        """Runs whose next check has come, soonest first, each held by this unit of
        work alone (another unit asking at the same time gets others, or none)."""
        ...


class RatingRepository(Protocol):
    async def add(self, rating: Rating) -> None:
        """Raises Conflict when the ticket has a rating already."""
        ...

    async def for_ticket(self, ticket_id: int) -> Rating | None: ...
    async def awaiting_comment(self, client_id: int, since: datetime) -> Rating | None:
        """The client's rating whose comment they asked to add after ``since``."""
        ...


class FigureRepository(Protocol):
    async def figures(self, period: Period, breakdown: Breakdown) -> Mapping[Hashable, Figures]:
        """Each group's figures over the period: by agent id, by level, or the desk as
        one group (key 0). Groups with nothing in the period are absent."""
        ...


class Claims(Protocol):
    async def claim(self, key: str, now: datetime) -> bool:
        """True for the first unit of work ever to claim ``key`` (and commit)."""
        ...


class AuditLog(Protocol):
    """Entries of the audit log beyond the changes the unit of work records by itself."""

    def acting_for(self, telegram_id: int) -> None:
        """Whose update this unit of work handles."""
        ...

    def acting_as(self, actor: Actor) -> None: ...
    def record(self, action: Action, ticket_id: int | None, **details: Detail) -> None: ...
    def refused(self, attempted: str, reason: str, ticket_id: int | None = None) -> None:
        """Someone asked for what they may not do: kept, though nothing changed."""
        ...


class UnitOfWork(Protocol):
    # Read-only properties, so that adapters may narrow the repository types.
    @property
    def users(self) -> UserRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def updates(self) -> UpdateLog: ...
    @property
    def agents(self) -> AgentRepository: ...
    @property
    def assignments(self) -> AssignmentRepository: ...
    @property
    def invites(self) -> InviteRepository: ...
    @property
    def canned(self) -> CannedRepository: ...
    @property
    def alerts(self) -> AlertLog: ...
    @property
    def desk_moves(self) -> DeskMoves: ...
    @property
    def offers(self) -> OfferRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def limits(self) -> LimitRepository: ...
    @property
    def erasure(self) -> Erasure: ...
    @property
    def sla(self) -> SlaRuns: ...
    @property
    def ratings(self) -> RatingRepository: ...
    @property
    def figures(self) -> FigureRepository: ...
    @property
    def claims(self) -> Claims: ...

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work; leaving it without commit() rolls everything back."""

    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
