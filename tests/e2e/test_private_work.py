"""An agent works a ticket from their private chat with the bot (/private, /back): the
client's messages come there, the agent's answers go from there, anonymously."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.harness import Desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_ticket_worked_from_the_private_chat_and_handed_back(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, client, agent = desk.tg, desk.client.id, desk.agent.id
    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent, skip=seen_by_agent)
    await desk.desk_gets("works this ticket from their private chat", topic)

    question = tg.send_text(client, client, "[v1] is my appointment moved?")
    got = await desk.client_gets("[v1] is my appointment moved?", desk.agent)
    assert not any("[v1]" in t for t in desk.bot_texts(desk.chat_id, topic))  # not the topic
    # The agent answers from their private chat, replying to the client's message. The bot
    # notes which message carried it just after Telegram took it; a person replies later.
    await asyncio.sleep(0.5)
    tg.send_text(agent, agent, "[w1] yes, to Friday", reply_to=got["message_id"])
    answer = await desk.client_gets("[w1] yes, to Friday")
    assert answer["reply_to_message"]["message_id"] == question["message_id"]
    assert "Bob" not in str(answer) and "bob_helps" not in str(answer)

    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, agent, "/note prefers mornings")
    await desk.client_gets("Internal note saved", desk.agent, skip=seen_by_agent)
    assert not any("prefers mornings" in t for t in desk.bot_texts(client))

    tg.send_text(agent, agent, "/back")
    await desk.client_gets(f"User-{ticket} is back in its topic", desk.agent)
    await desk.desk_gets("worked here in the topic again", topic)
    tg.send_text(client, client, "[v2] thanks!")
    await desk.desk_gets("[v2] thanks!", topic)


async def test_closing_from_the_private_chat_tells_everyone(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, agent = desk.tg, desk.agent.id
    tg.send_text(agent, desk.chat_id, "/private", thread_id=topic)
    await desk.client_gets(f"You now work User-{ticket} here", desk.agent)
    tg.send_text(agent, agent, "/close")
    await desk.client_gets(f"Ticket {ticket} is closed", desk.agent)
    await desk.client_gets("closed")  # the client is told
    await desk.desk_gets("Ticket closed", topic)
    # The chat is the agent's own again: a plain message now starts nothing for a client.
    seen_by_agent = len(tg.bot_messages(agent))
    tg.send_text(agent, agent, "[x1] anyone?")
    await desk.client_gets("", desk.agent, skip=seen_by_agent)
    assert not any("[x1]" in t for t in desk.bot_texts(desk.client.id))
