"""kill -9 at any moment: everything Telegram handed over, or the bot accepted, arrives.

Updates are confirmed to Telegram only after their effects committed, so a killed bot
gets them again and skips the ones it finished (update_id). Deliveries live in the
outbox; a row the dead process was sending is held by a lease, then sent again. That is
the one duplicate a crash can cause: per conversation (a private chat, a ticket's
topic), the message that was in flight.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal

import pytest

from tests.e2e.harness import Desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

# A dead process's claims run out quickly here, so the scenario does not wait long.
BOT_SETTINGS = {"VEIL_SENDER_LEASE_SECONDS": "2"}
ROUNDS = 4
EACH = 12


def tags_in(texts: list[str], prefix: str) -> list[str]:
    return [tag for text in texts for tag in re.findall(rf"\[{prefix}\d+\]", text)]


def first_seen(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


async def test_kill_9_mid_conversation_loses_nothing(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, client, agent = desk.tg, desk.client.id, desk.agent.id
    rng = random.Random(9)
    client_tags: list[str] = []
    agent_tags: list[str] = []
    for round_ in range(ROUNDS):
        for n in range(EACH):
            tag = f"[k{round_ * EACH + n}]"
            client_tags.append(tag)
            tg.send_text(client, client, f"{tag} client line")
            if n % 3 == 0:
                answer = f"[ka{round_ * EACH + n}]"
                agent_tags.append(answer)
                tg.send_text(agent, desk.chat_id, f"{answer} agent line", thread_id=topic)
        # Somewhere while the bot takes updates in, records and sends them.
        await asyncio.sleep(rng.uniform(0.05, 0.8))
        assert await desk.bot.stop(signal.SIGKILL) == -signal.SIGKILL
        await desk.bot.start()

    def desk_tags() -> list[str]:
        return tags_in(desk.bot_texts(desk.chat_id, topic), "k")

    def client_side() -> list[str]:
        return tags_in(desk.bot_texts(client), "ka")

    await desk.until(lambda: set(desk_tags()) == set(client_tags), "every client line")
    await desk.until(lambda: set(client_side()) == set(agent_tags), "every agent line")
    await asyncio.sleep(1.0)  # a late duplicate would show up now
    # Nothing lost, order kept...
    assert first_seen(desk_tags()) == client_tags
    assert first_seen(client_side()) == agent_tags
    # ...and at most the message in flight repeated, per conversation and crash.
    assert len(desk_tags()) - len(client_tags) <= ROUNDS
    assert len(client_side()) - len(agent_tags) <= ROUNDS
