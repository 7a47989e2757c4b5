"""The desk's figures, defined as helpdesks define them.

Over a period ``[start, end)``:

- **response and resolution times**: the business time of SLA clock runs that ended in
  the period (domain/sla.py): first and next responses that an agent's message ended
  (a response run ended by a close was never answered and has no time), resolutions of
  every close. Median and 90th percentile, interpolated between ranks as PostgreSQL's
  ``percentile_cont`` does.
- **SLA attainment** per clock: of the runs ended in the period that count (answered or
  missed response runs, every resolution run), the share not missed.
- **closes**: by who closed — an agent (resolved), Veil after silence (auto-closed), the
  client (abandoned) — and the **reopen rate**: the share of those closes whose ticket
  came back to life later.
- **CSAT**: of the ratings given in the period, the share of 4 and 5, the average, and
  the response rate (ratings per close).

Per agent and per level, a run, a close and a rating count for the agent who owned the
ticket, at the level it was, when the run ended or the ticket closed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from veil.domain.sla import SlaClock

SATISFIED = (4, 5)


class Breakdown(enum.Enum):
    DESK = "desk"
    AGENT = "agent"
    LEVEL = "level"


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")


@dataclass(frozen=True)
class Ranks:
    """The values at the ranks a median and a 90th percentile are read from (0-based,
    in ascending order), as the store finds them without loading the rest."""

    count: int
    low50: float | None = None
    high50: float | None = None
    low90: float | None = None
    high90: float | None = None


def rank_bounds(count: int, tenths: int) -> tuple[int, int]:
    """The two ranks the ``tenths``/10 percentile lies between (integer arithmetic,
    so that SQL can compute the same)."""
    scaled = tenths * (count - 1)
    return scaled // 10, (scaled + 9) // 10


def interpolate(count: int, tenths: int, low: float, high: float) -> float:
    fraction = (tenths * (count - 1)) % 10 / 10
    return low + (high - low) * fraction


@dataclass(frozen=True)
class Spread:
    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None

    @classmethod
    def of_ranks(cls, ranks: Ranks) -> Spread:
        if ranks.count == 0 or None in (ranks.low50, ranks.high50, ranks.low90, ranks.high90):
            return cls(ranks.count)
        assert ranks.low50 is not None and ranks.high50 is not None
        assert ranks.low90 is not None and ranks.high90 is not None
        median = interpolate(ranks.count, 5, ranks.low50, ranks.high50)
        p90 = interpolate(ranks.count, 9, ranks.low90, ranks.high90)
        return cls(ranks.count, timedelta(seconds=median), timedelta(seconds=p90))

    @classmethod
    def of_values(cls, values: Sequence[float]) -> Spread:
        """The same, from all the values (the reference the store is tested against)."""
        ordered = sorted(values)
        if not ordered:
            return cls()
        n = len(ordered)
        lo50, hi50 = rank_bounds(n, 5)
        lo90, hi90 = rank_bounds(n, 9)
        return cls.of_ranks(Ranks(n, ordered[lo50], ordered[hi50], ordered[lo90], ordered[hi90]))


@dataclass(frozen=True)
class Share:
    part: int = 0
    whole: int = 0

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Figures:
    first_response: Spread = Spread()
    next_response: Spread = Spread()
    resolution: Spread = Spread()
    attainment: Mapping[SlaClock, Share] = field(default_factory=dict)
    resolved: int = 0  # closed by an agent
    auto_closed: int = 0  # closed by Veil after silence
    abandoned: int = 0  # ended by the client
    reopened: int = 0  # of those closes, how many came back later
    ratings: int = 0
    satisfied: int = 0  # rated 4 or 5
    score_total: int = 0
    opened: int = 0  # tickets opened in the period (the desk as a whole only)

    @property
    def closed(self) -> int:
        return self.resolved + self.auto_closed + self.abandoned

    @property
    def resolution_rate(self) -> Share:
        return Share(self.resolved, self.closed)

    @property
    def reopen_rate(self) -> Share:
        return Share(self.reopened, self.closed)

    @property
    def csat(self) -> Share:
        return Share(self.satisfied, self.ratings)

    @property
    def average_score(self) -> float | None:
        return self.score_total / self.ratings if self.ratings else None

    @property
    def rating_response(self) -> Share:
        return Share(self.ratings, self.closed)

    def spread(self, clock: SlaClock) -> Spread:
        return {
            SlaClock.FIRST_RESPONSE: self.first_response,
            SlaClock.NEXT_RESPONSE: self.next_response,
            SlaClock.RESOLUTION: self.resolution,
        }[clock]


# Periods as people ask for them: a keyword, a day, or a range of days (both included),
# in the desk's time zone.
_DAY = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^({_DAY})(?:\.\.({_DAY}))?$")
LONGEST_PERIOD = timedelta(days=366)


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period | None:
    """``today``, ``week`` (the last 7 days, today included; also when empty), ``month``
    (the last 30), ``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``; None when unreadable,
    backwards or longer than a year."""
    spec = text.strip().lower()
    today = now.astimezone(zone).date()
    days = {"today": 1, "": 7, "week": 7, "month": 30}
    if spec in days:
        return _days(today - timedelta(days=days[spec] - 1), today, zone)
    match = _RANGE.match(spec)
    if match is None:
        return None
    try:
        first = date.fromisoformat(match[1])
        last = date.fromisoformat(match[2]) if match[2] else first
    except ValueError:
        return None
    if last < first or last - first >= LONGEST_PERIOD:
        return None
    try:
        return _days(first, last, zone)
    except OverflowError:  # a day at the edge of the calendar (year 1 or 9999)
        return None


def _days(first: date, last: date, zone: ZoneInfo) -> Period:
    start = datetime.combine(first, time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
    return Period(start.astimezone(UTC), end.astimezone(UTC))
