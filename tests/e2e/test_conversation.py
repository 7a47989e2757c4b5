"""A client and an agent talk through the bot, every kind of message, both ways."""

from __future__ import annotations

import json

import pytest

from tests.e2e.harness import TOKEN, Desk, button

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def relayed(desk: Desk, topic: int) -> list[dict[str, object]]:
    """What the bot posted in a topic, minus the service message and the ticket card."""
    return [
        m
        for m in desk.tg.bot_messages(desk.chat_id, topic)
        if "forum_topic_created" not in m and "🎫" not in str(m.get("text", ""))
    ]


MEDIA = ["photo", "video", "audio", "document", "voice", "video_note", "animation", "sticker"]


async def test_start_shows_the_live_support_menu(desk: Desk) -> None:
    desk.tg.send_text(desk.client.id, desk.client.id, "/start")
    menu = await desk.client_gets("Live Support")
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["sup:open"]


async def test_a_ticket_opens_with_a_topic_and_card(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    card = await desk.desk_gets("🎫", topic)
    assert ticket in card["text"] and f"User-{ticket}" in card["text"]
    assert (
        "Priority: normal" in card["text"] and "Earlier tickets of this client: 0" in card["text"]
    )
    # /support while a ticket is open continues it instead of opening another.
    desk.tg.send_text(desk.client.id, desk.client.id, "/support")
    again = await desk.client_gets("already talking")
    assert ticket in again["text"]
    assert len(desk.tg.topics(desk.chat_id)) == 1


async def test_every_kind_of_client_message_reaches_the_topic(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c = desk.tg, desk.client.id
    tg.send_text(c, c, "My booking vanished")
    for kind in MEDIA:
        caption = None if kind in ("sticker", "video_note") else f"{kind} caption"
        tg.send_media(c, c, kind, caption=caption)
    tg.send_location(c, c, 48.85, 2.35)
    tg.send_venue(c, c, 48.86, 2.34, "Clinic", "1 Rue de Rivoli")
    tg.send_album(c, c, ["photo", "video", "photo"], caption="album caption")
    await desk.desk_gets("album caption", topic)
    expected = ["text", *MEDIA, "location", "venue", "photo", "video", "photo"]
    await desk.until(lambda: len(relayed(desk, topic)) >= len(expected), "every message")
    received = relayed(desk, topic)
    # Like Telegram, a venue carries a location and an animation a document: look for
    # the more specific kind first.
    order = ["animation", "venue", *MEDIA, "location", "text"]
    kinds = [next((k for k in order if k in m), "?") for m in received]
    assert kinds == expected
    assert received[1]["caption"] == "photo caption"
    assert all("forward_origin" not in m for m in received)


async def test_agent_answers_reach_the_client_as_live_support(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, a = desk.tg, desk.agent.id
    tg.send_text(a, desk.chat_id, "Hello, I'm looking into it", thread_id=topic)
    answer = await desk.client_gets("looking into it")
    assert answer["from"]["is_bot"]
    tg.send_photo(a, desk.chat_id, caption="Here is how it should look", thread_id=topic)
    tg.send_media(a, desk.chat_id, "document", caption="the manual", thread_id=topic)
    tg.send_media(a, desk.chat_id, "voice", thread_id=topic)
    await desk.client_gets("the manual")
    await desk.until(
        lambda: any("voice" in m for m in tg.bot_messages(desk.client.id)), "voice reaches client"
    )


async def test_replies_and_edits_cross_over(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c, a = desk.tg, desk.client.id, desk.agent.id
    mine = tg.send_text(c, c, "Booking for Friday at 9")
    copy = await desk.desk_gets("Friday at 9", topic)
    tg.edit_text(c, c, mine["message_id"], "Booking for Friday at 10")
    await desk.desk_gets("Friday at 10", topic)
    assert desk.tg.message(desk.chat_id, copy["message_id"])["text"] == "Booking for Friday at 10"
    # The agent replies to the client's message: the client sees a reply to their own.
    answer = tg.send_text(
        a, desk.chat_id, "Which Friday?", thread_id=topic, reply_to=copy["message_id"]
    )
    got = await desk.client_gets("Which Friday?")
    assert got["reply_to_message"]["message_id"] == mine["message_id"]
    tg.edit_text(a, desk.chat_id, answer["message_id"], "Which Friday, the 27th?")
    await desk.client_gets("the 27th")
    # ...and the client's reply to that lands as a reply in the topic.
    tg.send_text(c, c, "Yes the 27th", reply_to=got["message_id"])
    theirs = await desk.desk_gets("Yes the 27th", topic)
    assert theirs["reply_to_message"]["message_id"] == answer["message_id"]


async def test_notes_stay_in_the_desk(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg = desk.tg
    tg.send_text(desk.agent.id, desk.chat_id, "/note VIP client, be gentle", thread_id=topic)
    await desk.desk_gets("Internal note saved", topic)
    tg.send_text(desk.agent.id, desk.chat_id, "Anything else?", thread_id=topic)
    await desk.client_gets("Anything else?")
    assert not any("VIP" in t for t in desk.bot_texts(desk.client.id))


async def test_agent_closes_the_ticket(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.send_text(desk.agent.id, desk.chat_id, "/close", thread_id=topic)
    told = await desk.client_gets("closed this conversation")
    assert ticket in told["text"]
    await desk.desk_gets("Ticket closed", topic)
    await desk.until(lambda: desk.tg.topics(desk.chat_id)[topic]["closed"], "topic closed")
    # Later messages in the closed topic are not relayed, and the agent is told.
    desk.tg.send_text(desk.agent.id, desk.chat_id, "hello?", thread_id=topic)
    await desk.desk_gets("is closed", topic)
    assert not any("hello?" in t for t in desk.bot_texts(desk.client.id))


async def test_client_ends_the_chat_by_command_and_by_button(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.send_text(desk.client.id, desk.client.id, "/end")
    await desk.client_gets("Chat ended")
    await desk.desk_gets("client ended the chat", topic)
    await desk.until(lambda: desk.tg.topics(desk.chat_id)[topic]["closed"], "topic closed")
    second, _ = await desk.open_ticket()
    assert second != ticket
    opened = await desk.client_gets(f"ticket is {second}")
    end = button(opened, "End")
    desk.tg.press_button(desk.client.id, desk.client.id, opened["message_id"], end)
    await desk.client_gets(f"ticket {second} is closed")
    # The same button again (a replay) is stale: a clear answer, nothing else happens.
    query = desk.tg.press_button(desk.client.id, desk.client.id, opened["message_id"], end)
    await desk.until(lambda: query in desk.tg.callback_answers, "stale button answered")
    assert "already ended" in (desk.tg.callback_answers[query].get("text") or "")


async def test_tickets_lists_own_tickets_and_transcripts(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.send_text(desk.client.id, desk.client.id, "Where is my refund?")
    await desk.desk_gets("refund", topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "/note checked billing", thread_id=topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "It was sent today", thread_id=topic)
    await desk.client_gets("sent today")
    desk.tg.send_text(desk.client.id, desk.client.id, "/tickets")
    listing = await desk.client_gets("Your support tickets")
    assert ticket in listing["text"]
    data = listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    desk.tg.press_button(desk.client.id, desk.client.id, listing["message_id"], data)
    transcript = await desk.client_gets("Transcript of")
    assert "You: Where is my refund?" in transcript["text"]
    assert "Live Support: It was sent today" in transcript["text"]
    assert "billing" not in transcript["text"]


def _menu(desk: Desk, scope: dict[str, object], language: str = "") -> list[str]:
    commands = desk.tg.world.bots[TOKEN].commands
    return [c["command"] for c in commands.get((json.dumps(scope, sort_keys=True), language), [])]


async def test_each_audience_sees_its_own_menu_in_each_language(desk: Desk) -> None:
    clients = {"type": "all_private_chats"}
    agent = {"type": "chat", "chat_id": desk.agent.id}
    group = {"type": "chat", "chat_id": desk.chat_id}
    await desk.until(
        lambda: all(_menu(desk, s) and _menu(desk, s, "ru") for s in (clients, agent, group)),
        "the menus of clients, the agent and the desk, in English and Russian",
    )
    assert _menu(desk, clients) == ["start", "support", "end", "tickets", "help"]
    assert "online" in _menu(desk, agent) and "mine" in _menu(desk, agent)
    assert "invite_agent" not in _menu(desk, agent)  # an agent, not an admin
    assert "note" in _menu(desk, group) and "close" in _menu(desk, group)
    assert _menu(desk, clients, "ru") == _menu(desk, clients)
    descriptions = {
        c["command"]: c["description"]
        for c in desk.tg.world.bots[TOKEN].commands[(json.dumps(clients, sort_keys=True), "ru")]
    }
    assert descriptions["support"] == "Связаться с поддержкой"


async def test_help_tells_each_person_what_they_can_do(desk: Desk) -> None:
    desk.tg.send_text(desk.client.id, desk.client.id, "/help")
    said = await desk.client_gets("/support — start a conversation")
    assert "/online" not in said["text"]
    seen = len(desk.tg.bot_messages(desk.agent.id))
    desk.tg.send_text(desk.agent.id, desk.agent.id, "/help")
    await desk.until(
        lambda: any("/online" in t for t in desk.bot_texts(desk.agent.id)[seen:]),
        "the agent's help",
    )
