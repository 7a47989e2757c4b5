"""The host's people, read through its own users table on real SQLite and PostgreSQL:
Veil's facts in its own tables, the host's rows never written."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEYRING, FakeClock
from tests.integration.test_store import make_ctx
from veil.config import load_settings
from veil.domain.model import Role
from veil.services import agents, scope
from veil.services.context import Sender
from veil.services.deliveries import RemoveFromDesks, SendText
from veil.services.people import ensure_user
from veil.store import db
from veil.store.host_people import HostTableUnreadable, HostUsersTable
from veil.store.uow import SqlStore

DESK = -1001000000001
ANN, BOB, CARL, DORA, ERIN = 5_000_000_001, 5_000_000_002, 5_000_000_003, 5_000_000_004, 7


@pytest.fixture
async def host_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A scheduler's database: its own users with its own roles, then Veil's tables."""
    engine = db.make_engine(database_url, keyring=TEST_KEYRING)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, telegram_id BIGINT NOT NULL UNIQUE, "
            "role VARCHAR(20) NOT NULL, lang VARCHAR(8))"
        )
        await connection.exec_driver_sql(
            f"INSERT INTO users VALUES (1, {ANN}, 'client', NULL), (2, {BOB}, 'provider', 'ru'), "
            f"(3, {CARL}, 'admin', NULL), (4, {DORA}, 'staff', NULL), "
            f"(5, {ERIN}, 'support_agent', NULL)"
        )
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


def _store(engine: AsyncEngine, clock: FakeClock) -> SqlStore:
    mapping = HostUsersTable("users", language_column="lang")
    return SqlStore(engine, clock, host_users=mapping)


async def _host_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT * FROM users ORDER BY id"))
        return [tuple(row) for row in rows]


async def test_a_provider_made_an_agent_stays_a_provider(
    host_engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = _store(host_engine, clock), make_ctx(clock)
    before = await _host_rows(host_engine)
    async with store() as uow:
        agent = await agents.make_agent(uow, ctx, BOB)
        await uow.commit()
    async with store() as uow:
        bob = await uow.users.by_telegram_id(BOB)
        assert bob is not None
        assert bob.host_role is Role.PROVIDER and bob.role is Role.SUPPORT_AGENT
        assert bob.can_answer_tickets and not bob.is_admin
        assert bob.language == "ru"  # the host keeps a language for him: it wins
        assert (await uow.agents.get(agent.agent_id)) is not None
    assert await _host_rows(host_engine) == before


async def test_the_hosts_admins_and_agents_are_staff_and_others_are_not(
    host_engine: AsyncEngine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store, ctx = _store(host_engine, clock), make_ctx(clock)
    caplog.set_level(logging.WARNING, logger="veil.store.host_people")
    for _ in range(2):  # two updates: the unknown role is logged once
        async with store() as uow:
            carl = await ensure_user(uow, ctx, Sender(CARL))
            dora = await ensure_user(uow, ctx, Sender(DORA, language="de"))
            erin = await ensure_user(uow, ctx, Sender(ERIN))
            ann = await ensure_user(uow, ctx, Sender(ANN))
            stranger = await ensure_user(uow, ctx, Sender(99))
            await uow.commit()
    assert carl.is_admin and carl.role is Role.CLIENT  # the host's admin; Veil wrote nothing
    assert erin.can_answer_tickets and not erin.is_admin
    assert dora.host_role is Role.CLIENT and not dora.can_answer_tickets
    assert dora.language == "de"  # no language in the host's row: Telegram's
    assert not ann.can_answer_tickets and stranger.host_role is None
    unknown = [r for r in caplog.records if "'staff'" in r.getMessage()]
    assert len(unknown) == 1


async def test_an_admin_the_host_demotes_loses_the_right_and_the_desk(
    host_engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = _store(host_engine, clock), make_ctx(clock)
    async with store() as uow:
        carl = await ensure_user(uow, ctx, Sender(CARL))
        agent = await agents.ensure_agent(uow, ctx, carl)
        assert agent is not None
        await uow.commit()
    async with host_engine.begin() as connection:
        await connection.execute(
            text(f"UPDATE users SET role = 'client' WHERE telegram_id = {CARL}")
        )
    async with store() as uow:
        assert await agents.retire_lapsed(uow, ctx) == [agent.alias]
        sent = list(uow.outbox.added)
        await uow.commit()
    assert RemoveFromDesks(agent.agent_id) in sent
    assert any(isinstance(d, SendText) and agent.alias in d.text for d in sent)
    async with store() as uow:
        carl = await ensure_user(uow, ctx, Sender(CARL))
        assert not carl.is_admin and await uow.agents.get(agent.agent_id) is None
    async with store() as uow:
        assert await agents.retire_lapsed(uow, ctx) == []


async def test_an_agent_by_the_hosts_role_is_not_removed_behind_its_back(
    host_engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = _store(host_engine, clock), make_ctx(clock)
    async with store() as uow:
        erin = await ensure_user(uow, ctx, Sender(ERIN))
        agent = await agents.ensure_agent(uow, ctx, erin)
        assert agent is not None
        await uow.commit()
    async with store() as uow:
        await agents.remove_agent(uow, ctx, Sender(CARL), agent.alias)
        told = [d for d in uow.outbox.added if isinstance(d, SendText)]
        await uow.commit()
    assert any("own records" in d.text for d in told)
    async with store() as uow:
        assert await uow.agents.get(agent.agent_id) is not None


async def test_a_mapping_onto_what_is_not_there_is_named_at_start(
    host_engine: AsyncEngine, clock: FakeClock
) -> None:
    for mapping in (HostUsersTable("people"), HostUsersTable("users", role_column="kind")):
        store = SqlStore(host_engine, clock, host_users=mapping)
        async with store() as uow:
            with pytest.raises(HostTableUnreadable, match="cannot read"):
                await mapping.check(uow.session)
    async with _store(host_engine, clock)() as uow:
        await HostUsersTable("users", language_column="lang").check(uow.session)


def test_the_mapping_comes_from_settings_and_refuses_nonsense() -> None:
    settings = load_settings(
        host_users_table="app.people",
        host_users_role_column="kind",
        host_roles="owner=admin, staff=support_agent",
    )
    assert settings.host_roles == {"owner": Role.ADMIN, "staff": Role.SUPPORT_AGENT}
    for bad in (
        {"host_users_table": "users; DROP TABLE users"},
        {"host_roles": "owner=boss"},
        {"host_roles": "owner"},
    ):
        with pytest.raises(Exception, match="VEIL_HOST_"):
            load_settings(**bad)


async def test_the_hosts_staff_are_staff_before_veil_has_met_them(
    host_engine: AsyncEngine, clock: FakeClock
) -> None:
    store, ctx = _store(host_engine, clock), make_ctx(clock)
    async with store.peek() as uow:  # nobody has written to the bot yet
        assert await scope.is_staff(uow, ctx, ERIN)  # support_agent in the host's table
        assert await scope.is_staff(uow, ctx, CARL)  # admin there
        assert not await scope.is_staff(uow, ctx, BOB)  # a provider
        assert not await scope.is_staff(uow, ctx, DORA)  # 'staff' means nothing to Veil
    await store.close()
