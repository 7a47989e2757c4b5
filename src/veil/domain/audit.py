"""The audit log's rules: who did what, and a chain of hashes that shows any later edit.

Each entry's hash covers its own fields and the hash of the entry before it, so that
changing, removing or slipping in an entry breaks the chain from there on, and
``verify`` names the first entry where it breaks. An entry holds pseudonyms and facts
(a ticket's number, a status, a level), never what anyone wrote nor who a client is.

The chain shows edits made without recomputing every later hash; someone able to rewrite
the whole tail could recompute it, which is why ``veil audit verify`` prints the head's
hash: kept elsewhere (a report, a ticket system), it pins everything before it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS = "0" * 64

Detail = str | int | float | bool | None | list[Any]


class ActorRole(enum.StrEnum):
    CLIENT = "client"
    AGENT = "agent"
    ADMIN = "admin"
    STRANGER = "stranger"  # someone Veil has no record of (refused before being met)
    SYSTEM = "system"  # Veil's own timers and delivery
    OPERATOR = "operator"  # the `veil` command on the server


@dataclass(frozen=True)
class Actor:
    role: ActorRole
    name: str  # a pseudonym: Agent-7, User-SUPP-..., admin#3

    def __str__(self) -> str:
        return f"{self.role.value}:{self.name}"


SYSTEM = Actor(ActorRole.SYSTEM, "veil")
OPERATOR = Actor(ActorRole.OPERATOR, "cli")


class Action(enum.StrEnum):
    TICKET_OPENED = "ticket.opened"
    TICKET_CLOSED = "ticket.closed"
    TICKET_REOPENED = "ticket.reopened"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_RELEASED = "ticket.released"
    TICKET_ESCALATED = "ticket.escalated"
    TICKET_REPRIORITISED = "ticket.reprioritised"
    TICKET_PRIVATE = "ticket.worked_privately"
    TICKET_CHANGED = "ticket.changed"
    MESSAGE_FROM_CLIENT = "message.from_client"
    MESSAGE_FROM_AGENT = "message.from_agent"
    NOTE_ADDED = "note.added"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_ERASED = "message.erased"
    ASSIGNMENT_STARTED = "assignment.started"
    ASSIGNMENT_ENDED = "assignment.ended"
    AGENT_ADDED = "agent.added"
    AGENT_CHANGED = "agent.changed"
    AGENT_REMOVED = "agent.removed"
    PERSON_MET = "person.met"
    PERSON_CHANGED = "person.changed"
    PERSON_FORGOTTEN = "person.forgotten"
    INVITE_CREATED = "invite.created"
    INVITE_REDEEMED = "invite.redeemed"
    CANNED_SAVED = "canned.saved"
    CANNED_REMOVED = "canned.removed"
    OFFER_MADE = "offer.made"
    OFFER_DECIDED = "offer.decided"
    OFFER_REMOVED = "offer.removed"
    KEYS_ROTATED = "keys.rotated"
    CLIENT_BANNED = "client.banned"
    CLIENT_UNBANNED = "client.unbanned"
    LIMIT_SET = "limit.set"
    CONTENTS_FORGOTTEN = "contents.forgotten"  # at the client's request
    CONTENTS_PURGED = "contents.purged"  # past VEIL_RETENTION_DAYS
    TICKET_RATED = "ticket.rated"
    SLA_WARNED = "sla.warned"
    SLA_BREACHED = "sla.breached"
    REFUSED = "refused"
    RECORD_CHANGED = "record.changed"


@dataclass(frozen=True)
class Entry:
    """An entry as written: what the chain covers."""

    seq: int
    at: datetime
    actor: str
    action: str
    ticket_id: int | None
    details: Mapping[str, Detail] = field(default_factory=dict)


def digest(prev_hash: str, entry: Entry) -> str:
    """The entry's hash: its fields and the previous hash, in one canonical form."""
    body = json.dumps(
        [
            prev_hash,
            entry.seq,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor,
            entry.action,
            entry.ticket_id,
            dict(entry.details),
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    """An entry as read back, with the hashes it was written with."""

    entry: Entry
    prev_hash: str
    hash: str


class BreakKind(enum.StrEnum):
    ALTERED = "altered"  # its contents no longer match its hash
    DELETED = "deleted"  # entries before it are missing
    INSERTED = "inserted"  # it does not follow from the entry before it


@dataclass(frozen=True)
class Break:
    seq: int
    kind: BreakKind

    def describe(self) -> str:
        if self.kind is BreakKind.DELETED:
            return f"entry {self.seq} is missing: deleted"
        if self.kind is BreakKind.INSERTED:
            return f"entry {self.seq} does not follow the one before it: inserted"
        return f"entry {self.seq} does not match its hash: altered"


@dataclass(frozen=True)
class Verdict:
    checked: int
    head: Stored | None
    broken: Break | None


class ChainCheck:
    """Checks entries one at a time, in ``seq`` order, so a long log needs no memory."""

    def __init__(self, start_seq: int = 1, start_hash: str = GENESIS) -> None:
        self.expected_seq, self.expected_prev = start_seq, start_hash
        self.checked = 0
        self.head: Stored | None = None

    def feed(self, stored: Stored) -> Break | None:
        seq = stored.entry.seq
        if seq > self.expected_seq:
            return Break(self.expected_seq, BreakKind.DELETED)
        if seq < self.expected_seq:  # a second entry with a number already taken
            return Break(seq, BreakKind.INSERTED)
        if digest(stored.prev_hash, stored.entry) != stored.hash:
            return Break(seq, BreakKind.ALTERED)
        if stored.prev_hash != self.expected_prev:  # whole in itself, but not chained here
            return Break(seq, BreakKind.INSERTED)
        self.checked += 1
        self.head = stored
        self.expected_seq, self.expected_prev = seq + 1, stored.hash
        return None

    def verdict(self, broken: Break | None = None) -> Verdict:
        return Verdict(self.checked, self.head, broken)


def verify(entries: Iterable[Stored]) -> Verdict:
    """Walk the chain in ``seq`` order; the first break, if any, and the head."""
    check = ChainCheck()
    for stored in entries:
        broken = check.feed(stored)
        if broken is not None:
            return check.verdict(broken)
    return check.verdict()
