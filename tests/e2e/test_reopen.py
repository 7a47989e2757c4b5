"""Coming back after a close, with the bot as a real process and a 3-second reopen
window: within it the same ticket reopens with the same agent; after it a new ticket
opens, its card naming the one it follows."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.e2e.team import Team

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

WINDOW = 3.0
BOT_SETTINGS = {"VEIL_REOPEN_WINDOW_SECONDS": str(WINDOW), "VEIL_AUTOPILOT_SECONDS": "0.2"}


async def test_writing_within_the_window_reopens_the_ticket_with_its_agent(team: Team) -> None:
    agent, alias = await team.invite("L1", "Ret")
    await team.go_online(agent)
    client, desk = team.client("Back")
    ticket, topic = await desk.open_ticket()
    await desk.desk_gets(f"Assigned to {alias}", topic)
    team.tg.send_text(agent.id, desk.chat_id, "/close", thread_id=topic)
    await desk.client_gets("closed this conversation")
    await desk.until(lambda: team.tg.topics(desk.chat_id)[topic]["closed"], "the topic closed")
    team.tg.send_text(client.id, client.id, "one more thing")
    reopened = await desk.client_gets("open again")
    assert ticket in reopened["text"]
    await desk.desk_gets("The client came back", topic)
    await desk.desk_gets("one more thing", topic)
    await desk.desk_gets(f"Assigned to {alias} (reopened)", topic)
    await desk.until(lambda: not team.tg.topics(desk.chat_id)[topic]["closed"], "topic reopened")
    team.tg.send_text(agent.id, desk.chat_id, "sure, go on", thread_id=topic)
    await desk.client_gets("sure, go on")


async def test_writing_after_the_window_opens_a_new_ticket_that_follows_the_old(
    team: Team,
) -> None:
    client, desk = team.client("Later")
    old, _ = await desk.open_ticket()
    team.tg.send_text(client.id, client.id, "/end")
    await desk.client_gets("Chat ended")
    await asyncio.sleep(WINDOW + 0.5)  # the behaviour under test: the window passing
    seen = desk.client_inbox()
    team.tg.send_text(client.id, client.id, "it happened again")
    opened = await desk.client_gets("ticket is SUPP-", skip=seen)
    found = re.search(r"SUPP-\d+-[A-Z0-9]{6}", opened["text"])
    assert found is not None and found.group(0) != old
    name = f"User-{found.group(0)}"

    def new_topic() -> int | None:
        topics = team.tg.topics(desk.chat_id).items()
        return next((i for i, t in topics if t["name"] == name), None)

    await desk.until(lambda: new_topic() is not None, f"topic {name}")
    topic = new_topic()
    card = await desk.desk_gets("🎫", topic)
    assert f"Follows {old}" in card["text"]
    await desk.desk_gets("it happened again", topic)
