"""Bot API methods that send new content: text, media, albums, places, polls, dice."""

from __future__ import annotations

from typing import Any

from .errors import FakeError
from .files import CAPTIONED_KINDS, animation_as_document
from .messages import new_poll, render
from .outgoing import (
    caption_content,
    check_limits,
    markup,
    send_as_bot,
    target,
    text_content,
)
from .registry import Ctx, method
from .state import JSON

DICE_FACES = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}
_MEDIA_EXTRAS = ("duration", "width", "height", "performer", "title", "length", "emoji")


async def _send(ctx: Ctx, content: JSON) -> JSON:
    chat = ctx.writable_chat()
    thread_id, reply_to = target(ctx, chat)
    keyboard = markup(ctx)
    check_limits(ctx, chat)
    message = send_as_bot(
        ctx, chat, content, thread_id=thread_id, reply_to=reply_to, reply_markup=keyboard
    )
    return render(chat, message)


@method("sendMessage")
async def send_message(ctx: Ctx) -> JSON:
    return await _send(ctx, text_content(ctx))


def media_content(ctx: Ctx, kind: str, value: Any, item: JSON | None = None) -> JSON:
    """Message fields for one piece of media sent by the bot."""
    media = ctx.world.files.resolve(kind, value)
    source = item if item is not None else ctx.params
    if isinstance(media, dict):
        media = dict(media)
        media.update(
            {key: source[key] for key in _MEDIA_EXTRAS if key in source and key in _allowed(kind)}
        )
    content: JSON = {kind: media}
    if kind == "animation":
        content["document"] = animation_as_document(media)
    if kind in CAPTIONED_KINDS:
        content.update(caption_content(ctx, item))
    if source.get("has_spoiler") is True and kind in ("photo", "video", "animation"):
        content["has_media_spoiler"] = True
    return content


def _allowed(kind: str) -> tuple[str, ...]:
    return {
        "video": ("duration", "width", "height"),
        "animation": ("duration", "width", "height"),
        "audio": ("duration", "performer", "title"),
        "voice": ("duration",),
        "video_note": ("duration", "length"),
        "sticker": ("emoji",),
    }.get(kind, ())


def _media_method(name: str, kind: str) -> None:
    async def send_media(ctx: Ctx) -> JSON:
        value = ctx.params.get(kind)
        if value is None or value == "":
            raise FakeError.bad_request(f"there is no {kind} in the request")
        return await _send(ctx, media_content(ctx, kind, value))

    send_media.__name__ = f"send_{kind}"
    method(name)(send_media)


for _name, _kind in (
    ("sendPhoto", "photo"),
    ("sendVideo", "video"),
    ("sendAudio", "audio"),
    ("sendDocument", "document"),
    ("sendVoice", "voice"),
    ("sendVideoNote", "video_note"),
    ("sendAnimation", "animation"),
    ("sendSticker", "sticker"),
):
    _media_method(_name, _kind)


@method("sendMediaGroup")
async def send_media_group(ctx: Ctx) -> list[JSON]:
    items = ctx.opt_list("media")
    if not items or not 2 <= len(items) <= 10:
        raise FakeError.bad_request("media group must include 2-10 items")
    if not all(isinstance(item, dict) for item in items):
        raise FakeError.bad_request("can't parse media JSON object")
    kinds = [str(item.get("type")) for item in items]
    _check_album(kinds)
    chat = ctx.writable_chat()
    thread_id, reply_to = target(ctx, chat)
    contents = [
        media_content(ctx, kind, item.get("media"), item)
        for kind, item in zip(kinds, items, strict=True)
    ]
    check_limits(ctx, chat, len(contents))
    group = ctx.world.new_media_group_id()
    sent = [
        send_as_bot(
            ctx, chat, content, thread_id=thread_id, reply_to=reply_to, media_group_id=group
        )
        for content in contents
    ]
    return [render(chat, message) for message in sent]


def _check_album(kinds: list[str]) -> None:
    for kind in kinds:
        if kind not in ("photo", "video", "audio", "document"):
            raise FakeError.bad_request(f"unsupported media type {kind!r} in a media group")
    for only in ("document", "audio"):
        if only in kinds and set(kinds) != {only}:
            raise FakeError.bad_request(f"{only} can't be mixed with other media types")


@method("sendLocation")
async def send_location(ctx: Ctx) -> JSON:
    return await _send(ctx, {"location": _location(ctx)})


def _location(ctx: Ctx) -> JSON:
    latitude, longitude = ctx.req_float("latitude"), ctx.req_float("longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise FakeError.bad_request("wrong coordinates")
    location: JSON = {"latitude": latitude, "longitude": longitude}
    for key in ("horizontal_accuracy", "live_period", "heading"):
        if ctx.has(key):
            location[key] = ctx.params[key]
    return location


@method("sendVenue")
async def send_venue(ctx: Ctx) -> JSON:
    location = _location(ctx)
    venue: JSON = {
        "location": location,
        "title": ctx.req_str("title"),
        "address": ctx.req_str("address"),
    }
    for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        if ctx.has(key):
            venue[key] = ctx.params[key]
    return await _send(ctx, {"venue": venue, "location": location})


@method("sendContact")
async def send_contact(ctx: Ctx) -> JSON:
    contact: JSON = {
        "phone_number": ctx.req_str("phone_number"),
        "first_name": ctx.req_str("first_name"),
    }
    for key in ("last_name", "vcard"):
        if ctx.has(key):
            contact[key] = ctx.params[key]
    return await _send(ctx, {"contact": contact})


@method("sendPoll")
async def send_poll(ctx: Ctx) -> JSON:
    question = ctx.req_str("question", empty="poll question must be non-empty")
    raw = ctx.opt_list("options") or []
    options = [str(o.get("text", "")) if isinstance(o, dict) else str(o) for o in raw]
    if not 2 <= len(options) <= 12 or not all(options):
        raise FakeError.bad_request("poll must have 2-12 non-empty options")
    poll = new_poll(
        ctx.world,
        question,
        options,
        is_anonymous=ctx.params.get("is_anonymous", True),
        type=ctx.params.get("type", "regular"),
        allows_multiple_answers=ctx.flag("allows_multiple_answers"),
    )
    return await _send(ctx, {"poll": poll})


@method("sendDice")
async def send_dice(ctx: Ctx) -> JSON:
    emoji = ctx.opt_str("emoji") or "🎲"
    faces = DICE_FACES.get(emoji)
    if faces is None:
        raise FakeError.bad_request("DICE_EMOJI_INVALID")
    return await _send(
        ctx, {"dice": {"emoji": emoji, "value": ctx.world.choose(list(range(1, faces + 1)))}}
    )


@method("sendChatAction")
async def send_chat_action(ctx: Ctx) -> bool:
    chat = ctx.writable_chat()
    target(ctx, chat)
    ctx.req_str("action", empty="action is empty")
    return True


@method("getFile")
async def get_file(ctx: Ctx) -> JSON:
    stored = ctx.world.files.get(ctx.req_str("file_id"))
    if stored is None:
        raise FakeError.bad_request("wrong file_id or the file is temporarily unavailable")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }
