"""Changing what is already there: edits, deletions and answers to button presses."""

from __future__ import annotations

from typing import Any

from .errors import FakeError
from .files import CAPTIONED_KINDS
from .markup import format_text, utf16_len
from .messages import media_kind, publish_message, render
from .outgoing import CAPTION_LIMIT, markup, text_content
from .registry import Ctx, method
from .state import JSON, Chat, StoredMessage

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup of the "
    "message are exactly the same as a current content and reply markup of the message"
)


def _editable(ctx: Ctx) -> tuple[Chat, StoredMessage]:
    if ctx.has("inline_message_id"):
        # Inline mode is not modelled; Telegram says the same for an unknown inline id.
        raise FakeError.bad_request("message to edit not found")
    chat = ctx.chat()
    message = ctx.message_in(chat, "message_id", "message to edit not found")
    if message.sender_bot != ctx.bot.id:
        raise FakeError.bad_request("message can't be edited")
    return chat, message


def _apply(ctx: Ctx, chat: Chat, message: StoredMessage, changes: dict[str, Any]) -> JSON:
    """Set (or, for None, remove) fields; refuse an edit that changes nothing."""
    body = message.body
    if all(body.get(key) == value for key, value in changes.items()):
        raise FakeError.bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    body["edit_date"] = ctx.world.now()
    ctx.world.touch()
    if chat.type != "private":
        publish_message(
            ctx.world, chat, message, update_type="edited_message", exclude_bot=ctx.bot.id
        )
    return render(chat, message)


@method("editMessageText")
async def edit_message_text(ctx: Ctx) -> JSON:
    chat, message = _editable(ctx)
    if "text" not in message.body:
        raise FakeError.bad_request("there is no text in the message to edit")
    content = text_content(ctx)  # the same checks as sending a text
    # Leaving reply_markup out removes the keyboard, exactly as Telegram does.
    changes = {
        "text": content["text"],
        "entities": content.get("entities"),
        "reply_markup": markup(ctx),
    }
    return _apply(ctx, chat, message, changes)


@method("editMessageCaption")
async def edit_message_caption(ctx: Ctx) -> JSON:
    chat, message = _editable(ctx)
    if media_kind(message.body) not in CAPTIONED_KINDS:
        raise FakeError.bad_request("there is no caption in the message to edit")
    text, entities = format_text(
        str(ctx.params.get("caption") or ""),
        ctx.params.get("parse_mode"),
        ctx.params.get("caption_entities"),
    )
    if utf16_len(text) > CAPTION_LIMIT:
        raise FakeError.bad_request("message caption is too long")
    changes = {
        "caption": text or None,
        "caption_entities": entities or None,
        "reply_markup": markup(ctx),
    }
    return _apply(ctx, chat, message, changes)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: Ctx) -> JSON:
    chat, message = _editable(ctx)
    return _apply(ctx, chat, message, {"reply_markup": markup(ctx)})


@method("deleteMessage")
async def delete_message(ctx: Ctx) -> bool:
    chat = ctx.chat()
    message = ctx.message_in(chat, "message_id", "message to delete not found")
    message.deleted = True
    ctx.world.touch()
    return True


@method("deleteMessages")
async def delete_messages(ctx: Ctx) -> bool:
    chat = ctx.chat()
    ids = ctx.opt_list("message_ids") or []
    found = [chat.live_message(i) for i in ids if isinstance(i, int)]
    live = [message for message in found if message is not None]
    if not live:
        raise FakeError.bad_request("message to delete not found")
    for message in live:
        message.deleted = True
    ctx.world.touch()
    return True


@method("answerCallbackQuery")
async def answer_callback_query(ctx: Ctx) -> bool:
    query_id = ctx.req_str("callback_query_id")
    query = ctx.world.callbacks.get(query_id)
    if query is None or query.answered:
        raise FakeError.bad_request(
            "query is too old and response timeout expired or query ID is invalid"
        )
    text = ctx.opt_str("text")
    if text is not None and len(text) > 200:
        raise FakeError.bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    ctx.world.callback_answers[query_id] = dict(ctx.params)
    ctx.world.touch()
    return True
