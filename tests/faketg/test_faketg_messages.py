"""Sending, copying, forwarding and editing through a real aiogram Bot."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MessageOriginUser,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from veil.faketg import FakeTelegram, ScenarioError

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Take", callback_data="take:1")]]
)


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == int(bot.token.split(":")[0]) == bot.id
    assert me.is_bot
    assert me.username == "veil_test_bot"
    assert me.can_read_all_group_messages


async def test_send_message_with_reply_and_keyboard(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    incoming = tg.send_text(alice, alice, "hello")
    sent = await bot.send_message(
        alice,
        "hi there",
        reply_markup=KEYBOARD,
        reply_parameters=ReplyParameters(message_id=incoming["message_id"]),
    )
    assert sent.text == "hi there"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.chat.id == alice and sent.chat.type == "private"
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "hello"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert [m["text"] for m in tg.messages(alice)] == ["hello", "hi there"]
    assert [m["text"] for m in tg.bot_messages(alice)] == ["hi there"]


async def test_reply_keyboard_is_tracked_not_returned(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Live Support")]])
    sent = await bot.send_message(alice, "Menu", reply_markup=menu)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    shown = tg.reply_keyboard(alice)
    assert shown is not None and shown["keyboard"][0][0]["text"] == "Live Support"
    await bot.send_message(alice, "bye", reply_markup=ReplyKeyboardRemove())
    assert tg.reply_keyboard(alice) is None


async def test_text_limits(bot: Bot, alice: int) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice, "   ")
    await bot.send_message(alice, "x" * 4096)


async def test_html_becomes_entities_and_bad_html_fails(
    bot: Bot, tg: FakeTelegram, alice: int
) -> None:
    sent = await bot.send_message(alice, "<b>Ticket</b> 😀 <i>open</i>", parse_mode=ParseMode.HTML)
    assert sent.text == "Ticket 😀 open"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 6),
        ("italic", 10, 4),  # the emoji counts as two UTF-16 code units
    ]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(alice, "1 <2 and 3 > 2", parse_mode=ParseMode.HTML)


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "anyone?")


async def test_copy_photo_with_new_caption_has_no_origin(
    bot: Bot, tg: FakeTelegram, alice: int, desk: int
) -> None:
    photo = tg.send_photo(alice, alice, caption="my screenshot @alice")
    copied = await bot.copy_message(
        chat_id=desk, from_chat_id=alice, message_id=photo["message_id"], caption="User-SUPP-1"
    )
    stored = tg.message(desk, copied.message_id)
    assert stored["photo"] == photo["photo"]
    assert stored["caption"] == "User-SUPP-1"
    assert "caption_entities" not in stored
    assert "forward_origin" not in stored
    assert stored["from"]["is_bot"]
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.copy_message(desk, alice, photo["message_id"], caption="c" * 1025)
    # A Premium user's caption may be longer than a bot may send: Telegram copies it as is,
    # but not with anything changed.
    long = tg.send_photo(alice, alice, caption="word " * 300)
    kept = await bot.copy_message(desk, alice, long["message_id"])
    assert tg.message(desk, kept.message_id)["caption"] == long["caption"]
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.copy_message(desk, alice, long["message_id"], reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(desk, alice, 999)


async def test_copy_text_keeps_entities(bot: Bot, tg: FakeTelegram, alice: int, desk: int) -> None:
    text = tg.send_text(alice, alice, "see https://example.com")
    copied = await bot.copy_message(desk, alice, text["message_id"])
    stored = tg.message(desk, copied.message_id)
    assert stored["text"] == text["text"]
    assert stored["entities"] == text["entities"]


async def test_forward_keeps_origin(bot: Bot, tg: FakeTelegram, alice: int, desk: int) -> None:
    text = tg.send_text(alice, alice, "who am I?")
    forwarded = await bot.forward_message(desk, alice, text["message_id"])
    assert isinstance(forwarded.forward_origin, MessageOriginUser)
    assert forwarded.forward_origin.sender_user.id == alice
    assert forwarded.forward_origin.sender_user.username == "alice"


async def test_copy_messages_keeps_album(bot: Bot, tg: FakeTelegram, alice: int, desk: int) -> None:
    album = tg.send_album(alice, alice, ["photo", "video"], caption="two things")
    ids = await bot.copy_messages(desk, alice, [m["message_id"] for m in album])
    copies = [tg.message(desk, i.message_id) for i in ids]
    groups = {c["media_group_id"] for c in copies}
    assert len(groups) == 1 and groups != {album[0]["media_group_id"]}
    assert copies[0]["caption"] == "two things"
    assert "video" in copies[1]


async def test_uploads_become_files(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    sent = await bot.send_photo(
        alice,
        BufferedInputFile(b"\x89PNG fake", filename="shot.png"),
        caption="<b>x</b>",
        parse_mode="HTML",
    )
    assert sent.photo and sent.caption == "x"
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read() == b"\x89PNG fake"
    again = await bot.send_photo(alice, sent.photo[-1].file_id)
    assert again.photo == sent.photo
    group = await bot.send_media_group(
        alice,
        [
            InputMediaPhoto(media=BufferedInputFile(b"one", filename="1.jpg"), caption="first"),
            InputMediaPhoto(media=sent.photo[0].file_id),
        ],
    )
    assert len(group) == 2 and group[0].media_group_id == group[1].media_group_id
    assert group[0].caption == "first"
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(alice, "no-such-file-id")


async def test_edit_text_and_not_modified(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    sent = await bot.send_message(alice, "waiting: 1 min", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "waiting: 2 min", chat_id=alice, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert not isinstance(edited, bool)
    assert edited.text == "waiting: 2 min" and edited.edit_date is not None
    assert tg.message(alice, sent.message_id)["text"] == "waiting: 2 min"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "waiting: 2 min", chat_id=alice, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    # Like Telegram, an edit without reply_markup drops the keyboard.
    await bot.edit_message_text("done", chat_id=alice, message_id=sent.message_id)
    assert "reply_markup" not in tg.message(alice, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice, message_id=9999)


async def test_edit_caption_markup_and_delete(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    sent = await bot.send_photo(alice, BufferedInputFile(b"p", "p.jpg"), caption="before")
    await bot.edit_message_caption(chat_id=alice, message_id=sent.message_id, caption="after")
    assert tg.message(alice, sent.message_id)["caption"] == "after"
    await bot.edit_message_reply_markup(
        chat_id=alice, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert tg.message(alice, sent.message_id)["reply_markup"] == KEYBOARD.model_dump(
        exclude_none=True
    )
    assert await bot.delete_message(alice, sent.message_id)
    assert tg.messages(alice) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice, sent.message_id)


async def test_callback_query_answer_is_recorded(bot: Bot, tg: FakeTelegram, alice: int) -> None:
    sent = await bot.send_message(alice, "rate us", reply_markup=KEYBOARD)
    query_id = tg.press_button(alice, alice, sent.message_id, "take:1")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None and query.id == query_id and query.data == "take:1"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Thanks!", show_alert=True)
    assert tg.callback_answers[query_id]["text"] == "Thanks!"
    assert tg.callback_answers[query_id]["show_alert"] is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    # A modified client can send any callback_data; check_button=True refuses that.
    forged = tg.press_button(alice, alice, sent.message_id, "admin:ban")
    assert (await bot.get_updates(timeout=0))[-1].callback_query.data == "admin:ban"  # type: ignore[union-attr]
    assert forged != query_id
    with pytest.raises(ScenarioError, match="no button"):
        tg.press_button(alice, alice, sent.message_id, "admin:ban", check_button=True)


async def test_callback_data_limit(bot: Bot, alice: int) -> None:
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="d" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice, "x", reply_markup=too_long)


async def test_other_content_kinds_validate(
    bot: Bot, tg: FakeTelegram, alice: int, desk: int
) -> None:
    items = [
        tg.send_media(alice, alice, kind)
        for kind in ("video", "audio", "document", "voice", "video_note", "animation", "sticker")
    ]
    items += [
        tg.send_location(alice, alice, 52.5, 13.4),
        tg.send_venue(alice, alice, 52.5, 13.4, "Cafe", "Main St 1"),
        tg.send_contact(alice, alice, "+15550001", "Alice", contact_user_id=alice),
        tg.send_poll(alice, alice, "Ok?", ["yes", "no"]),
        tg.send_dice(alice, alice),
    ]
    for item in items:
        copied = await bot.copy_message(desk, alice, item["message_id"])
        assert copied.message_id > 0
    updates = await bot.get_updates(timeout=0)  # aiogram parses every stored message here
    assert len(updates) == len(items)
    await bot.send_location(alice, 1.5, 2.5)
    await bot.send_venue(alice, 1.5, 2.5, "Desk", "Somewhere")
    await bot.send_contact(alice, "+1555", "Support")
    await bot.send_dice(alice)
    await bot.send_poll(alice, "How was it?", ["good", "bad"])
    await bot.send_chat_action(alice, "typing")
