"""Telegram's flood limits as arithmetic: token buckets, and merging a burst of texts.

Not wired into delivery yet (issue 4 does that): these are the rules the sender will
follow. Time is passed in as seconds on any monotonic scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from veil.domain.content import TEXT_LIMIT

# Where one client message ends and the next begins, inside a merged desk message.
BOUNDARY = "\n· · ·\n"


@dataclass
class TokenBucket:
    """``rate`` calls a second on average, up to ``burst`` at once."""

    rate: float
    burst: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        return cls(rate, burst, burst, now)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a call may go (0 when it may go now); takes nothing."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1  # may go below zero if forced: the debt is paid back in time


def merge_texts(texts: Sequence[str], limit: int = TEXT_LIMIT) -> list[list[int]]:
    """Group consecutive texts into as few messages as fit ``limit`` characters each,
    joined by ``BOUNDARY``; order is kept. Returns the indices of each group.

    A text longer than the limit on its own stays alone (it is split elsewhere).
    """
    groups: list[list[int]] = []
    size = 0
    for index, text in enumerate(texts):
        joined = size + len(BOUNDARY) + len(text)
        if groups and size and joined <= limit:
            groups[-1].append(index)
            size = joined
        else:
            groups.append([index])
            size = len(text)
    return groups


def join(texts: Sequence[str]) -> str:
    return BOUNDARY.join(texts)
