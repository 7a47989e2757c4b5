"""The bot restarts in the middle of a conversation: nothing lost, nothing doubled."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_restart_mid_conversation_loses_and_doubles_nothing(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c, a = desk.tg, desk.client.id, desk.agent.id
    for n in range(5):
        tg.send_text(c, c, f"before {n}")
    await desk.desk_gets("before 0", topic)
    assert await desk.bot.stop() == 0  # mid-stream: some of "before" may still be queued
    # While the bot is down both sides keep writing; Telegram holds the updates.
    for n in range(3):
        tg.send_text(c, c, f"during {n}")
    tg.send_text(a, desk.chat_id, "answer while you were away", thread_id=topic)
    await desk.bot.start()
    await desk.desk_gets("during 2", topic)
    await desk.client_gets("answer while you were away")
    tg.send_text(c, c, "after")
    await desk.desk_gets("after", topic)
    relayed = [
        t
        for t in desk.bot_lines(desk.chat_id, topic)
        if t.startswith(("before", "during", "after"))
    ]
    assert relayed == [
        *(f"before {n}" for n in range(5)),
        *(f"during {n}" for n in range(3)),
        "after",
    ]
    answers = [t for t in desk.bot_texts(c) if t == "answer while you were away"]
    assert len(answers) == 1
