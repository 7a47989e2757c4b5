"""Wrong, hostile or unlucky input: a clear answer or a handled outcome, never a crash."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Desk
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


async def test_a_message_in_an_unknown_topic_is_answered(desk: Desk) -> None:
    await desk.open_ticket()
    stray = desk.tg.add_topic(desk.chat_id, "Lunch plans", user_id=desk.agent.id)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "pizza?", thread_id=stray)
    await desk.desk_gets("not linked to any ticket", stray)


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
    texts = [t for t in desk.bot_texts(desk.chat_id, topic) if t.startswith("message")]
    assert texts == ["message 0", "message 1", "message 2"]
