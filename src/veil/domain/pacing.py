"""Telegram's flood limits as arithmetic: token buckets and the limits they are set to.

The flood gates (``veil.telegram.flood``) keep one bucket per chat and one for the whole
bot. Time is passed in as seconds on any monotonic scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


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

    def take(self, now: float, count: int = 1) -> None:
        """Take ``count`` tokens at once, going into debt if there are fewer.

        An album of ten goes out as soon as one token is there, rather than waiting for
        ten that a burst of 1 can never hold; the debt (negative tokens) is paid back at
        ``rate``, so later calls wait until it is.
        """
        if count < 1:
            raise ValueError("take at least one token")
        self._refill(now)
        self.tokens -= count


Scope = Literal["private", "group", "global"]


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits, and the buckets that keep under them.

    Every bucket has a burst of 1: Telegram counts the group limit over a sliding 60 s
    window, so a bucket that saved up B tokens would allow B + 20 in one window and earn
    429s. The margin shaves the rates so that clock skew and jitter stay under the limits
    too: at 20 a minute a full window leaves no room, and a call held up a second or two
    on its way (a busy database, a slow network) lands next to the following one. 10 %
    (18 a minute, 3.3 s apart) absorbs about 3 s of such delay; 5 % earned 3 % of calls
    a 429 in `veil bench delivery`.
    """

    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    global_per_second: float = 30.0
    margin: float = 0.10

    def __post_init__(self) -> None:
        if min(self.chat_per_second, self.group_per_minute, self.global_per_second) <= 0:
            raise ValueError("flood limits must be positive")
        if not 0 <= self.margin < 1:
            raise ValueError("the margin is a fraction in [0, 1)")

    def bucket(self, scope: Scope) -> tuple[float, float]:
        """The (rate per second, burst) of the bucket for ``scope``."""
        limit = {
            "private": self.chat_per_second,
            "group": self.group_per_minute / 60,
            "global": self.global_per_second,
        }[scope]
        return limit * (1 - self.margin), 1.0

    def new_bucket(self, scope: Scope, now: float) -> TokenBucket:
        rate, burst = self.bucket(scope)
        return TokenBucket.full(rate, burst, now)
