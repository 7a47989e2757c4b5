"""Rate limits and bans: how many of something a person may do in a sliding window.

A window slides: an event at ``t`` counts while ``now - t < window`` and stops counting
at ``t + window`` exactly. Over the limit, the answer says when the next one is allowed:
when the oldest of the last ``count`` events leaves the window.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


class LimitKind(enum.StrEnum):
    TICKETS_PER_DAY = "tickets_per_day"
    MESSAGES_PER_HOUR = "messages_per_hour"
    DESK_ACTIONS = "desk_actions"  # an agent's commands and buttons in the desk


@dataclass(frozen=True)
class Limit:
    kind: LimitKind
    count: int
    window: timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    resets_at: datetime | None = None  # when the next one is allowed (refused only)


ALLOWED = Verdict(True)


def held_tickets(user_id: int) -> str:
    """The counted-events key of a person's erased tickets (/forget_me): they still count
    against the daily limit, by the time they were opened."""
    return f"tickets:{user_id}"


@dataclass(frozen=True)
class Limits:
    """The settings' limits; an admin may give one person another allowance."""

    tickets_per_day: int = 5
    messages_per_hour: int = 50
    desk_actions_per_minute: int = 30

    def of(self, kind: LimitKind, allowance: int | None = None) -> Limit:
        count, window = {
            LimitKind.TICKETS_PER_DAY: (self.tickets_per_day, timedelta(days=1)),
            LimitKind.MESSAGES_PER_HOUR: (self.messages_per_hour, timedelta(hours=1)),
            LimitKind.DESK_ACTIONS: (self.desk_actions_per_minute, timedelta(minutes=1)),
        }[kind]
        return Limit(kind, count if allowance is None else allowance, window)


def judge(latest: Sequence[datetime], limit: Limit, now: datetime) -> Verdict:
    """May one more happen now, given the times of the latest events (any order, at
    least the last ``limit.count`` of them)?"""
    if limit.count <= 0:
        return Verdict(False, None)
    inside = sorted((t for t in latest if now - t < limit.window), reverse=True)
    if len(inside) < limit.count:
        return ALLOWED
    return Verdict(False, inside[limit.count - 1] + limit.window)


@dataclass(frozen=True)
class Ban:
    """A person kept from support, known to admins only by a ticket they opened."""

    user_id: int
    since: datetime
    until: datetime | None  # None: until lifted
    reason: str | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LONGEST_BAN = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d``, ``2w``; a ValueError says what is expected."""
    found = _DURATION.match(text.strip().lower())
    if found is None:
        raise ValueError("a duration is a number and a unit: 30m, 12h, 7d or 2w")
    amount, unit = int(found.group(1)), _UNITS[found.group(2)]
    duration = timedelta(**{unit: amount})
    if not timedelta(0) < duration <= LONGEST_BAN:
        raise ValueError("a duration is between 1 minute and 10 years")
    return duration
