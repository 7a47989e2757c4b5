"""One suite for the counted-events port, over every implementation: the database
(SQLite, PostgreSQL) and Redis; exact window edges, a restart, several processes at
once, and Redis going away and coming back mid-run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.conftest import TEST_KEYRING, fresh_database
from veil.domain.limits import Limit, LimitKind
from veil.services.ports import RateLog
from veil.store import db
from veil.store.limits import SqlRateLog
from veil.store.rate_redis import FallbackRateLog, RedisRateLog

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
THREE_A_MINUTE = Limit(LimitKind.DESK_ACTIONS, 3, timedelta(minutes=1))


@contextlib.asynccontextmanager
async def _log_on(kind: str, url: str) -> AsyncIterator[Callable[[], RateLog]]:
    """A factory of rate logs over one store: calling it again is a restart."""
    if kind == "redis":
        namespace = f"veil-rate-{uuid.uuid4().hex[:10]}"
        clients: list[aioredis.Redis] = []

        def redis_log() -> RateLog:
            clients.append(aioredis.Redis.from_url(url))
            return RedisRateLog(clients[-1], namespace)

        try:
            yield redis_log
        finally:
            for client in clients:
                async for key in client.scan_iter(f"{namespace}:*"):
                    await client.delete(key)
                await client.aclose()
        return
    engine = db.make_engine(url, keyring=TEST_KEYRING)
    await db.upgrade(engine)
    try:
        yield lambda: SqlRateLog(engine)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> Iterator[tuple[str, str]]:
    if request.param == "redis":
        yield "redis", redis_url
        return
    with fresh_database(request.param, tmp_path) as url:
        yield request.param, url


async def test_the_window_slides_to_the_microsecond(store_url: tuple[str, str]) -> None:
    async with _log_on(*store_url) as make:
        log = make()
        for seconds in (0, 10, 20):
            assert (
                await log.hit("agent:7", THREE_A_MINUTE, T0 + timedelta(seconds=seconds))
            ).allowed
        refused = await log.hit("agent:7", THREE_A_MINUTE, T0 + timedelta(seconds=30))
        assert not refused.allowed and refused.resets_at == T0 + timedelta(minutes=1)
        just_before = T0 + timedelta(minutes=1) - timedelta(microseconds=1)
        assert not (await log.hit("agent:7", THREE_A_MINUTE, just_before)).allowed
        # The first event leaves the window at exactly a minute: one more is allowed.
        assert (await log.hit("agent:7", THREE_A_MINUTE, T0 + timedelta(minutes=1))).allowed
        again = await log.hit("agent:7", THREE_A_MINUTE, T0 + timedelta(minutes=1))
        assert not again.allowed and again.resets_at == T0 + timedelta(seconds=70)


async def test_keys_are_counted_apart(store_url: tuple[str, str]) -> None:
    async with _log_on(*store_url) as make:
        log = make()
        for _ in range(3):
            assert (await log.hit("agent:1", THREE_A_MINUTE, T0)).allowed
        assert not (await log.hit("agent:1", THREE_A_MINUTE, T0)).allowed
        assert (await log.hit("agent:2", THREE_A_MINUTE, T0)).allowed


async def test_a_restart_remembers_what_was_counted(store_url: tuple[str, str]) -> None:
    async with _log_on(*store_url) as make:
        before = make()
        for _ in range(3):
            await before.hit("agent:1", THREE_A_MINUTE, T0)
        after = make()  # a new process would build a new one over the same store
        assert not (await after.hit("agent:1", THREE_A_MINUTE, T0 + timedelta(seconds=5))).allowed


HITTER = """
import asyncio, sys, time
from datetime import datetime, timedelta, UTC
import redis.asyncio as aioredis
from tests.conftest import TEST_KEYRING
from veil.domain.limits import Limit, LimitKind
from veil.store import db
from veil.store.limits import SqlRateLog
from veil.store.rate_redis import RedisRateLog

async def main(kind, url, namespace, hits, start):
    limit = Limit(LimitKind.DESK_ACTIONS, 1, timedelta(hours=1))
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    if kind == "redis":
        client = aioredis.Redis.from_url(url)
        log = RedisRateLog(client, namespace)
    else:
        engine = db.make_engine(url, keyring=TEST_KEYRING)
        log = SqlRateLog(engine)
    await log.hit("warm-up", limit, now)  # connected before the start, so both race
    await asyncio.sleep(max(0.0, start - time.time()))
    allowed = 0
    for n in range(hits):
        # Both processes go through the same keys in step: each key is a race for one.
        allowed += (await log.hit(f"agent:{n}", limit, now)).allowed
    print(allowed)

asyncio.run(main(*sys.argv[1:4], int(sys.argv[4]), float(sys.argv[5])))
"""


async def test_processes_counting_at_once_allow_exactly_the_limit(
    store_url: tuple[str, str],
) -> None:
    kind, url = store_url
    namespace = f"veil-rate-{uuid.uuid4().hex[:10]}"
    start = str(time.time() + 4)  # both start hitting at once, after their imports
    async with _log_on(kind, url):  # migrated (or, for Redis, cleaned up afterwards)
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                HITTER,
                kind,
                url,
                namespace,
                "200",
                start,
                stdout=asyncio.subprocess.PIPE,
                env=dict(os.environ),
            )
            for _ in range(2)
        ]
        outs = [await p.communicate() for p in procs]
        if kind == "redis":
            client = aioredis.Redis.from_url(url)
            async for key in client.scan_iter(f"{namespace}:*"):
                await client.delete(key)
            await client.aclose()
    assert [p.returncode for p in procs] == [0, 0]
    counts = [int(out) for out, _ in outs]
    assert sum(counts) == 200, counts  # one per key, whichever process won it


class Proxy:
    """A TCP relay to Redis that the test can cut and restore: Redis going away."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._open.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_redis_going_away_mid_run_falls_back_to_the_database_and_back(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = redis_url.removeprefix("redis://").split("/")[0].split(":")
    proxy = Proxy(host, int(port))
    await proxy.start()
    namespace = f"veil-rate-{uuid.uuid4().hex[:10]}"
    client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=2)
    with fresh_database("sqlite", tmp_path) as url:
        engine = db.make_engine(url, keyring=TEST_KEYRING)
        await db.upgrade(engine)
        health: list[bool] = []
        log = FallbackRateLog(RedisRateLog(client, namespace), SqlRateLog(engine), health.append)
        try:
            assert (await log.hit("agent:1", THREE_A_MINUTE, T0)).allowed and not log.degraded
            await proxy.cut()
            with caplog.at_level(logging.WARNING):
                for _ in range(3):  # counted in the database now, from zero: a fresh spell
                    assert (await log.hit("agent:1", THREE_A_MINUTE, T0)).allowed
                assert not (await log.hit("agent:1", THREE_A_MINUTE, T0)).allowed
            assert log.degraded
            assert caplog.text.count("counting limits in the database") == 1  # said once
            await proxy.start()  # the same port again, as a restarted Redis would be
            with caplog.at_level(logging.WARNING):
                again = await log.hit("agent:1", THREE_A_MINUTE, T0 + timedelta(seconds=1))
            assert again.allowed  # Redis again, which had counted one of three
            assert not log.degraded and "Redis answers again" in caplog.text
            assert health == [True, False]  # what the veil_limits_degraded gauge showed
        finally:
            await client.aclose()
            cleanup = aioredis.Redis.from_url(redis_url)
            async for key in cleanup.scan_iter(f"{namespace}:*"):
                await cleanup.delete(key)
            await cleanup.aclose()
            await engine.dispose()
