"""What every sending method shares: where the message goes (chat, topic, reply), its
keyboard, text and caption rules, and posting it as the bot."""

from __future__ import annotations

from typing import Any

from .errors import FakeError
from .markup import format_text, utf16_len
from .messages import post, publish_message
from .registry import Ctx
from .state import JSON, Chat, StoredMessage

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def target(ctx: Ctx, chat: Chat) -> tuple[int | None, int | None]:
    """The topic and the replied message of a new message in `chat`, as Telegram resolves
    them: a reply into a topic lands in that topic even without message_thread_id."""
    thread_id = ctx.opt_int("message_thread_id")
    reply_to: int | None = None
    reply = _reply_parameters(ctx)
    if reply is not None:
        message_id = reply.get("message_id")
        same_chat = reply.get("chat_id") in (None, chat.id)
        found = chat.live_message(message_id) if isinstance(message_id, int) else None
        if found is not None and same_chat:
            reply_to = found.message_id
            if thread_id is None:
                thread_id = found.thread_id
        elif not reply.get("allow_sending_without_reply"):
            raise FakeError.bad_request("message to be replied not found")
    if thread_id is None or chat.type == "private":
        return None, reply_to
    if chat.is_forum:
        if chat.live_topic(thread_id) is None:
            raise FakeError.thread_not_found()
        return thread_id, reply_to
    # In a plain supergroup a thread is a comment thread rooted at a message.
    if chat.live_message(thread_id) is None:
        raise FakeError.thread_not_found()
    return None, reply_to


def _reply_parameters(ctx: Ctx) -> JSON | None:
    reply = ctx.opt_dict("reply_parameters")
    if reply is not None:
        return reply
    legacy = ctx.opt_int("reply_to_message_id")
    if legacy is None:
        return None
    return {
        "message_id": legacy,
        "allow_sending_without_reply": ctx.flag("allow_sending_without_reply"),
    }


def markup(ctx: Ctx) -> JSON | None:
    """The inline keyboard to store on the message; other keyboards are accepted but, as
    in Telegram, never show up in the returned Message."""
    value = ctx.opt_dict("reply_markup")
    if value is None:
        return None
    if "inline_keyboard" in value:
        check_inline_keyboard(value)
        return value
    if any(key in value for key in ("keyboard", "remove_keyboard", "force_reply")):
        return None
    raise FakeError.bad_request("can't parse reply keyboard markup JSON object")


def check_inline_keyboard(value: JSON) -> None:
    rows = value.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise FakeError.bad_request("can't parse inline keyboard button: field is not an array")
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise FakeError.bad_request("can't parse inline keyboard button: text is empty")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise FakeError.bad_request("text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        raise FakeError.bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
        raise FakeError.bad_request("BUTTON_URL_INVALID")


def text_content(ctx: Ctx) -> JSON:
    raw = ctx.params.get("text")
    if not isinstance(raw, str) or not raw:
        raise FakeError.bad_request("message text is empty")
    text, entities = format_text(raw, ctx.params.get("parse_mode"), ctx.params.get("entities"))
    if not text.strip():
        raise FakeError.bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise FakeError.bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    preview = ctx.opt_dict("link_preview_options")
    if preview:
        content["link_preview_options"] = preview
    return content


def caption_content(ctx: Ctx, item: JSON | None = None) -> JSON:
    """Caption fields from the call (or from one InputMedia item of an album)."""
    source = item if item is not None else ctx.params
    raw = source.get("caption")
    content: JSON = {}
    if raw is None or raw == "":
        return content
    text, entities = format_text(str(raw), source.get("parse_mode"), source.get("caption_entities"))
    if utf16_len(text) > CAPTION_LIMIT:
        raise FakeError.bad_request("message caption is too long")
    if text:
        content["caption"] = text
    if entities:
        content["caption_entities"] = entities
    if source.get("show_caption_above_media") is True:
        content["show_caption_above_media"] = True
    return content


def check_limits(ctx: Ctx, chat: Chat, count: int = 1) -> None:
    ctx.world.limiter.check(ctx.bot.token, chat.id, chat.type != "private", count)


def send_as_bot(
    ctx: Ctx,
    chat: Chat,
    content: JSON,
    *,
    thread_id: int | None,
    reply_to: int | None,
    reply_markup: JSON | None = None,
    media_group_id: str | None = None,
) -> StoredMessage:
    message = post(
        ctx.world,
        chat,
        sender=ctx.bot.user,
        content=content,
        thread_id=thread_id,
        reply_to=reply_to,
        sender_bot=ctx.bot.id,
        reply_markup=reply_markup,
        media_group_id=media_group_id,
    )
    shown = ctx.opt_dict("reply_markup") or {}
    if "keyboard" in shown:
        chat.reply_keyboard = shown
    elif shown.get("remove_keyboard"):
        chat.reply_keyboard = None
    if chat.type != "private":
        # Other bots in the group see it; the sender never gets its own message back.
        publish_message(ctx.world, chat, message, exclude_bot=ctx.bot.id)
    return message
