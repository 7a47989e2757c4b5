"""Creating, rendering and announcing messages: the one path every message takes, whether
a person or a bot sent it, so both sides look the same to the bot under test."""

from __future__ import annotations

import copy
from typing import Any

from .state import JSON, BotAccount, Chat, StoredMessage, World

# Animation comes before document: an animation message carries both, like Telegram's.
MEDIA_FIELDS = (
    "animation",
    "audio",
    "document",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
)
CONTENT_FIELDS = (
    "text",
    "entities",
    "link_preview_options",
    *MEDIA_FIELDS,
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    "contact",
    "dice",
    "poll",
    "venue",
    "location",
)


def chat_ref(chat: Chat, world: World) -> JSON:
    """The short Chat object that messages carry."""
    if chat.type == "private":
        user = world.user_object(chat.person_id or chat.id) or {"first_name": "Deleted Account"}
        ref: JSON = {"id": chat.id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                ref[key] = user[key]
        return ref
    ref = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
    if chat.is_forum:
        ref["is_forum"] = True
    return ref


def render(chat: Chat, message: StoredMessage, *, with_reply: bool = True) -> JSON:
    """The Bot API Message as it is now; a nested reply carries no reply of its own."""
    body = copy.deepcopy(message.body)
    if with_reply and message.reply_to is not None:
        target = chat.live_message(message.reply_to)
        if target is not None:
            body["reply_to_message"] = render(chat, target, with_reply=False)
    return body


def post(
    world: World,
    chat: Chat,
    *,
    sender: JSON,
    content: JSON,
    thread_id: int | None = None,
    reply_to: int | None = None,
    sender_bot: int | None = None,
    sender_user: int | None = None,
    reply_markup: JSON | None = None,
    media_group_id: str | None = None,
) -> StoredMessage:
    """Store a new message in `chat` and return it (nobody is told yet)."""
    message_id = chat.allocate_message_id()
    posted_at = world.clock()  # read once, so `date` and `posted_at` agree
    body: JSON = {
        "message_id": message_id,
        "from": dict(sender),
        "chat": chat_ref(chat, world),
        "date": int(posted_at),
    }
    in_topic = chat.is_forum and thread_id is not None
    if in_topic:
        body["message_thread_id"] = thread_id
        body["is_topic_message"] = True
    if media_group_id is not None:
        body["media_group_id"] = media_group_id
    body.update(copy.deepcopy(content))
    if reply_markup:
        body["reply_markup"] = copy.deepcopy(reply_markup)
    if (
        in_topic
        and reply_to is None
        and thread_id != message_id
        and thread_id is not None
        and chat.live_message(thread_id) is not None
    ):
        # Telegram quirk: a topic message that replies to nothing replies to the
        # topic's forum_topic_created message.
        reply_to = thread_id
    message = StoredMessage(
        body, reply_to, sender_bot=sender_bot, sender_user=sender_user, posted_at=posted_at
    )
    chat.messages[message_id] = message
    world.touch()
    return message


def publish(
    world: World, update_type: str, payload: JSON, *, exclude_bot: int | None = None
) -> None:
    """Queue an update for every bot (all bots are in every chat here) that wants it.

    The acting bot is excluded: Telegram never echoes a bot's own actions back to it."""
    for bot in world.bots.values():
        if bot.id == exclude_bot or not bot.accepts(update_type):
            continue
        _enqueue(bot, update_type, payload)
    world.touch()


def publish_message(
    world: World,
    chat: Chat,
    message: StoredMessage,
    *,
    update_type: str = "message",
    exclude_bot: int | None = None,
) -> None:
    publish(world, update_type, render(chat, message), exclude_bot=exclude_bot)


def enqueue(world: World, bot: BotAccount, update_type: str, payload: JSON) -> None:
    """Queue an update for one bot, if it wants that type."""
    if bot.accepts(update_type):
        _enqueue(bot, update_type, payload)
        world.touch()


def _enqueue(bot: BotAccount, update_type: str, payload: JSON) -> None:
    bot.updates.append({"update_id": bot.next_update_id, update_type: copy.deepcopy(payload)})
    bot.next_update_id += 1


def copy_content(world: World, body: JSON) -> JSON:
    """The content of a message, as copyMessage and forwardMessage carry it."""
    content = {key: copy.deepcopy(body[key]) for key in CONTENT_FIELDS if key in body}
    if "poll" in content:
        # A copied poll is a new poll: new id, no votes.
        poll: JSON = content["poll"]
        poll["id"] = world.new_query_id()
        poll["total_voter_count"] = 0
        for option in poll["options"]:
            option["voter_count"] = 0
    return content


def media_kind(body: JSON) -> str | None:
    for kind in MEDIA_FIELDS:
        if kind in body:
            # An animation message also has a document field for old clients.
            return "animation" if "animation" in body else kind
    return None


def new_poll(world: World, question: str, options: list[str], **extra: Any) -> JSON:
    return {
        "id": world.new_query_id(),
        "question": question,
        "options": [
            {"persistent_id": str(index), "text": text, "voter_count": 0}
            for index, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": bool(extra.get("is_anonymous", True)),
        "type": str(extra.get("type", "regular")),
        "allows_multiple_answers": bool(extra.get("allows_multiple_answers", False)),
        "allows_revoting": True,
        "members_only": False,
    }


def forward_origin(source: StoredMessage) -> JSON:
    """Where a forward says it came from: the first origin survives re-forwarding."""
    existing = source.body.get("forward_origin")
    if isinstance(existing, dict):
        return dict(existing)
    return {"type": "user", "date": source.body["date"], "sender_user": dict(source.body["from"])}
