"""Optional enforcement of Telegram's flood limits.

Off by default so functional tests stay fast; benchmarks and fault scenarios switch it on
(`tg.limits = RateLimits()`) to see the ceiling a desk in one supergroup really has.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import FakeError


@dataclass
class RateLimits:
    """Messages a bot may send: per private chat per second, per group per minute, in all
    per second. The defaults are the figures Telegram documents. Telegram tolerates short
    bursts to one private chat, so `chat_burst` messages may go at once as long as the
    average stays at `chat_per_second`.

    Every message counts, so an album counts as its number of messages, whether sent
    with sendMediaGroup or relayed with copyMessages/forwardMessages (which count the
    messages actually sent: ids that are missing or service messages are skipped, as
    Telegram skips them). A call refused with 429 counts nothing."""

    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    global_per_second: int = 30

    def __post_init__(self) -> None:
        rate = self.chat_per_second
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError("chat_per_second must be a positive number")
        for name in ("chat_burst", "group_per_minute", "global_per_second"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1")


@dataclass
class RateLimiter:
    limits: RateLimits | None = None
    clock: Callable[[], float] = time.monotonic
    _sent: dict[tuple[str, int | None], deque[float]] = field(default_factory=dict)

    def check(self, token: str, chat_id: int, is_group: bool, count: int = 1) -> None:
        """Count `count` messages to `chat_id`, or raise 429 without counting them."""
        if self.limits is None:
            return
        now = self.clock()
        if is_group:
            window, allowed = 60.0, self.limits.group_per_minute
        else:
            allowed = self.limits.chat_burst
            window = allowed / self.limits.chat_per_second
        per_chat = self._window(token, chat_id, now, window)
        overall = self._window(token, None, now, 1.0)
        wait = max(
            _wait(per_chat, now, window, allowed, count),
            _wait(overall, now, 1.0, self.limits.global_per_second, count),
        )
        if wait > 0:
            raise FakeError.too_many_requests(max(1, math.ceil(wait)))
        for _ in range(count):
            per_chat.append(now)
            overall.append(now)

    def _window(self, token: str, chat_id: int | None, now: float, span: float) -> deque[float]:
        sent = self._sent.setdefault((token, chat_id), deque())
        while sent and sent[0] <= now - span:
            sent.popleft()
        return sent


def _wait(sent: deque[float], now: float, span: float, allowed: int, count: int) -> float:
    """Seconds until `count` more messages fit in the window."""
    excess = len(sent) + count - allowed
    if excess <= 0:
        return 0.0
    if excess > len(sent):
        return span
    return sent[excess - 1] + span - now
