"""Figures about tickets: plain arithmetic over what the store hands in."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import timedelta

from veil.domain.model import Ticket


def median(durations: Iterable[timedelta]) -> timedelta | None:
    values = sorted(d.total_seconds() for d in durations)
    return timedelta(seconds=statistics.median(values)) if values else None


def first_responses(tickets: Iterable[Ticket]) -> list[timedelta]:
    return [t.first_response_at - t.created_at for t in tickets if t.first_response_at]


def resolutions(tickets: Iterable[Ticket]) -> list[timedelta]:
    return [t.closed_at - t.created_at for t in tickets if t.closed_at]


def humanise(duration: timedelta | None) -> str:
    """``3 min``, ``2 h 05 min``, ``24 h``, ``45 s``; an em dash when there is nothing
    to show."""
    if duration is None:
        return "—"
    seconds = int(duration.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes // 60} h {minutes % 60:02d} min"
