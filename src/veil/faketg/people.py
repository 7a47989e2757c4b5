"""What people do in their Telegram clients: write, send media, forward, edit, press
buttons, block the bot. Each action stores the message and queues the updates Telegram
would send; impossible actions raise `ScenarioError` instead of silently doing them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .chats import TOPIC_COLORS, TOPIC_NAME_LIMIT
from .errors import ScenarioError
from .files import CAPTIONED_KINDS, MEDIA_KINDS, animation_as_document
from .markup import auto_entities, utf16_len
from .messages import (
    chat_ref,
    copy_content,
    enqueue,
    forward_origin,
    new_poll,
    post,
    publish_message,
    render,
)
from .outgoing import TEXT_LIMIT
from .sending import DICE_FACES
from .state import JSON, CallbackQuery, Chat, Person, Topic, World

# Telegram Premium users may write captions of up to 2048 characters, longer than anything
# a bot may send (1024): relaying them must cope.
PERSON_CAPTION_LIMIT = 2048


class PersonActions:
    """Mixed into `FakeTelegram`: acting as a person."""

    _world: World

    def send_text(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        if not text.strip():
            raise ScenarioError("Telegram clients do not send empty messages")
        if utf16_len(text) > TEXT_LIMIT:
            raise ScenarioError("Telegram clients split texts longer than 4096 characters")
        content: JSON = {"text": text}
        found = auto_entities(text) if entities is None else [dict(e) for e in entities]
        if found:
            content["entities"] = found
        return self._say(user_id, chat_id, content, thread_id=thread_id, reply_to=reply_to)

    def send_photo(
        self,
        user_id: int,
        chat_id: int,
        *,
        caption: str | None = None,
        caption_entities: list[JSON] | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        return self.send_media(
            user_id,
            chat_id,
            "photo",
            caption=caption,
            caption_entities=caption_entities,
            thread_id=thread_id,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    def send_media(
        self,
        user_id: int,
        chat_id: int,
        kind: str,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
        caption_entities: list[JSON] | None = None,
    ) -> JSON:
        """kind: photo, video, audio, document, voice, video_note, animation or sticker."""
        content = self._media(kind, caption, caption_entities)
        return self._say(
            user_id,
            chat_id,
            content,
            thread_id=thread_id,
            reply_to=reply_to,
            media_group_id=media_group_id,
        )

    def send_album(
        self,
        user_id: int,
        chat_id: int,
        kinds: Sequence[str],
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> list[JSON]:
        """2-10 items sharing one media_group_id, the caption on the first; each item is a
        message and an update of its own, as Telegram delivers albums."""
        kinds = list(kinds)
        if not 2 <= len(kinds) <= 10:
            raise ScenarioError("an album has 2-10 items")
        if any(kind not in ("photo", "video", "audio", "document") for kind in kinds):
            raise ScenarioError("albums hold photos, videos, audio files or documents")
        for only in ("document", "audio"):
            if only in kinds and set(kinds) != {only}:
                raise ScenarioError(f"{only} items can't be mixed with other kinds in an album")
        group = self._world.new_media_group_id()
        return [
            self.send_media(
                user_id,
                chat_id,
                kind,
                caption=caption if index == 0 else None,
                thread_id=thread_id,
                media_group_id=group,
            )
            for index, kind in enumerate(kinds)
        ]

    def send_location(
        self,
        user_id: int,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        thread_id: int | None = None,
    ) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self._say(user_id, chat_id, {"location": location}, thread_id=thread_id)

    def send_venue(
        self,
        user_id: int,
        chat_id: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        *,
        thread_id: int | None = None,
    ) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": location, "title": title, "address": address}
        content = {"venue": venue, "location": location}
        return self._say(user_id, chat_id, content, thread_id=thread_id)

    def send_contact(
        self,
        user_id: int,
        chat_id: int,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        thread_id: int | None = None,
    ) -> JSON:
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._say(user_id, chat_id, {"contact": contact}, thread_id=thread_id)

    def send_poll(
        self,
        user_id: int,
        chat_id: int,
        question: str,
        options: Sequence[str],
        *,
        thread_id: int | None = None,
    ) -> JSON:
        if not 2 <= len(options) <= 12:
            raise ScenarioError("a poll has 2-12 options")
        poll = new_poll(self._world, question, list(options))
        return self._say(user_id, chat_id, {"poll": poll}, thread_id=thread_id)

    def send_dice(
        self, user_id: int, chat_id: int, *, emoji: str = "🎲", thread_id: int | None = None
    ) -> JSON:
        faces = DICE_FACES.get(emoji)
        if faces is None:
            raise ScenarioError(f"no dice {emoji!r}; choose one of {''.join(DICE_FACES)}")
        value = self._world.choose(list(range(1, faces + 1)))
        return self._say(
            user_id, chat_id, {"dice": {"emoji": emoji, "value": value}}, thread_id=thread_id
        )

    def forward(
        self,
        user_id: int,
        chat_id: int,
        from_chat_id: int,
        message_id: int,
        *,
        thread_id: int | None = None,
    ) -> JSON:
        """The person forwards a message they can see; the copy names its origin."""
        source_chat = self._world.chat(from_chat_id)
        if not self._can_see(user_id, source_chat):
            raise ScenarioError(f"user {user_id} can't see chat {from_chat_id}")
        source = source_chat.live_message(message_id)
        if source is None or source.is_service:
            raise ScenarioError(f"no forwardable message {message_id} in chat {from_chat_id}")
        content = copy_content(self._world, source.body)
        content["forward_origin"] = forward_origin(source)
        return self._say(user_id, chat_id, content, thread_id=thread_id)

    def edit_text(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """The person edits their text; the bot gets an `edited_message` update.
        ``entities`` replaces the automatic ones (say, a text_mention picked in the app)."""
        if not text.strip():
            raise ScenarioError("a message can't be edited to empty text")
        return self._edit(user_id, chat_id, message_id, "text", "entities", text, entities)

    def edit_caption(self, user_id: int, chat_id: int, message_id: int, caption: str) -> JSON:
        if utf16_len(caption) > PERSON_CAPTION_LIMIT:
            raise ScenarioError("captions are at most 2048 characters, even with Premium")
        return self._edit(user_id, chat_id, message_id, "caption", "caption_entities", caption)

    def press_button(
        self, user_id: int, chat_id: int, message_id: int, data: str, *, check_button: bool = False
    ) -> str:
        """Press an inline button; the bot that sent the message gets a callback_query.

        Returns the query id. Any `data` goes through by default, because a stale keyboard
        or a modified client can send any callback_data; check_button=True insists that
        the message shows a button with that data."""
        person, chat, _, _ = self._enter(user_id, chat_id, None, None)
        message = chat.live_message(message_id)
        if message is None:
            raise ScenarioError(f"no message {message_id} in chat {chat_id}")
        if check_button and data not in _callback_data(message.body):
            raise ScenarioError(
                f"message {message_id} has no button with callback_data {data!r}; "
                f"it has {sorted(_callback_data(message.body))}"
            )
        world = self._world
        query_id = world.new_query_id()
        world.callbacks[query_id] = CallbackQuery(query_id, user_id, chat_id, message_id, data)
        payload: JSON = {
            "id": query_id,
            "from": dict(person.user),
            "message": render(chat, message),
            "chat_instance": str((chat.id * 2654435761) % 10**19),
            "data": data,
        }
        for bot in world.bots.values():
            if message.sender_bot in (None, bot.id):
                enqueue(world, bot, "callback_query", payload)
        return query_id

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sends then fail with 403, and the bot
        is told through a my_chat_member update, as Telegram does."""
        self._set_blocked(self._world.person(user_id), blocked)

    def add_topic(
        self,
        chat_id: int,
        name: str,
        *,
        user_id: int | None = None,
        icon_color: int | None = None,
    ) -> int:
        """A person (by default the group's first admin, else its first member) creates a
        forum topic in the app; bots see the forum_topic_created message. Returns its id."""
        chat = self._world.chat(chat_id)
        if not chat.is_forum:
            raise ScenarioError(f"chat {chat_id} is not a forum")
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise ScenarioError("a topic name has 1-128 characters")
        if icon_color is not None and icon_color not in TOPIC_COLORS:
            raise ScenarioError(f"icon_color must be one of {TOPIC_COLORS}")
        creator = user_id if user_id is not None else _first_member(chat)
        person, chat, _, _ = self._enter(creator, chat_id, None, None)
        color = icon_color if icon_color is not None else self._world.choose(list(TOPIC_COLORS))
        topic = Topic(chat.next_message_id, name, color)
        chat.topics[topic.thread_id] = topic
        created = {"forum_topic_created": {"name": name, "icon_color": color}}
        self._say(person.id, chat_id, created, thread_id=topic.thread_id)
        return topic.thread_id

    def close_topic(self, user_id: int, chat_id: int, thread_id: int) -> JSON:
        """A person closes a topic in the app; bots see the forum_topic_closed message."""
        chat = self._world.chat(chat_id)
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise ScenarioError(f"no topic {thread_id} in chat {chat_id}")
        if topic.closed:
            raise ScenarioError(f"topic {thread_id} is already closed")
        topic.closed = True
        return self._say(user_id, chat_id, {"forum_topic_closed": {}}, thread_id=thread_id)

    def deactivate_user(self, user_id: int) -> None:
        self._world.person(user_id).deactivated = True
        self._world.touch()

    # -- plumbing -------------------------------------------------------------------------

    def _media(self, kind: str, caption: str | None, entities: list[JSON] | None) -> JSON:
        if kind not in MEDIA_KINDS:
            raise ScenarioError(f"unknown media kind {kind!r}; one of {', '.join(MEDIA_KINDS)}")
        media: Any = self._world.files.new_media(kind)
        content: JSON = {kind: media}
        if kind == "animation":
            content["document"] = animation_as_document(media)
        if caption:
            if kind not in CAPTIONED_KINDS:
                raise ScenarioError(f"a {kind} has no caption")
            if utf16_len(caption) > PERSON_CAPTION_LIMIT:
                raise ScenarioError("captions are at most 2048 characters, even with Premium")
            content["caption"] = caption
            found = auto_entities(caption) if entities is None else [dict(e) for e in entities]
            if found:
                content["caption_entities"] = found
        return content

    def _say(
        self,
        user_id: int,
        chat_id: int,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
    ) -> JSON:
        person, chat, thread_id, reply_to = self._enter(user_id, chat_id, thread_id, reply_to)
        message = post(
            self._world,
            chat,
            sender=person.user,
            content=content,
            thread_id=thread_id,
            reply_to=reply_to,
            sender_user=user_id,
            media_group_id=media_group_id,
        )
        publish_message(self._world, chat, message)
        return render(chat, message)

    def _enter(
        self, user_id: int, chat_id: int, thread_id: int | None, reply_to: int | None
    ) -> tuple[Person, Chat, int | None, int | None]:
        """Check the person may write there; resolve the topic a reply lands in."""
        world = self._world
        person = world.person(user_id)
        if person.deactivated:
            raise ScenarioError(f"user {user_id} is deactivated")
        chat = world.chat(chat_id)
        if chat.migrated_to is not None:
            raise ScenarioError(f"chat {chat_id} became chat {chat.migrated_to}")
        if chat.type == "private":
            if chat.person_id != user_id:
                raise ScenarioError(
                    f"user {user_id} can't write in user {chat.person_id}'s chat with the bot; "
                    "a private chat with the bot has the user's own id"
                )
            # Writing to a blocked bot means pressing "Restart", which unblocks it.
            self._set_blocked(person, False)
        elif not self._can_see(user_id, chat):
            raise ScenarioError(f"user {user_id} is not a member of chat {chat_id}")
        if reply_to is not None:
            target = chat.live_message(reply_to)
            if target is None:
                raise ScenarioError(f"no message {reply_to} in chat {chat_id} to reply to")
            if thread_id is None:
                thread_id = target.thread_id
        if thread_id is not None:
            self._check_topic(chat, thread_id)
        return person, chat, thread_id, reply_to

    def _check_topic(self, chat: Chat, thread_id: int) -> None:
        if not chat.is_forum:
            raise ScenarioError(f"chat {chat.id} has no topics")
        topic = chat.live_topic(thread_id)
        if topic is None:
            raise ScenarioError(f"no topic {thread_id} in chat {chat.id}")
        # A closed topic still takes messages here: in Telegram only admins may write
        # there, and desk agents are admins in practice, so the fake does not insist.

    def _can_see(self, user_id: int, chat: Chat) -> bool:
        if chat.type == "private":
            return chat.person_id == user_id
        return chat.members.get(user_id) in ("creator", "administrator", "member")

    def _edit(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        field: str,
        entities_field: str,
        value: str,
        entities: list[JSON] | None = None,
    ) -> JSON:
        chat = self._world.chat(chat_id)
        message = chat.live_message(message_id)
        if message is None or message.sender_user != user_id:
            raise ScenarioError(f"user {user_id} has no message {message_id} in chat {chat_id}")
        if field == "text" and "text" not in message.body:
            raise ScenarioError(f"message {message_id} has no text")
        if field == "caption" and "caption" not in message.body and not _captioned(message.body):
            raise ScenarioError(f"message {message_id} can't have a caption")
        message.body[field] = value
        found = entities if entities is not None else auto_entities(value)
        if found:
            message.body[entities_field] = found
        else:
            message.body.pop(entities_field, None)
        message.body["edit_date"] = self._world.now()
        publish_message(self._world, chat, message, update_type="edited_message")
        return render(chat, message)

    def _set_blocked(self, person: Person, blocked: bool) -> None:
        set_blocked(self._world, person, blocked)


def set_blocked(world: World, person: Person, blocked: bool) -> None:
    """Block or unblock every bot, telling each through a my_chat_member update.

    A function of the world, not of `PersonActions`, because chaos blocks people too."""
    if person.blocked == blocked:
        return
    person.blocked = blocked
    chat = world.chat(person.id)
    for bot in world.bots.values():
        before: JSON = {"status": "member", "user": dict(bot.user)}
        after: JSON = {"status": "kicked", "user": dict(bot.user), "until_date": 0}
        old, new = (before, after) if blocked else (after, before)
        update: JSON = {
            "chat": chat_ref(chat, world),
            "from": dict(person.user),
            "date": world.now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        enqueue(world, bot, "my_chat_member", update)
    world.touch()


def _first_member(chat: Chat) -> int:
    rank = {"creator": 0, "administrator": 1, "member": 2}
    present = [uid for uid, status in chat.members.items() if status in rank]
    if not present:
        raise ScenarioError(f"chat {chat.id} has no members to create a topic")
    return min(present, key=lambda uid: rank[chat.members[uid]])  # min is stable


def _callback_data(body: JSON) -> set[str]:
    rows = (body.get("reply_markup") or {}).get("inline_keyboard") or []
    return {str(b["callback_data"]) for row in rows for b in row if "callback_data" in b}


def _captioned(body: JSON) -> bool:
    return any(kind in body for kind in CAPTIONED_KINDS)
