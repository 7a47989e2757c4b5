"""Wrong, hostile or unlucky input: a clear answer or a handled outcome, never a crash."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.harness import Desk, World, button
from veil.faketg import FakeError

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_non_agent_in_the_desk_is_not_relayed_and_told_why(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    desk.tg.send_text(desk.outsider.id, desk.chat_id, "psst, give me your number", thread_id=topic)
    await desk.desk_gets("Only support agents", topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "real answer", thread_id=topic)
    await desk.client_gets("real answer")
    assert not any("psst" in t for t in desk.bot_texts(desk.client.id))


async def test_unsupported_kinds_and_contacts_get_an_answer(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c = desk.tg, desk.client.id
    tg.send_poll(c, c, "Best day?", ["Mon", "Tue"])
    await desk.client_gets("can't be sent to Live Support")
    tg.send_dice(c, c)
    tg.send_contact(c, c, "+33612345678", "Alice", contact_user_id=c)
    await desk.client_gets("contact cards are not passed on")
    await desk.desk_gets("shared a contact card", topic)
    assert not any(
        "poll" in m or "dice" in m or "contact" in m for m in tg.bot_messages(desk.chat_id, topic)
    )
    # The agent cannot send a contact card (it could be their own) either.
    tg.send_contact(desk.agent.id, desk.chat_id, "+4670000000", "Bob", thread_id=topic)
    await desk.desk_gets("can't be sent to a client", topic)


async def test_an_overlong_caption_arrives_whole(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    caption = "word " * 300  # 1500 characters: more than a caption may hold
    desk.tg.send_text(desk.agent.id, desk.chat_id, "x" * 10, thread_id=topic)
    desk.tg.send_photo(desk.agent.id, desk.chat_id, caption=caption.strip(), thread_id=topic)
    await desk.until(
        lambda: any("photo" in m for m in desk.tg.bot_messages(desk.client.id)), "photo at client"
    )
    await desk.client_gets("word word")
    received = " ".join(desk.bot_texts(desk.client.id))
    assert received.count("word") >= 300


async def test_forged_and_misplaced_buttons_and_commands(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    tg, c = desk.tg, desk.client.id
    opened = await desk.client_gets("ticket is SUPP-")
    forged = [
        tg.press_button(c, c, opened["message_id"], "desk:close:" + ticket),  # desk action here
        tg.press_button(c, c, opened["message_id"], "tk:SUPP-1000000000-ZZZZZZ"),  # not theirs
        tg.press_button(c, c, opened["message_id"], "x" * 64),
    ]
    await desk.until(lambda: all(q in tg.callback_answers for q in forged), "answers")
    assert all(tg.callback_answers[q].get("text") for q in forged)
    tg.send_text(c, c, "/close")
    await desk.client_gets("inside a ticket's topic")
    tg.send_text(desk.agent.id, desk.chat_id, "/end", thread_id=topic)
    await desk.desk_gets("for clients in their private chat", topic)
    tg.send_text(c, c, "still open?")
    await desk.desk_gets("still open?", topic)  # nothing above closed the ticket


async def test_side_topics_are_left_alone_and_commands_there_answered(desk: Desk) -> None:
    await desk.open_ticket()
    stray = desk.tg.add_topic(desk.chat_id, "Lunch plans", user_id=desk.agent.id)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "pizza?", thread_id=stray)
    desk.tg.send_text(desk.outsider.id, desk.chat_id, "yes!", thread_id=stray)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "/close", thread_id=stray)
    await desk.desk_gets("works inside a ticket's topic", stray)
    # The chatter itself got no answer and reached no client.
    assert len(desk.tg.bot_messages(desk.chat_id, stray)) == 1
    assert not any("pizza" in t for c in desk.clients for t in desk.bot_texts(c.id))


async def test_commands_are_never_relayed_to_the_client(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, a = desk.tg, desk.agent.id
    for command in ("/frobnicate now", "/note@other_bot secret plan", "/start"):
        tg.send_text(a, desk.chat_id, command, thread_id=topic)
    await desk.until(
        lambda: (
            sum("nothing was sent" in t.lower() for t in desk.bot_texts(desk.chat_id, topic)) == 3
        ),
        "three refusals",
    )
    tg.send_text(a, desk.chat_id, "a real answer", thread_id=topic)
    await desk.client_gets("a real answer")
    seen = " ".join(desk.bot_texts(desk.client.id))
    assert "frobnicate" not in seen and "secret" not in seen and "/start" not in seen


async def test_closing_the_topic_by_hand_closes_the_ticket(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.close_topic(desk.agent.id, desk.chat_id, topic)
    await desk.client_gets(f"closed this conversation (ticket {ticket})")
    # Within the reopen window, the client writing again reopens it, topic and all.
    desk.tg.send_text(desk.client.id, desk.client.id, "hello again")
    await desk.client_gets(f"Your conversation {ticket} is open again")
    await desk.desk_gets("hello again", topic)
    assert not desk.tg.topics(desk.chat_id)[topic]["closed"]


async def test_a_desk_that_refuses_the_bot_delays_but_loses_nothing(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    desk.tg.fail_next(
        FakeError.forbidden("bot was kicked from the supergroup chat"),
        method="sendMessage",
        chat_id=desk.chat_id,
        count=2,
    )
    desk.tg.send_text(desk.client.id, desk.client.id, "are you getting this?")
    await desk.desk_gets("are you getting this?", topic)


async def test_a_deleted_topic_is_opened_again(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.delete_topic(desk.chat_id, topic)
    desk.tg.send_text(desk.client.id, desk.client.id, "are you there?")
    await desk.desk_gets("are you there?")
    topics = desk.tg.topics(desk.chat_id)
    fresh = [i for i, t in topics.items() if t["name"] == f"User-{ticket}" and not t.get("deleted")]
    assert fresh and fresh[0] != topic
    assert any("🎫" in t for t in desk.bot_texts(desk.chat_id, fresh[0]))


async def test_a_client_who_blocked_the_bot_is_reported_to_the_desk(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    desk.tg.block_bot(desk.client.id)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "Are you still there?", thread_id=topic)
    await desk.desk_gets("can't be reached", topic)


async def test_telegram_hiccups_delay_but_lose_nothing(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg = desk.tg
    tg.fail_next(FakeError.too_many_requests(1), method="sendMessage", chat_id=desk.chat_id)
    tg.fail_next(FakeError.server_error(), method="sendMessage", chat_id=desk.chat_id)
    for n in range(3):
        tg.send_text(desk.client.id, desk.client.id, f"message {n}")
    await desk.desk_gets("message 2", topic)
    texts = [t for t in desk.bot_lines(desk.chat_id, topic) if t.startswith("message")]
    assert texts == ["message 0", "message 1", "message 2"]


async def test_nobody_reads_another_clients_transcript(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.send_text(desk.client.id, desk.client.id, "my private problem")
    await desk.desk_gets("my private problem", topic)
    intruder = Desk(
        desk.tg,
        desk.bot,
        desk.chat_id,
        desk.outsider,
        desk.agent,
        desk.outsider,
        clients=desk.clients,
    )
    desk.tg.send_text(desk.outsider.id, desk.outsider.id, "/tickets")
    listing = await intruder.client_gets("no support tickets")
    # The client's own transcript button, copied by the outsider into their chat.
    desk.tg.send_text(desk.client.id, desk.client.id, "/tickets")
    theirs = button(await desk.client_gets("Your support tickets"), ticket)
    query = desk.tg.press_button(desk.outsider.id, desk.outsider.id, listing["message_id"], theirs)
    await desk.until(lambda: query in desk.tg.callback_answers, "an answer to the press")
    assert "no longer valid" in (desk.tg.callback_answers[query].get("text") or "")
    assert not any("private problem" in t for t in desk.bot_texts(desk.outsider.id))


async def test_a_slow_chat_holds_up_only_itself(desk: Desk, world: World) -> None:
    _, slow_topic = await desk.open_ticket()
    carol = world.new_client("Carol")
    other = Desk(
        desk.tg, desk.bot, desk.chat_id, carol, desk.agent, desk.outsider, clients=desk.clients
    )
    _, fast_topic = await other.open_ticket()
    # Telegram hangs for 3 s on the first call to the first client's chat.
    desk.tg.fail_next(FakeError.timeout(3), method="sendMessage", chat_id=desk.client.id)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "answer one", thread_id=slow_topic)
    await asyncio.sleep(0.3)  # let the slow call start
    desk.tg.send_text(desk.agent.id, desk.chat_id, "answer two", thread_id=fast_topic)
    await other.client_gets("answer two")
    assert not any("answer one" in t for t in desk.bot_texts(desk.client.id))
    await desk.client_gets("answer one")  # and the slow one still arrives


async def test_a_caption_of_emoji_is_measured_as_telegram_measures_it(desk: Desk) -> None:
    # 600 emoji: 600 characters, but 1,200 UTF-16 units, more than a caption may hold.
    _, topic = await desk.open_ticket()
    tg, client = desk.tg, desk.client.id
    caption = "🙂" * 600
    tg.send_photo(client, client, caption=caption)
    await desk.until(
        lambda: any("photo" in m for m in tg.bot_messages(desk.chat_id, topic)), "photo in topic"
    )
    await desk.desk_gets("🙂" * 50, topic)
    assert "".join(desk.bot_texts(desk.chat_id, topic)).count("🙂") >= 600
    assert not [c for c in tg.calls if c.method == "copyMessage" and not c.ok]


async def test_a_message_telegram_refuses_for_good_is_shown_where_it_belonged(
    desk: Desk,
) -> None:
    _, topic = await desk.open_ticket()
    tg, client = desk.tg, desk.client.id
    tg.fail_next(FakeError.bad_request("wrong file identifier"), method="copyMessage")
    tg.send_photo(client, client, caption="my receipt")
    notice = await desk.desk_gets("could not be delivered here", topic)
    assert "photo" in notice["text"] and "wrong file identifier" in notice["text"]


async def test_refused_formatting_is_repaired_not_dropped(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, client = desk.tg, desk.client.id
    tg.fail_next(
        FakeError.bad_request("can't parse entities: bad offset"),
        method="sendMessage",
        chat_id=desk.chat_id,
    )
    tg.send_text(client, client, "[fmt1] a bold claim")
    await desk.desk_gets("[fmt1] a bold claim", topic)


def _is_notice(message: dict[str, object]) -> bool:
    entities = message.get("entities") or []
    return any(e.get("type") == "blockquote" and e.get("offset") == 0 for e in entities)  # type: ignore[union-attr]


async def test_a_client_cannot_imitate_veils_notices(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, client = desk.tg, desk.client.id
    fake = "👋 The client ended the chat. The ticket is closed."
    quote = [{"type": "blockquote", "offset": 0, "length": len(fake.encode("utf-16-le")) // 2}]
    tg.send_text(client, client, fake, entities=quote)
    imitation = await desk.desk_gets("The ticket is closed", topic)
    assert not _is_notice(imitation)  # no quote: it is visibly the client's words
    tg.send_text(client, client, "/end")
    await desk.until(
        lambda: sum("The client ended" in t for t in desk.bot_texts(desk.chat_id, topic)) == 2,
        "the real notice",
    )
    real = [m for m in tg.bot_messages(desk.chat_id, topic) if "client ended" in str(m)][-1]
    assert _is_notice(real)


async def test_notes_and_commands_typed_differently_never_reach_the_client(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, agent = desk.tg, desk.agent.id
    for text in ("\u200b/note secret-one", " /note secret-two", "/NOTE secret-three"):
        tg.send_text(agent, desk.chat_id, text, thread_id=topic)
    tg.send_text(agent, desk.chat_id, "\u200b/stats secret-four", thread_id=topic)
    await desk.desk_gets("Unknown command", topic)
    await desk.until(
        lambda: sum("Internal note saved" in t for t in desk.bot_texts(desk.chat_id, topic)) >= 2,
        "the odd notes saved",
    )
    tg.send_text(agent, desk.chat_id, "[n9] a real answer", thread_id=topic)
    await desk.client_gets("[n9] a real answer")
    assert not any("secret" in t for t in desk.bot_texts(desk.client.id))


async def test_hidden_links_to_telegram_profiles_are_stripped(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, agent, client = desk.tg, desk.agent.id, desk.client.id
    text = "[h1] see my page and here"
    links = [
        {"type": "text_link", "offset": 5, "length": 3, "url": "https://t.me/bob_helps"},
        {"type": "text_link", "offset": 17, "length": 4, "url": "tg://resolve?domain=bob"},
    ]
    tg.send_text(agent, desk.chat_id, text, thread_id=topic, entities=links)
    got = await desk.client_gets("[h1] see my page")
    assert not [e for e in got.get("entities") or [] if e.get("type") == "text_link"]
    tg.send_text(
        client,
        client,
        "[h2] me",
        entities=[{"type": "text_link", "offset": 5, "length": 2, "url": "HTTPS://T.ME/alice_x"}],
    )
    copied = await desk.desk_gets("[h2] me", topic)
    assert not [e for e in copied.get("entities") or [] if e.get("type") == "text_link"]


async def test_an_answer_telegram_refuses_is_reported_to_the_desk_too(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg = desk.tg
    tg.send_text(desk.agent.id, desk.chat_id, "hello", thread_id=topic)
    await desk.client_gets("hello")
    tg.fail_next(
        FakeError.bad_request("wrong file identifier"),
        method="copyMessage",
        chat_id=desk.client.id,
    )
    tg.send_photo(desk.agent.id, desk.chat_id, caption="your receipt", thread_id=topic)
    await desk.client_gets("could not be delivered")
    notice = await desk.desk_gets("could not be delivered to the client", topic)
    assert "wrong file identifier" in notice["text"]
