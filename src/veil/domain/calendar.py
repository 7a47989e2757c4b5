"""Business hours: when the desk's clocks run.

A desk promises answers within its hours (``Mon-Fri 09:00-18:00`` in its time zone); a
ticket that comes in on Friday evening is not late on Saturday. The hours are a weekly
pattern of local times, so an hour of the desk is an hour on the wall clock of the
desk's town: across a change of daylight saving time a day of 09:00-18:00 is still nine
hours, and the instants it covers move. Local times that do not exist (skipped by a
change) or exist twice are resolved as ``zoneinfo`` resolves them (fold 0), which keeps
every window in order.

Instants come in and go out as aware datetimes; the arithmetic is on instants, so the
answer does not depend on the zone the caller uses.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far add() looks for the hours it needs: a pattern with one short window a week
# needs about a year for a target of a few days; longer means the pattern is a mistake.
HORIZON = timedelta(days=3 * 366)

_PART = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


class CalendarError(ValueError):
    """Business hours that cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class Window:
    """One weekday's hours: ``start`` to ``end``, local time (``end`` may be 24:00)."""

    weekday: int  # 0 = Monday
    start: timedelta  # since local midnight
    end: timedelta


@dataclass(frozen=True)
class BusinessHours:
    """The desk's weekly hours in ``zone``; no windows at all means always open."""

    zone: ZoneInfo
    windows: tuple[Window, ...] = ()

    @classmethod
    def always(cls) -> BusinessHours:
        return cls(ZoneInfo("UTC"))

    @classmethod
    def parse(cls, text: str | None, zone: str = "UTC") -> BusinessHours:
        """``Mon-Fri 09:00-18:00``; several parts with ``;`` (``Mon-Fri 09:00-18:00;
        Sat 10:00-14:00``); empty or ``always`` for a desk that never closes."""
        tz = _zone(zone)
        spec = (text or "").strip().lower()
        if spec in ("", "always", "24/7"):
            return cls(tz)
        windows: list[Window] = []
        for part in (p.strip() for p in spec.split(";")):
            windows.extend(_windows(part))
        windows.sort(key=lambda w: (w.weekday, w.start))
        for a, b in itertools.pairwise(windows):
            if a.weekday == b.weekday and b.start < a.end:
                raise CalendarError(f"business hours overlap on {DAYS[a.weekday].title()}")
        return cls(tz, tuple(windows))

    @property
    def is_always(self) -> bool:
        return not self.windows

    def spans(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open stretches between two instants, in order, clipped to them."""
        if end <= start:
            return
        if self.is_always:
            yield start, end
            return
        for opens, closes in self._windows_from(start):
            if opens >= end:
                return
            a, b = max(opens, start), min(closes, end)
            if a < b:
                yield a, b

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """How much of the time between two instants the desk was open."""
        return sum((b - a for a, b in self.spans(start, end)), timedelta(0))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant by which ``amount`` of open time has passed since ``start``."""
        if amount <= timedelta(0):
            return start
        if self.is_always:
            return start + amount
        left = amount
        for opens, closes in self._windows_from(start):
            if opens - start > HORIZON:
                break
            a = max(opens, start)
            if a >= closes:
                continue
            if closes - a >= left:
                return a + left
            left -= closes - a
        raise CalendarError("these business hours leave too little time to reach a target")

    def is_open(self, at: datetime) -> bool:
        return self.is_always or any(True for _ in self.spans(at, at + timedelta(microseconds=1)))

    def _windows_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The windows (as instants) from the local day before ``start`` onwards, without
        end: a window of the day before may still be open when ``start`` falls."""
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        while True:
            for window in self.windows:
                if window.weekday == day.weekday():
                    yield self._instant(day, window.start), self._instant(day, window.end)
            day += timedelta(days=1)

    def _instant(self, day: date, since_midnight: timedelta) -> datetime:
        whole_days, rest = divmod(since_midnight, timedelta(days=1))
        local = datetime.combine(day + timedelta(days=whole_days), time(), tzinfo=self.zone)
        local += rest  # wall-clock arithmetic: stays at the same local time of day
        return local.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"unknown time zone {name!r} (use a name like Europe/Berlin)") from exc


def _windows(part: str) -> list[Window]:
    match = _PART.match(" ".join(part.split()))
    if match is None:
        raise CalendarError(
            f"cannot read business hours {part!r}: write them like 'Mon-Fri 09:00-18:00'"
        )
    start, end = _clock(match["start"]), _clock(match["end"])
    if end <= start:
        raise CalendarError(f"business hours end before they start in {part!r}")
    return [Window(day, start, end) for day in _days(match["days"])]


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for piece in spec.split(","):
        first, _, last = piece.partition("-")
        a, b = _day(first), _day(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.extend(d for d in span if d not in days)
    return days


def _day(name: str) -> int:
    if name not in DAYS:
        raise CalendarError(f"unknown day {name!r} (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
    return DAYS.index(name)


def _clock(text: str) -> timedelta:
    hours, minutes = (int(x) for x in text.split(":"))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise CalendarError(f"{text} is not a time of day")
    return timedelta(hours=hours, minutes=minutes)
