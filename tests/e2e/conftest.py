"""End-to-end fixtures: faketg in the test, ``veil run`` as a real process, both backends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN, BotProcess, Desk, Person, anonymity_violations, bot_env
from veil.faketg import FakeTelegram


@pytest.fixture
async def desk(database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="scheduler_test_bot", first_name="Scheduler")
    client = Person(0, "Alice", "Moreau", "alice_moreau", "+33612345678")
    client.id = tg.add_user(client.first_name, last_name=client.last_name,
                            username=client.username, phone=client.phone)
    agent = Person(0, "Bob", "Lindqvist", "bob_helps")
    agent.id = tg.add_user(agent.first_name, last_name=agent.last_name, username=agent.username)
    outsider = Person(0, "Mallory", None, "mallory_x")
    outsider.id = tg.add_user(outsider.first_name, username=outsider.username)
    admin = tg.add_user("Ada", username="ada_admin")
    desk_id = tg.add_supergroup("Support desk", is_forum=True,
                                members=[agent.id, outsider.id, admin])
    url = await tg.start()
    env = bot_env(database_url, url, desk_id, admins=[admin])
    # `veil agents add` is how an operator names an agent; use it for real.
    subprocess.run([sys.executable, "-m", "veil", "agents", "add", str(agent.id)], env=env,
                   check=True, capture_output=True)
    bot = BotProcess(env, tmp_path / "bot.log")
    await bot.start()
    the_desk = Desk(tg, bot, desk_id, client, agent, outsider, clients=[client])
    try:
        yield the_desk
    finally:
        code = await bot.stop()
        await tg.stop()
    # Every scenario is also an anonymity test, over every call the bot made.
    problems = anonymity_violations(tg, desk_id, the_desk.clients, [agent])
    assert not problems, "anonymity broken:\n" + "\n".join(problems[:20])
    assert code == 0, f"bot exited with {code}\n{bot.log()[-3000:]}"
    assert "Traceback" not in bot.log(), bot.log()[-3000:]
