"""One suite for the flood-control port, run against the memory gate and the Redis gate.

The memory gate runs on a fake clock, so its numbers are exact; the Redis gate uses the
server's clock, so its numbers are checked with room for the time the calls themselves
take. Small rates keep the arithmetic visible and the real waits short.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from veil import redis_keys
from veil.domain.pacing import FloodLimits
from veil.telegram.flood import SWEEP_EVERY, FloodGate, MemoryFloodGate
from veil.telegram.flood_redis import RedisFloodGate
from veil.telegram.redis_conn import RedisUnavailable, connect_redis

PRIVATE, GROUP = False, True
FAST_GLOBAL = 1e6  # a global limit that never gets in the way of the test at hand


class Harness:
    """A gate implementation, another process's view of it, and the clock tests move."""

    slack = 0.0  # how much a wait may have shrunk while the test's own calls ran

    def __init__(self) -> None:
        self.gates: list[FloodGate] = []

    async def gate(self, limits: FloodLimits) -> FloodGate:
        raise NotImplementedError

    async def peer(self) -> FloodGate:
        """A gate sharing the first one's state, as a second process would."""
        raise NotImplementedError

    def now(self) -> float:
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    def assert_about(self, waited: float, expected: float) -> None:
        assert expected - self.slack - 1e-9 <= waited <= expected + 1e-9, (waited, expected)

    async def close(self) -> None:
        for gate in self.gates:
            await gate.close()


class MemoryHarness(Harness):
    def __init__(self) -> None:
        super().__init__()
        self.clock = 1000.0

    async def gate(self, limits: FloodLimits) -> FloodGate:
        self.gates.append(MemoryFloodGate(limits, clock=self.now))
        return self.gates[0]

    async def peer(self) -> FloodGate:
        return self.gates[0]  # one process: its tasks share one gate

    def now(self) -> float:
        return self.clock

    async def sleep(self, seconds: float) -> None:
        self.clock += seconds
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


class RedisHarness(Harness):
    slack = 0.05

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.namespace = f"veil-test-{uuid.uuid4().hex}"
        self.limits = FloodLimits()

    async def gate(self, limits: FloodLimits) -> FloodGate:
        self.limits = limits
        return await self._connect(decode=False)

    async def peer(self) -> FloodGate:
        return await self._connect(decode=True)  # both reply shapes are understood

    async def _connect(self, decode: bool) -> FloodGate:
        client = aioredis.Redis.from_url(self.url, decode_responses=decode)
        gate = RedisFloodGate(client, self.limits, namespace=self.namespace)
        self.gates.append(gate)
        return gate

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        client = aioredis.Redis.from_url(self.url)
        keys = [key async for key in client.scan_iter(match=f"*{self.namespace}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await super().close()


@pytest.fixture(params=["memory", "redis"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "memory":
        chosen: Harness = MemoryHarness()
    else:
        chosen = RedisHarness(request.getfixturevalue("redis_url"))
    yield chosen
    await chosen.close()


async def test_a_second_message_to_a_private_chat_waits_about_a_second(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits())
    assert await gate.reserve("user:1", PRIVATE) == 0.0
    harness.assert_about(await gate.reserve("user:1", PRIVATE), 1 / 0.9)
    harness.assert_about(await gate.wait_time("user:1", PRIVATE), 1 / 0.9)


async def test_a_group_waits_a_little_over_three_seconds_between_messages(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits())
    assert await gate.wait_time("chat:-100", GROUP) == 0.0
    assert await gate.reserve("chat:-100", GROUP) == 0.0
    harness.assert_about(await gate.wait_time("chat:-100", GROUP), 60 / 18)


async def test_different_chats_do_not_wait_for_each_other(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits(global_per_second=FAST_GLOBAL))
    for chat, is_group in [("user:1", PRIVATE), ("user:2", PRIVATE), ("chat:-100", GROUP)]:
        assert await gate.reserve(chat, is_group) == 0.0
        await harness.sleep(0.001)  # one global token back (a millionth of a second is enough)
    assert await gate.wait_time("chat:-200", GROUP) == 0.0


async def test_chats_share_the_global_bucket(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits(global_per_second=2, margin=0))
    assert await gate.reserve("user:1", PRIVATE) == 0.0
    harness.assert_about(await gate.reserve("user:2", PRIVATE), 0.5)
    harness.assert_about(await gate.wait_time("chat:-100", GROUP), 0.5)
    await harness.sleep(0.5)
    assert await gate.reserve("user:2", PRIVATE) == 0.0


async def test_a_pause_blocks_only_that_chat_for_its_seconds(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits(global_per_second=FAST_GLOBAL))
    await gate.pause("user:1", 0.3)
    harness.assert_about(await gate.wait_time("user:1", PRIVATE), 0.3)
    harness.assert_about(await gate.reserve("user:1", PRIVATE), 0.3)
    assert await gate.reserve("user:2", PRIVATE) == 0.0
    await gate.pause("user:1", 0.1)  # ends sooner: the longer pause stands
    harness.assert_about(await gate.wait_time("user:1", PRIVATE), 0.3)
    await harness.sleep(0.3)
    # The refused reserve took nothing, so the chat's bucket is full when the pause ends.
    assert await gate.reserve("user:1", PRIVATE) == 0.0


async def test_reserving_an_album_takes_debt_that_delays_later_messages(harness: Harness) -> None:
    gate = await harness.gate(
        FloodLimits(chat_per_second=10, global_per_second=FAST_GLOBAL, margin=0)
    )
    assert await gate.reserve("user:1", PRIVATE, count=5) == 0.0
    harness.assert_about(await gate.wait_time("user:1", PRIVATE), 0.5)  # 4 owed, then 1 to take
    await harness.sleep(0.2)
    harness.assert_about(await gate.reserve("user:1", PRIVATE), 0.3)
    harness.assert_about(await gate.wait_time("user:1", PRIVATE), 0.3)  # the refusal took nothing
    await harness.sleep(0.3)
    assert await gate.reserve("user:1", PRIVATE) == 0.0


async def test_an_album_puts_the_global_bucket_in_debt_too(harness: Harness) -> None:
    gate = await harness.gate(FloodLimits(chat_per_second=1e6, global_per_second=10, margin=0))
    assert await gate.reserve("user:1", PRIVATE, count=3) == 0.0
    harness.assert_about(await gate.wait_time("user:2", PRIVATE), 0.3)


async def test_two_callers_at_once_never_share_one_token(harness: Harness) -> None:
    first = await harness.gate(FloodLimits(global_per_second=FAST_GLOBAL))
    second = await harness.peer()
    for n in range(20):
        chat = f"user:{n}"
        waits = await asyncio.gather(first.reserve(chat, PRIVATE), second.reserve(chat, PRIVATE))
        assert sorted(wait == 0.0 for wait in waits) == [False, True], waits
        await harness.sleep(0.001)


async def test_callers_hammering_a_group_never_exceed_its_rate(harness: Harness) -> None:
    rate = 10.0  # 600 a minute, margin 0: the count in a second is plain to see
    limits = FloodLimits(group_per_minute=rate * 60, global_per_second=FAST_GLOBAL, margin=0)
    gates = [await harness.gate(limits), await harness.peer()]
    sent: list[float] = []
    start = harness.now()

    async def hammer(gate: FloodGate) -> None:
        while harness.now() - start < 1.0:
            wait = await gate.reserve("chat:-100", GROUP)
            if wait == 0.0:
                sent.append(harness.now())
            else:  # retry early and often, to make collisions likely
                await harness.sleep(min(wait, 0.005))

    await asyncio.gather(*(hammer(gate) for gate in gates for _ in range(3)))
    elapsed = harness.now() - start
    assert len(sent) <= 1 + rate * elapsed  # one at once (burst 1), then the rate
    assert len(sent) >= rate * elapsed / 2  # and the gate did not jam


async def test_redis_keys_expire_once_idle(redis_url: str) -> None:
    namespace = f"veil-test-{uuid.uuid4().hex}"
    client = aioredis.Redis.from_url(redis_url)
    gate = RedisFloodGate(client, FloodLimits(), namespace=namespace, owns_client=False)
    try:
        assert await gate.reserve("chat:-100", GROUP, count=3) == 0.0
        await gate.pause("user:1", 2.5)
        idle = redis_keys.FLOOD_BUCKET_IDLE_TTL
        group_refill = 3 / (20 / 60 * 0.9)  # from -2 tokens back to 1
        bucket_ttl = await client.pttl(redis_keys.flood_bucket(namespace, "chat:-100"))
        assert (idle + group_refill - 1) * 1000 < bucket_ttl <= (idle + group_refill + 1) * 1000
        global_ttl = await client.pttl(redis_keys.flood_global(namespace))
        assert 0 < global_ttl <= (idle + 1) * 1000
        pause_ttl = await client.pttl(redis_keys.flood_pause(namespace, "user:1"))
        assert 2000 < pause_ttl <= 2500
    finally:
        keys = [key async for key in client.scan_iter(match=f"*{namespace}*")]
        await client.delete(*keys)
        await client.aclose()


async def test_the_memory_gate_forgets_idle_chats() -> None:
    clock = [0.0]
    gate = MemoryFloodGate(FloodLimits(global_per_second=FAST_GLOBAL), clock=lambda: clock[0])
    for n in range(50):
        await gate.reserve(f"user:{n}", PRIVATE)
        clock[0] += 0.001
    await gate.pause("user:0", 5)
    assert gate.tracked == 50
    clock[0] += SWEEP_EVERY
    await gate.reserve("user:new", PRIVATE)
    assert gate.tracked == 1  # only the chat just written to


async def test_connect_redis_answers_with_a_client_that_pinged(redis_url: str) -> None:
    client = await connect_redis(redis_url)
    assert await client.ping()
    await client.aclose()


async def test_connect_redis_names_an_unreachable_url_without_its_password() -> None:
    with pytest.raises(RedisUnavailable) as caught:
        await connect_redis("redis://veil:s3cret@127.0.0.1:1/0")
    assert "redis://veil:***@127.0.0.1:1/0" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(RedisUnavailable, match="invalid Redis URL"):
        await connect_redis("http://127.0.0.1:6379")
