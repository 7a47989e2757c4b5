"""copyMessage and forwardMessage (and their plural forms).

A copy carries the content and nothing about where it came from; a forward carries a
`forward_origin` naming the original sender, which is why the product must never forward
toward the desk and why tests can tell the two apart."""

from __future__ import annotations

import itertools

from .errors import FakeError
from .files import CAPTIONED_KINDS
from .markup import format_text, utf16_len
from .messages import copy_content, forward_origin, media_kind, render
from .outgoing import CAPTION_LIMIT, check_limits, markup, send_as_bot, target
from .registry import Ctx, method
from .state import JSON, Chat, StoredMessage


def _source(ctx: Ctx, missing: str, name: str = "message_id") -> tuple[Chat, StoredMessage]:
    chat = ctx.chat("from_chat_id")
    return chat, ctx.message_in(chat, name, missing)


def _copyable(message: StoredMessage, verb: str) -> None:
    if message.is_service:
        raise FakeError.bad_request(f"message can't be {verb}")


def _check_caption(ctx: Ctx, content: JSON) -> None:
    """A Premium user's caption may exceed what a bot may send. Telegram copies it as is,
    but refuses ("message caption is too long") once the copy changes anything: a new
    caption, a keyboard or a reply (tdlib/telegram-bot-api#334)."""
    changed = any(
        ctx.has(name)
        for name in ("caption", "reply_markup", "reply_parameters", "reply_to_message_id")
    )
    if changed and utf16_len(str(content.get("caption", ""))) > CAPTION_LIMIT:
        raise FakeError.bad_request("message caption is too long")


def _override_caption(ctx: Ctx, content: JSON) -> None:
    kind = media_kind(content)
    if kind not in CAPTIONED_KINDS or ctx.params.get("caption") is None:
        return
    text, entities = format_text(
        str(ctx.params["caption"]),
        ctx.params.get("parse_mode"),
        ctx.params.get("caption_entities"),
    )
    if utf16_len(text) > CAPTION_LIMIT:
        raise FakeError.bad_request("message caption is too long")
    content.pop("caption", None)
    content.pop("caption_entities", None)
    if text:
        content["caption"] = text
    if entities:
        content["caption_entities"] = entities
    if ctx.flag("show_caption_above_media"):
        content["show_caption_above_media"] = True


@method("copyMessage")
async def copy_message(ctx: Ctx) -> JSON:
    chat = ctx.writable_chat()
    _, source = _source(ctx, "message to copy not found")
    _copyable(source, "copied")
    content = copy_content(ctx.world, source.body)
    _override_caption(ctx, content)
    _check_caption(ctx, content)
    thread_id, reply_to = target(ctx, chat)
    keyboard = markup(ctx)
    check_limits(ctx, chat)
    copied = send_as_bot(
        ctx, chat, content, thread_id=thread_id, reply_to=reply_to, reply_markup=keyboard
    )
    return {"message_id": copied.message_id}


def _batch(ctx: Ctx, source_chat: Chat) -> list[StoredMessage]:
    ids = ctx.opt_list("message_ids")
    if not ids or len(ids) > 100 or not all(isinstance(i, int) for i in ids):
        raise FakeError.bad_request("message_ids must be a list of 1-100 message identifiers")
    if any(later <= earlier for earlier, later in itertools.pairwise(ids)):
        raise FakeError.bad_request("message identifiers must be in strictly increasing order")
    found = [source_chat.live_message(i) for i in ids]
    return [message for message in found if message is not None and not message.is_service]


def _relay_batch(ctx: Ctx, *, forward: bool) -> list[JSON]:
    chat = ctx.writable_chat()
    source_chat = ctx.chat("from_chat_id")
    sources = _batch(ctx, source_chat)
    if not sources:
        raise FakeError.bad_request(
            "message to forward not found" if forward else "message to copy not found"
        )
    thread_id, _ = target(ctx, chat)
    contents = [_relayed_content(ctx, source, forward) for source in sources]
    check_limits(ctx, chat, len(sources))
    groups: dict[str, str] = {}  # albums stay albums, under a new media_group_id
    result: list[JSON] = []
    for source, content in zip(sources, contents, strict=True):
        old_group = source.body.get("media_group_id")
        group = groups.setdefault(old_group, ctx.world.new_media_group_id()) if old_group else None
        sent = send_as_bot(
            ctx, chat, content, thread_id=thread_id, reply_to=None, media_group_id=group
        )
        result.append({"message_id": sent.message_id})
    return result


def _relayed_content(ctx: Ctx, source: StoredMessage, forward: bool) -> JSON:
    content = copy_content(ctx.world, source.body)
    if forward:
        content["forward_origin"] = forward_origin(source)
    elif ctx.flag("remove_caption"):
        content.pop("caption", None)
        content.pop("caption_entities", None)
    return content


@method("copyMessages")
async def copy_messages(ctx: Ctx) -> list[JSON]:
    return _relay_batch(ctx, forward=False)


@method("forwardMessages")
async def forward_messages(ctx: Ctx) -> list[JSON]:
    return _relay_batch(ctx, forward=True)


@method("forwardMessage")
async def forward_message(ctx: Ctx) -> JSON:
    chat = ctx.writable_chat()
    _, source = _source(ctx, "message to forward not found")
    _copyable(source, "forwarded")
    content = copy_content(ctx.world, source.body)
    content["forward_origin"] = forward_origin(source)
    thread_id, _ = target(ctx, chat)
    check_limits(ctx, chat)
    sent = send_as_bot(ctx, chat, content, thread_id=thread_id, reply_to=None)
    return render(chat, sent)
