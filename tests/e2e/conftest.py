"""End-to-end fixtures: faketg in the test, ``veil run`` as a real process, both backends.

One bot process per test module and backend serves every scenario of the module, each
scenario with a client of its own, the way one bot serves many clients. Every call the
bot made is checked against the anonymity rules when the module is done.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from tests.conftest import BACKENDS, TEST_KEYRING, fresh_database
from tests.e2e.harness import (
    TOKEN,
    BotProcess,
    Desk,
    Person,
    World,
    anonymity_violations,
    bot_env,
    forget_redis_keys,
)
from tests.e2e.team import Team
from veil.faketg import FakeTelegram


@pytest.fixture(scope="module", params=BACKENDS)
def backend_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    backend_url: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> AsyncIterator[World]:
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="scheduler_test_bot", first_name="Scheduler")
    agent = Person(0, "Bob", "Lindqvist", "bob_helps")
    agent.id = tg.add_user(agent.first_name, last_name=agent.last_name, username=agent.username)
    outsider = Person(0, "Mallory", None, "mallory_x")
    outsider.id = tg.add_user(outsider.first_name, username=outsider.username)
    admin = Person(0, "Ada", None, "ada_admin")
    admin.id = tg.add_user(admin.first_name, username=admin.username)
    desk_id = tg.add_supergroup(
        "Support desk", is_forum=True, members=[agent.id, outsider.id, admin.id]
    )
    url = await tg.start()
    env = bot_env(backend_url, url, desk_id, admins=[admin.id])
    # A module may shrink durations for its scenarios (say, the offline grace period):
    # BOT_SETTINGS, or bot_settings() for values chosen as the bot starts (a free port).
    env.update(getattr(request.module, "BOT_SETTINGS", {}))
    env.update(getattr(request.module, "bot_settings", dict)())
    # Keys of its own in a shared Redis: faketg hands out the same chat ids to every
    # world, and a pause or a drained bucket left by another module must not slow this one.
    env["VEIL_REDIS_NAMESPACE"] = f"veil-e2e-{uuid.uuid4().hex[:12]}"
    # What `veil agents add` does (test_commands.py runs the command itself), done here
    # in-process: a process of its own per world would cost seconds of imports each.
    await _make_agent(backend_url, agent.id)
    bot = BotProcess(env, tmp_path_factory.mktemp("bot") / "bot.log")
    await bot.start()
    the_world = World(tg, bot, desk_id, agent, outsider, admin)
    try:
        yield the_world
    finally:
        code = await bot.stop()
        await tg.stop()
        if "VEIL_REDIS_URL" in env:
            await forget_redis_keys(env["VEIL_REDIS_URL"], env["VEIL_REDIS_NAMESPACE"])
    problems = anonymity_violations(tg, desk_id, the_world.clients, the_world.staff)
    assert not problems, "anonymity broken:\n" + "\n".join(problems[:20])
    assert code == 0, f"bot exited with {code}\n{bot.log()[-3000:]}"
    assert "Traceback" not in bot.log(), bot.log()[-5000:]


async def _make_agent(database_url: str, telegram_id: int) -> None:
    from veil.i18n import default_catalog
    from veil.services.agents import make_agent
    from veil.services.context import Context
    from veil.store import db
    from veil.store.uow import SqlStore
    from veil.system import random_suffix, utcnow

    store = SqlStore(db.make_engine(database_url, keyring=TEST_KEYRING), utcnow)
    try:
        await db.upgrade(store.engine)
        async with store() as uow:
            await make_agent(
                uow, Context(utcnow, default_catalog(), random_suffix, -1), telegram_id
            )
            await uow.commit()
    finally:
        await store.close()


@pytest.fixture
def desk(world: World, request: pytest.FixtureRequest) -> Desk:
    """The shared desk, seen from a scenario with a client of its own."""
    client = world.new_client("Alice")
    return Desk(
        world.tg,
        world.bot,
        world.desk_id,
        client,
        world.agent,
        world.outsider,
        clients=world.clients,
    )


@pytest_asyncio.fixture(loop_scope="module")
async def team(world: World) -> AsyncIterator[Team]:
    the_team = Team(world)
    yield the_team
    # Leave nobody online: the next scenario starts with an empty desk.
    for person in the_team.online:
        await the_team.say(person, "/offline", "You are offline")
