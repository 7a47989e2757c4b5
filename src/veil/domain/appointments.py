"""What a ticket is about (an appointment of the host's) and what support may offer on it.

The host describes an appointment in its own words (service, time, provider, status);
Veil keeps that description on the ticket for agents and never asks who the client is.
An agent offers a change (another slot, or cancelling); only the client's yes makes the
host carry it out, once.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from veil.domain.cleaning import clean

# The host's own reference to an appointment (or a slot): it travels in button payloads
# and deep links, so it is short and of the characters both allow.
REF = re.compile(r"[A-Za-z0-9_-]{1,40}")


def is_ref(value: str | None) -> bool:
    return value is not None and REF.fullmatch(value) is not None


@dataclass(frozen=True)
class Appointment:
    """An appointment as the host shows it: words for people, and its start for rules."""

    ref: str
    service: str
    when: str  # the host's own wording of the time, in its time zone and language
    provider: str
    status: str
    starts_at: datetime | None = None

    def is_soon(self, now: datetime, within: timedelta) -> bool:
        """Starting within ``within`` from now (or started, not long ago): urgent help."""
        if self.starts_at is None:
            return False
        return -timedelta(hours=1) <= self.starts_at - now <= within


@dataclass(frozen=True)
class Slot:
    ref: str
    label: str


SLOT_LABEL_LIMIT = 64  # characters on a button: readable, and well inside Telegram's limits


def offerable(slots: list[Slot], most: int) -> list[Slot]:
    """The host's slots fit to offer: a reference of the right shape, a label with words
    (trimmed to fit a button, rid of what hides or turns text around: agents and the
    client read it on a button), at most ``most`` of them."""
    labelled = [Slot(s.ref, _label(s.label)) for s in slots if is_ref(s.ref)]
    return [s for s in labelled if s.label][:most]


def _label(words: str) -> str:
    # Cut first, then cleaned: a cut may leave half an emoji sequence (a joiner) behind.
    return clean(clean(words).strip()[:SLOT_LABEL_LIMIT]).strip()


def as_utc(appointment: Appointment) -> Appointment:
    """The host's appointment with an aware start: a naive one is taken as UTC."""
    starts = appointment.starts_at
    if starts is None or starts.tzinfo is not None:
        return appointment
    return replace(appointment, starts_at=starts.replace(tzinfo=UTC))


@dataclass(frozen=True)
class Outcome:
    """What the host made of a change: whether it was done, its words for both sides,
    and the appointment as it is now."""

    done: bool
    message: str
    appointment: Appointment | None = None


class OfferKind(enum.StrEnum):
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"  # a slot the agent may pick
    PROPOSED = "proposed"  # put to the client
    ACCEPTED = "accepted"  # the client said yes; the host is carrying it out
    DECLINED = "declined"
    DONE = "done"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"  # another offer took its place, or the ticket closed


class OfferError(Exception):
    """An offer cannot go that way; the message says why."""


@dataclass(eq=False)
class Offer:
    """A change put to the client, bound to the appointment it was made about (a ticket
    may come to be about another one before the client answers)."""

    ticket_id: int
    kind: OfferKind
    created_at: datetime
    appointment_ref: str
    status: OfferStatus = OfferStatus.DRAFT
    slot_ref: str | None = None
    slot_label: str | None = None
    decided_at: datetime | None = None
    id: int | None = None

    def propose(self) -> None:
        self._move(OfferStatus.DRAFT, OfferStatus.PROPOSED)

    def accept(self, now: datetime) -> None:
        self._move(OfferStatus.PROPOSED, OfferStatus.ACCEPTED)
        self.decided_at = now

    def decline(self, now: datetime) -> None:
        self._move(OfferStatus.PROPOSED, OfferStatus.DECLINED)
        self.decided_at = now

    def withdraw(self) -> None:
        if self.status in (OfferStatus.DRAFT, OfferStatus.PROPOSED):
            self.status = OfferStatus.WITHDRAWN

    def settle(self, outcome: Outcome) -> None:
        self._move(OfferStatus.ACCEPTED, OfferStatus.DONE if outcome.done else OfferStatus.FAILED)

    @property
    def is_open(self) -> bool:
        return self.status in (OfferStatus.DRAFT, OfferStatus.PROPOSED)

    def _move(self, expected: OfferStatus, to: OfferStatus) -> None:
        if self.status is not expected:
            raise OfferError(f"offer {self.id} is {self.status.value}, not {expected.value}")
        self.status = to
