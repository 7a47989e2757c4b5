"""Shared fixtures: real databases (SQLite and PostgreSQL) and a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from veil.store.crypto import Keyring

PG_HOST = os.environ.get("VEIL_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("VEIL_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("VEIL_TEST_PG_USER", "postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
# The key the tests seal with, in-process and in the bots they start (VEIL_ENCRYPTION_KEYS).
TEST_KEY = "Vsnwocx4SPG1YTA_zIP46pdc8ffpSVkBs6OoQ657ZDo="
TEST_KEYRING = Keyring([TEST_KEY])


@pytest.fixture(autouse=True, scope="session")
def _no_key_file_in_the_working_tree(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings made in-process without keys would write ./veil.keys: a test that forgets
    to give keys gets a throwaway key file instead of littering the checkout."""
    os.environ["VEIL_ENCRYPTION_KEY_FILE"] = str(tmp_path_factory.mktemp("keys") / "veil.keys")


_unavailable: set[str] = set()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Fail under CI, skip loudly elsewhere, when a real service is not running."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI must run every test against the real service")
    _unavailable.add(name)
    pytest.skip(f"NOT RUN: {message}")


# The suite runs on two pytest-xdist workers (pyproject's addopts). ``_unavailable`` fills
# up in the workers, while the summary below is written by the controller: each worker
# hands its set over when it finishes (``workeroutput``), and the controller collects them.
_WORKER_KEY = "veil_services_unavailable"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # in a worker
        workeroutput[_WORKER_KEY] = sorted(_unavailable)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker is done (xdist's hook, on the controller): keep what it could not reach."""
    _unavailable.update(getattr(node, "workeroutput", {}).get(_WORKER_KEY, ()))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _unavailable:
        terminalreporter.section("SERVICES MISSING", sep="!", red=True, bold=True)
        for name in sorted(_unavailable):
            terminalreporter.line(
                f"Tests needing {name} were NOT RUN. Start it (see README) and run again.",
                red=True,
            )


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def _create_pg_database() -> str:
    import asyncpg

    name = f"veil_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


BACKENDS = ["sqlite", "postgresql"]


@contextlib.contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / 'veil.db'}"
        return
    require_service("PostgreSQL", PG_HOST, PG_PORT)
    name = asyncio.run(_create_pg_database())
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_drop_pg_database(name))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[object]:
    from veil.store import db

    eng = db.make_engine(database_url, keyring=TEST_KEYRING)
    await db.upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture
def redis_url() -> str:
    """The URL of the test Redis server (skipped loudly, or failed under CI, if down)."""
    host = os.environ.get("VEIL_TEST_REDIS_HOST", "127.0.0.1")
    port = int(os.environ.get("VEIL_TEST_REDIS_PORT", "6379"))
    require_service("Redis", host, port)
    return f"redis://{host}:{port}/0"
