"""aiogram objects in, plain service inputs out."""

from __future__ import annotations

from aiogram.types import Message, User

from veil.services.context import Incoming, Sender


def sender_of(user: User) -> Sender:
    return Sender(telegram_id=user.id, language=user.language_code)


def incoming(message: Message) -> Incoming | None:
    """The service-layer view of a message; None when nobody identifiable sent it."""
    if message.from_user is None or message.from_user.is_bot or message.sender_chat is not None:
        return None  # channel posts, other bots, anonymous admins: no one to answer or trust
    text = message.text if message.text is not None else message.caption
    entities = message.entities if message.text is not None else message.caption_entities
    reply = message.reply_to_message
    replied = reply.from_user if reply is not None else None
    return Incoming(
        chat_id=message.chat.id,
        message_id=message.message_id,
        sender=sender_of(message.from_user),
        kind=content_kind(message),
        text=text,
        entities=tuple(e.model_dump(mode="json", exclude_none=True) for e in entities or ()),
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to_message_id=reply.message_id if reply is not None else None,
        media_group_id=message.media_group_id,
        reply_to_sender=sender_of(replied) if replied is not None and not replied.is_bot else None,
    )


def content_kind(message: Message) -> str:
    # aiogram's ContentType is a (str, Enum): str() would give "ContentType.TEXT".
    content_type = message.content_type
    return str(getattr(content_type, "value", content_type))


def is_command(message: Message) -> bool:
    """A message Telegram marked as starting with a bot command (any bot's)."""
    first = message.entities[0] if message.entities else None
    return first is not None and first.type == "bot_command" and first.offset == 0
