"""Flood control shared by every process of the bot, in Redis.

One Lua script does the whole decision (chat bucket, global bucket, pause) atomically,
with Redis ``TIME`` as the clock, so processes whose clocks disagree still agree on the
buckets. Its arithmetic mirrors ``veil.domain.pacing.TokenBucket``; the port tests run
the same behaviours against both gates.
"""

from __future__ import annotations

import math

import redis.asyncio as aioredis

from veil import redis_keys
from veil.domain.pacing import FloodLimits

_IDLE_TTL_MS = math.ceil(redis_keys.FLOOD_BUCKET_IDLE_TTL * 1000)

# KEYS: chat bucket, global bucket, pause.
# ARGV: op ("wait" | "reserve" | "pause"), count (or the pause in ms),
#       chat rate, chat burst, global rate, global burst, idle TTL in ms.
# Numbers go back as strings: Redis truncates Lua numbers returned as replies to integers.
_SCRIPT = """
local op, amount = ARGV[1], tonumber(ARGV[2])

if op == 'pause' then
  -- PTTL is -2 when there is no pause: any pause then lasts longer.
  if redis.call('PTTL', KEYS[3]) < amount then
    redis.call('SET', KEYS[3], '1', 'PX', amount)
  end
  return '0'
end

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000

local function level(key, rate, burst)
  local saved = redis.call('HMGET', key, 'tokens', 'updated')
  local tokens, updated = tonumber(saved[1]), tonumber(saved[2])
  if not tokens then return burst, now end
  if now > updated then  -- a clock stepped back refills nothing
    tokens = math.min(burst, tokens + (now - updated) * rate)
    updated = now
  end
  return tokens, updated
end

local function wait(tokens, rate)
  if tokens >= 1 then return 0 end
  return (1 - tokens) / rate
end

local function save(key, tokens, updated, rate, burst)
  -- %.17g: tostring keeps 14 digits, too few for microseconds since 1970.
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens),
             'updated', string.format('%.17g', updated))
  -- Gone once idle: after refilling, a missing bucket is the same as a full one.
  local refill_ms = math.ceil(math.max(0, burst - tokens) / rate * 1000)
  redis.call('PEXPIRE', key, refill_ms + tonumber(ARGV[7]))
end

local chat_rate, chat_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local all_rate, all_burst = tonumber(ARGV[5]), tonumber(ARGV[6])
local chat_tokens, chat_updated = level(KEYS[1], chat_rate, chat_burst)
local all_tokens, all_updated = level(KEYS[2], all_rate, all_burst)
local paused = math.max(0, redis.call('PTTL', KEYS[3])) / 1000
local delay = math.max(paused, wait(chat_tokens, chat_rate), wait(all_tokens, all_rate))

if op == 'reserve' and delay == 0 then
  save(KEYS[1], chat_tokens - amount, chat_updated, chat_rate, chat_burst)
  save(KEYS[2], all_tokens - amount, all_updated, all_rate, all_burst)
end
return string.format('%.17g', delay)
"""


class RedisFloodGate:
    """Flood control shared through Redis; see ``veil.telegram.flood.FloodGate``.

    ``close`` closes the client unless ``owns_client`` is false (a client shared with
    other parts of the bot is closed by whoever made it).
    """

    def __init__(
        self,
        redis_client: aioredis.Redis,
        limits: FloodLimits | None = None,
        namespace: str = "veil",
        *,
        owns_client: bool = True,
    ) -> None:
        self.limits = limits or FloodLimits()
        self.namespace = namespace
        self._redis = redis_client
        self._owns_client = owns_client
        # EVALSHA each call; redis-py loads the script again if the server forgot it.
        self._script = redis_client.register_script(_SCRIPT)

    async def wait_time(self, chat: str, is_group: bool) -> float:
        return await self._run("wait", chat, is_group, 0)

    async def reserve(self, chat: str, is_group: bool, count: int = 1) -> float:
        if count < 1:
            raise ValueError("reserve at least one message")
        return await self._run("reserve", chat, is_group, count)

    async def pause(self, chat: str, seconds: float) -> None:
        milliseconds = math.ceil(seconds * 1000)
        if milliseconds > 0:  # SET ... PX 0 is an error, and a zero pause is none
            await self._run("pause", chat, False, milliseconds)

    async def close(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    async def _run(self, op: str, chat: str, is_group: bool, amount: int) -> float:
        chat_rate, chat_burst = self.limits.bucket("group" if is_group else "private")
        all_rate, all_burst = self.limits.bucket("global")
        keys = [
            redis_keys.flood_bucket(self.namespace, chat),
            redis_keys.flood_global(self.namespace),
            redis_keys.flood_pause(self.namespace, chat),
        ]
        args: list[str | int | float] = [
            op,
            amount,
            chat_rate,
            chat_burst,
            all_rate,
            all_burst,
            _IDLE_TTL_MS,
        ]
        reply = await self._script(keys=keys, args=args)
        return float(reply)  # bytes or str, depending on the client's decode_responses
