"""Counted events in Redis: one sorted set per key, checked and added in one Lua script,
so that every process sees the same count (``veil.store.limits.SqlRateLog`` is the same
port on the database, and what is used while Redis is down)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from veil import redis_keys
from veil.domain.limits import Limit, Verdict
from veil.services.ports import RateLog

log = logging.getLogger(__name__)

# KEYS: the key's sorted set. ARGV: now, window (whole microseconds: exact in a double,
# unlike seconds with a fraction), count, a unique member.
# Returns {1} when counted, {0, the time the next one is allowed, as a string} when not.
_SCRIPT = """
local now, window, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < count then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1}
end
local nth = redis.call('ZREVRANGE', KEYS[1], count - 1, count - 1, 'WITHSCORES')
return {0, string.format('%d', tonumber(nth[2]) + window)}
"""


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


class RedisRateLog:
    def __init__(self, client: aioredis.Redis, namespace: str = "veil") -> None:
        self._redis = client
        self._namespace = namespace
        self._script = client.register_script(_SCRIPT)

    async def hit(self, key: str, limit: Limit, now: datetime) -> Verdict:
        window = _micros(limit.window)
        reply = await self._script(
            keys=[redis_keys.rate_events(self._namespace, key)],
            args=[_micros(now - EPOCH), window, limit.count, uuid.uuid4().hex],
        )
        if int(reply[0]) == 1:
            return Verdict(True)
        return Verdict(False, EPOCH + timedelta(microseconds=int(reply[1])))


class FallbackRateLog:
    """Redis while it answers, the database while it does not, and a log line (and the
    ``degraded`` flag the health check reads) when it changes."""

    def __init__(
        self,
        primary: RateLog,
        fallback: RateLog,
        on_change: Callable[[bool], None] = lambda degraded: None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._on_change = on_change
        self.degraded = False

    async def hit(self, key: str, limit: Limit, now: datetime) -> Verdict:
        try:
            verdict = await self._primary.hit(key, limit, now)
        except (RedisError, OSError) as exc:
            if not self.degraded:
                log.warning("Redis is not answering (%s): counting limits in the database", exc)
                self._set(True)
            return await self._fallback.hit(key, limit, now)
        if self.degraded:
            log.warning("Redis answers again: counting limits there")
            self._set(False)
        return verdict

    def _set(self, degraded: bool) -> None:
        self.degraded = degraded
        self._on_change(degraded)
