"""Groups, forum topics, members and the errors Telegram gives around them."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
)
from aiogram.types import (
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    Message,
)

from veil.faketg import FakeTelegram

TOPIC_COLORS = {7322096, 16766590, 13338331, 9367192, 16749490, 16478047}


async def test_forum_topic_lifecycle(bot: Bot, tg: FakeTelegram, desk: int, agent: int) -> None:
    assert desk < -1_000_000_000_000  # a 64-bit supergroup id
    topic = await bot.create_forum_topic(desk, "User-SUPP-1700000000-ab12")
    assert topic.icon_color in TOPIC_COLORS
    thread = topic.message_thread_id
    created = tg.message(desk, thread)
    assert created["forum_topic_created"]["name"] == "User-SUPP-1700000000-ab12"

    sent = await bot.send_message(desk, "ticket card", message_thread_id=thread)
    assert sent.message_thread_id == thread and sent.is_topic_message
    reply = tg.send_text(agent, desk, "hello client", thread_id=thread)
    assert reply["is_topic_message"] and reply["message_thread_id"] == thread
    # A topic message that replies to nothing replies to the topic's opening message.
    assert reply["reply_to_message"]["message_id"] == thread
    assert [m["text"] for m in tg.messages(desk, thread) if "text" in m] == [
        "ticket card",
        "hello client",
    ]
    assert tg.messages(desk, None) == []

    assert await bot.edit_forum_topic(desk, thread, name="User-SUPP-1700000000-ab12 [L2]")
    assert await bot.close_forum_topic(desk, thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(desk, thread)
    await bot.send_message(desk, "bots may still write", message_thread_id=thread)
    assert await bot.reopen_forum_topic(desk, thread)
    assert tg.topics(desk)[thread] == {
        "name": "User-SUPP-1700000000-ab12 [L2]",
        "icon_color": topic.icon_color,
        "closed": False,
        "deleted": False,
    }
    # Every stored message, service messages included, is a valid Bot API Message.
    for stored in tg.messages(desk):
        Message.model_validate(stored)
    assert await bot.delete_forum_topic(desk, thread)
    assert tg.topics(desk)[thread]["deleted"]
    assert tg.messages(desk, thread) == []


async def test_deleted_topic_says_thread_not_found(bot: Bot, tg: FakeTelegram, desk: int) -> None:
    topic = await bot.create_forum_topic(desk, "t")
    tg.delete_topic(desk, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk, "anyone?", message_thread_id=topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(desk, "anyone?", message_thread_id=12345)


async def test_a_person_creates_a_topic(bot: Bot, tg: FakeTelegram, desk: int, agent: int) -> None:
    thread = tg.add_topic(desk, "Lunch plans")
    assert tg.topics(desk)[thread]["name"] == "Lunch plans"
    tg.send_text(agent, desk, "pizza?", thread_id=thread)
    updates = await bot.get_updates(timeout=0)
    created, text = (u.message for u in updates)
    assert created is not None and created.forum_topic_created is not None
    assert created.from_user is not None and created.from_user.id == agent
    assert text is not None and text.message_thread_id == thread and text.text == "pizza?"


async def test_topic_rules(bot: Bot, tg: FakeTelegram, desk: int, alice: int) -> None:
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE"):
        await bot.create_forum_topic(desk, "n" * 129)
    plain = tg.add_supergroup("not a forum", is_forum=False)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain, "x")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(alice, "x")


async def test_blocked_and_deactivated_users(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    tg.block_bot(alice)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice, "hello?")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    tg.send_text(alice, alice, "/start")  # writing again unblocks, like "Restart"
    await bot.send_message(alice, "welcome back")
    tg.deactivate_user(alice)
    with pytest.raises(TelegramForbiddenError, match="user is deactivated"):
        await bot.send_message(alice, "hello?")


async def test_migrated_group(bot: Bot, tg: FakeTelegram, desk: int) -> None:
    new_id = tg.migrate_group(desk)
    with pytest.raises(TelegramMigrateToChat) as caught:
        await bot.send_message(desk, "hello")
    assert caught.value.migrate_to_chat_id == new_id
    updates = await bot.get_updates(timeout=0)
    assert [u.message.migrate_to_chat_id for u in updates if u.message] == [new_id, None]
    await bot.create_forum_topic(new_id, "fresh start")


async def test_get_chat_and_members(
    bot: Bot, tg: FakeTelegram, desk: int, agent: int, alice: int
) -> None:
    chat = await bot.get_chat(desk)
    assert chat.is_forum and chat.title == "Support desk" and chat.type == "supergroup"
    private = await bot.get_chat(alice)
    assert private.first_name == "Alice"
    me = await bot.get_me()
    assert isinstance(await bot.get_chat_member(desk, me.id), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(desk, agent), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(desk, alice), ChatMemberLeft)
    assert await bot.get_chat_member_count(desk) == 2
    link = await bot.create_chat_invite_link(desk, name="agents")
    assert link.invite_link.startswith("https://t.me/+")


async def test_commands(bot: Bot) -> None:
    commands = [
        BotCommand(command="start", description="Menu"),
        BotCommand(command="support", description="Live Support"),
    ]
    assert await bot.set_my_commands(commands)
    assert [c.model_dump() for c in await bot.get_my_commands()] == [
        c.model_dump() for c in commands
    ]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
