"""Durations as people read them (the figures themselves: domain/figures.py)."""

from __future__ import annotations

from datetime import timedelta


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
