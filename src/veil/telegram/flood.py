"""Flood control: may a message go to this chat now, under Telegram's limits?

The sender asks ``reserve`` before each call; on a wait it sleeps and asks again. Each
chat has a token bucket (private chat or group limit), all chats share a global one, and a
429 pauses one chat for its ``retry_after``. ``MemoryFloodGate`` serves one process;
``flood_redis.RedisFloodGate`` shares the same state between processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from veil.domain.pacing import FloodLimits, TokenBucket

# Idle chats are forgotten now and then, so a long-running bot does not remember every
# chat it ever wrote to.
SWEEP_EVERY = 60.0  # seconds


class FloodGate(Protocol):
    async def wait_time(self, chat: str, is_group: bool) -> float:
        """Seconds until one message to ``chat`` may go (0.0: now); takes nothing."""
        ...

    async def reserve(self, chat: str, is_group: bool, count: int = 1) -> float:
        """0.0 and ``count`` taken from the chat's and the global bucket if a message may
        go now; otherwise the seconds to wait, and nothing taken. Atomic per call."""
        ...

    async def pause(self, chat: str, seconds: float) -> None:
        """Telegram answered 429: nothing goes to ``chat`` for ``seconds``; a pause that
        ends sooner than the current one does not shorten it."""
        ...

    async def close(self) -> None: ...


class MemoryFloodGate:
    """Flood control for a single process.

    No method awaits between reading and changing the buckets, so within one event loop
    each call is atomic without a lock.
    """

    def __init__(
        self,
        limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or FloodLimits()
        self._clock = clock
        now = clock()
        self._global = self.limits.new_bucket("global", now)
        self._chats: dict[str, TokenBucket] = {}
        self._pauses: dict[str, float] = {}  # chat -> when its pause ends
        self._swept = now

    @property
    def tracked(self) -> int:
        """How many chats are remembered (paused or not yet refilled)."""
        return len(self._chats.keys() | self._pauses.keys())

    async def wait_time(self, chat: str, is_group: bool) -> float:
        return self._wait(chat, is_group, self._clock())

    async def reserve(self, chat: str, is_group: bool, count: int = 1) -> float:
        if count < 1:
            raise ValueError("reserve at least one message")
        now = self._clock()
        self._sweep(now)
        wait = self._wait(chat, is_group, now)
        if wait > 0:
            return wait
        self._bucket(chat, is_group, now).take(now, count)
        self._global.take(now, count)
        return 0.0

    async def pause(self, chat: str, seconds: float) -> None:
        until = self._clock() + seconds
        self._pauses[chat] = max(until, self._pauses.get(chat, until))

    async def close(self) -> None:
        self._chats.clear()
        self._pauses.clear()

    def _wait(self, chat: str, is_group: bool, now: float) -> float:
        paused = self._pauses.get(chat, now) - now
        bucket = self._chats.get(chat)
        own = bucket.wait(now) if bucket else 0.0
        return max(0.0, paused, own, self._global.wait(now))

    def _bucket(self, chat: str, is_group: bool, now: float) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            bucket = self.limits.new_bucket("group" if is_group else "private", now)
            self._chats[chat] = bucket
        return bucket

    def _sweep(self, now: float) -> None:
        # A full bucket behaves exactly like a missing one, and an ended pause like none.
        if now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        for chat, bucket in list(self._chats.items()):
            if bucket.wait(now) == 0 and bucket.tokens >= bucket.burst:
                del self._chats[chat]
        for chat, until in list(self._pauses.items()):
            if until <= now:
                del self._pauses[chat]
