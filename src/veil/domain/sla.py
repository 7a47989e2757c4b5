"""Service-level clocks, as helpdesks define them.

Three clocks, each with a target per priority:

- **first response** runs from the ticket's opening to the first agent message the
  client sees (internal notes do not count);
- **next response** runs from the oldest client message not yet answered to the next
  agent message; one run per such message, so each unanswered message can be missed once;
- **resolution** runs from the opening to the close, paused while the ticket waits for
  the client (an agent spoke last).

Every clock counts business hours only (domain/calendar.py). A run is an entity: it is
stored, the job looks at it when its next check falls due, and what it found (a warning
shortly before the target, a breach at the target) is recorded on it, so that each
happens once however many times or processes look.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from veil.domain.calendar import BusinessHours
from veil.domain.model import ClosedBy, Level, Priority


class SlaClock(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class SlaError(ValueError):
    """A target setting that cannot be read; the message says what is wrong."""


_TARGET = re.compile(r"^(?P<priority>[a-z]+)\s*=\s*(?P<seconds>\d+)$")


@dataclass(frozen=True)
class Targets:
    """One clock's target for each priority."""

    by_priority: Mapping[Priority, timedelta]

    @classmethod
    def parse(cls, text: str) -> Targets:
        """``urgent=120,high=300,normal=600,low=1800`` (seconds); every priority named."""
        found: dict[Priority, timedelta] = {}
        for part in (p.strip().lower() for p in text.split(",") if p.strip()):
            match = _TARGET.match(part)
            if match is None:
                raise SlaError(f"cannot read {part!r}: write targets like 'urgent=120,high=300'")
            try:
                priority = Priority(match["priority"])
            except ValueError:
                names = ", ".join(p.value for p in Priority)
                raise SlaError(f"unknown priority {match['priority']!r} ({names})") from None
            if priority in found:
                raise SlaError(f"priority {priority.value} is given twice")
            seconds = int(match["seconds"])
            if seconds <= 0:
                raise SlaError(f"the target for {priority.value} must be above 0 seconds")
            found[priority] = timedelta(seconds=seconds)
        missing = [p.value for p in Priority if p not in found]
        if missing:
            raise SlaError(f"no target for {', '.join(missing)}")
        return cls(MappingProxyType(found))

    def of(self, priority: Priority) -> timedelta:
        return self.by_priority[priority]


DEFAULT_TARGETS = {
    SlaClock.FIRST_RESPONSE: "urgent=120,high=300,normal=600,low=1800",
    SlaClock.NEXT_RESPONSE: "urgent=300,high=600,normal=1200,low=3600",
    SlaClock.RESOLUTION: "urgent=14400,high=28800,normal=86400,low=259200",
}
# The owner is warned when this share of a target has run, "shortly before" the breach.
DEFAULT_WARN_AT = 0.8


@dataclass(frozen=True)
class SlaPolicy:
    targets: Mapping[SlaClock, Targets]
    hours: BusinessHours
    warn_at: float = DEFAULT_WARN_AT

    @classmethod
    def default(cls) -> SlaPolicy:
        targets = {clock: Targets.parse(text) for clock, text in DEFAULT_TARGETS.items()}
        return cls(MappingProxyType(targets), BusinessHours.always())

    def target(self, clock: SlaClock, priority: Priority) -> timedelta:
        return self.targets[clock].of(priority)

    def warning_lead(self, target: timedelta) -> timedelta:
        """How much of a target runs before the owner is warned."""
        return target * self.warn_at


class Finding(enum.Enum):
    """What a look at a running clock found."""

    WARNED = "warned"
    BREACHED = "breached"
    # A first response still missing a whole target after the breach (or the last time
    # it was found so): the next level is due, or the admins at the top.
    STILL_MISSED = "still missed"


@dataclass(eq=False)
class ClockRun:
    """One run of one clock of one ticket.

    ``used`` is business time banked while the run was paused; ``running_since`` is
    when it last started running (None while paused or once stopped). ``check_at`` is
    the next instant a look can find something (the warning, then the breach); None
    when there is nothing left to find or the run is paused.
    """

    ticket_id: int
    clock: SlaClock
    started_at: datetime
    target: timedelta
    running_since: datetime | None = None
    used: timedelta = timedelta(0)
    stopped_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    check_at: datetime | None = None
    # Who owned the ticket and at what level when the run stopped or breached: figures
    # per agent and per level count the run for them.
    agent_id: int | None = None
    level: Level | None = None
    # A response run stopped by the agent's message (not by a close): only these have a
    # response time.
    answered: bool = False
    # A resolution run: who closed the ticket, and whether it came back to life later.
    closed_by: ClosedBy | None = None
    reopened: bool = False
    # A missed first response is looked at again a target later, and again, until it is
    # answered or there is nobody higher (then ``settled``).
    escalated_at: datetime | None = None
    settled: bool = False
    id: int | None = None

    @classmethod
    def start(
        cls, ticket_id: int, clock: SlaClock, now: datetime, target: timedelta, policy: SlaPolicy
    ) -> ClockRun:
        run = cls(ticket_id, clock, now, target, running_since=now)
        run._plan(policy)
        return run

    @property
    def is_running(self) -> bool:
        return self.running_since is not None

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def met(self) -> bool | None:
        """Whether the target was met: known once stopped or breached."""
        if self.breached_at is not None:
            return False
        return True if self.is_stopped else None

    def elapsed(self, now: datetime, hours: BusinessHours) -> timedelta:
        if self.running_since is None:
            return self.used
        return self.used + hours.elapsed(self.running_since, max(now, self.running_since))

    def due(self, hours: BusinessHours) -> datetime | None:
        """When the target is reached if the run keeps running; None while paused."""
        if self.running_since is None:
            return None
        return hours.add(self.running_since, max(self.target - self.used, timedelta(0)))

    def pause(self, now: datetime, policy: SlaPolicy) -> None:
        if self.running_since is None:
            return
        self.used = self.elapsed(now, policy.hours)
        self.running_since = None
        self._plan(policy)

    def resume(self, now: datetime, policy: SlaPolicy) -> None:
        if self.running_since is not None or self.is_stopped:
            return
        self.running_since = now
        self._plan(policy)

    def stop(self, now: datetime, policy: SlaPolicy) -> None:
        if self.is_stopped:
            return
        self.pause(now, policy)
        self.stopped_at = now
        if self.used > self.target and self.breached_at is None:
            # Missed between two looks (or with no job running): still a miss, once.
            self.breached_at = now
        self.check_at = None

    def retarget(self, target: timedelta, policy: SlaPolicy) -> None:
        """A new priority brings a new target; what already happened stays."""
        if self.is_stopped:
            return
        self.target = target
        self._plan(policy)

    def look(self, now: datetime, policy: SlaPolicy) -> Finding | None:
        """What is due at ``now``: the breach, else the warning, each found once; after
        a first response's breach, that it is still missing, once a target."""
        if self.is_stopped:
            return None
        if self.breached_at is not None:
            if self.check_at is None or now < self.check_at:
                return None
            self.escalated_at = now
            self._plan(policy)
            return Finding.STILL_MISSED
        elapsed = self.elapsed(now, policy.hours)
        found: Finding | None = None
        if elapsed >= self.target:
            self.breached_at = now
            found = Finding.BREACHED
        elif elapsed >= policy.warning_lead(self.target) and self.warned_at is None:
            self.warned_at = now
            found = Finding.WARNED
        self._plan(policy)
        return found

    def settle(self) -> None:
        """Nothing more to do about this miss (the ticket is at the top level)."""
        self.settled = True
        self.check_at = None

    def _plan(self, policy: SlaPolicy) -> None:
        if self.is_stopped or self.running_since is None or self.settled:
            self.check_at = None
            return
        if self.breached_at is not None:
            again = self.clock is SlaClock.FIRST_RESPONSE
            since = self.escalated_at or self.breached_at
            self.check_at = policy.hours.add(since, self.target) if again else None
            return
        lead = self.target if self.warned_at is not None else policy.warning_lead(self.target)
        left = max(lead - self.used, timedelta(0))
        self.check_at = policy.hours.add(self.running_since, left)


# What each event of a ticket does to its clocks. ``running`` is the ticket's runs not
# yet stopped; a function returns the runs it starts, for the caller to store.


def opened(ticket_id: int, priority: Priority, now: datetime, policy: SlaPolicy) -> list[ClockRun]:
    return [
        _start(ticket_id, clock, priority, now, policy)
        for clock in (SlaClock.FIRST_RESPONSE, SlaClock.RESOLUTION)
    ]


def client_wrote(
    running: list[ClockRun],
    ticket_id: int,
    priority: Priority,
    now: datetime,
    policy: SlaPolicy,
) -> list[ClockRun]:
    """The client spoke: the ticket no longer waits for them, and a message after an
    answer starts a next-response run (before the first answer, the first-response run
    already covers it; a run under way covers the messages after its own)."""
    started: list[ClockRun] = []
    clocks = {run.clock: run for run in running}
    if SlaClock.RESOLUTION in clocks:
        clocks[SlaClock.RESOLUTION].resume(now, policy)
    else:  # a reopened ticket: a new resolution run
        started.append(_start(ticket_id, SlaClock.RESOLUTION, priority, now, policy))
    if SlaClock.FIRST_RESPONSE not in clocks and SlaClock.NEXT_RESPONSE not in clocks:
        started.append(_start(ticket_id, SlaClock.NEXT_RESPONSE, priority, now, policy))
    return started


def agent_answered(running: list[ClockRun], now: datetime, policy: SlaPolicy, owner: Owner) -> None:
    """An agent's message reached the client: the response runs stop (met or not), the
    resolution run waits for the client."""
    for run in running:
        if run.clock is SlaClock.RESOLUTION:
            run.pause(now, policy)
        else:
            owner.sign(run)
            run.answered = True
            run.stop(now, policy)


def closed(
    running: list[ClockRun], now: datetime, policy: SlaPolicy, owner: Owner, by: ClosedBy
) -> None:
    """Every run stops; a response run stopped by a close was never answered."""
    for run in running:
        owner.sign(run)
        if run.clock is SlaClock.RESOLUTION:
            run.closed_by = by
        run.stop(now, policy)


def reprioritised(running: list[ClockRun], priority: Priority, policy: SlaPolicy) -> None:
    for run in running:
        run.retarget(policy.target(run.clock, priority), policy)


@dataclass(frozen=True)
class Owner:
    """Who had the ticket, and at what level, when a run ended or breached."""

    agent_id: int | None
    level: Level

    def sign(self, run: ClockRun) -> None:
        """A missed run stays with whoever had the ticket when it was missed."""
        if run.breached_at is None:
            run.agent_id, run.level = self.agent_id, self.level


def _start(
    ticket_id: int, clock: SlaClock, priority: Priority, now: datetime, policy: SlaPolicy
) -> ClockRun:
    return ClockRun.start(ticket_id, clock, now, policy.target(clock, priority), policy)
