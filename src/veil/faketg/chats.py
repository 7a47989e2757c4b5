"""Chats, members and forum topics as the bot sees and manages them."""

from __future__ import annotations

import secrets

from .errors import FakeError
from .messages import post, publish_message
from .registry import Ctx, method
from .state import JSON, Chat, Topic, World

TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
TOPIC_NAME_LIMIT = 128
_GIFT_TYPES = (
    "unlimited_gifts",
    "limited_gifts",
    "unique_gifts",
    "premium_subscription",
    "gifts_from_channels",
)
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)


def full_info(world: World, chat: Chat) -> JSON:
    """ChatFullInfo, with the fields aiogram requires."""
    info: JSON = {"id": chat.id, "type": chat.type}
    if chat.type == "private":
        user = world.user_object(chat.person_id or chat.id) or {}
        for key in ("first_name", "last_name", "username"):
            if user.get(key):
                info[key] = user[key]
        gifts = True
    else:
        info["title"] = chat.title or ""
        if chat.is_forum:
            info["is_forum"] = True
        gifts = False
    info["accent_color_id"] = 0
    info["max_reaction_count"] = 11
    info["accepted_gift_types"] = dict.fromkeys(_GIFT_TYPES, gifts)
    return info


def member_object(world: World, chat: Chat, user: JSON) -> JSON:
    user_id = int(user["id"])
    if chat.type == "private":
        return {"status": "member", "user": user}
    # Every bot is an admin of every group here.
    is_bot = user_id in world.bot_ids()
    status = "administrator" if is_bot else chat.members.get(user_id, "left")
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = dict.fromkeys(_ADMIN_RIGHTS, True)
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **rights,
        }
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    return {"status": status, "user": user}


@method("getChat")
async def get_chat(ctx: Ctx) -> JSON:
    return full_info(ctx.world, ctx.chat())


@method("getChatMember")
async def get_chat_member(ctx: Ctx) -> JSON:
    chat = ctx.chat()
    user = ctx.world.user_object(ctx.req_int("user_id"))
    if user is None:
        raise FakeError.bad_request("PARTICIPANT_ID_INVALID")
    return member_object(ctx.world, chat, user)


@method("banChatMember")
async def ban_chat_member(ctx: Ctx) -> bool:
    """Out of the group, and kept out until unbanned (Telegram's "kick" is ban + unban)."""
    chat = _group(ctx)
    user_id = ctx.req_int("user_id")
    if ctx.world.user_object(user_id) is None:
        raise FakeError.bad_request("PARTICIPANT_ID_INVALID")
    if chat.members.get(user_id) == "creator":
        raise FakeError.bad_request("can't remove chat owner")
    chat.members[user_id] = "kicked"
    return True


@method("unbanChatMember")
async def unban_chat_member(ctx: Ctx) -> bool:
    """Lift a ban: the person may join again (they are not added back)."""
    chat = _group(ctx)
    user_id = ctx.req_int("user_id")
    status = chat.members.get(user_id, "left")
    if status == "kicked":
        chat.members[user_id] = "left"
    elif not ctx.flag("only_if_banned") and status in ("member", "administrator"):
        chat.members[user_id] = "left"  # Telegram removes a member unbanned this way
    return True


def _group(ctx: Ctx) -> Chat:
    chat = ctx.chat()
    if chat.type == "private":
        raise FakeError.bad_request("method is available for supergroup and channel chats only")
    return chat


@method("getChatAdministrators")
async def get_chat_administrators(ctx: Ctx) -> list[JSON]:
    chat = ctx.chat()
    if chat.type == "private":
        raise FakeError.bad_request("there are no administrators in the private chat")
    admins = [uid for uid, status in chat.members.items() if status in ("creator", "administrator")]
    users = [ctx.world.user_object(uid) for uid in admins] + [
        dict(b.user) for b in ctx.world.bots.values()
    ]
    return [member_object(ctx.world, chat, user) for user in users if user is not None]


@method("getChatMemberCount")
async def get_chat_member_count(ctx: Ctx) -> int:
    chat = ctx.chat()
    if chat.type == "private":
        return 2
    present = [s for s in chat.members.values() if s in ("creator", "administrator", "member")]
    return len(present) + len(ctx.world.bots)


@method("createChatInviteLink")
async def create_chat_invite_link(ctx: Ctx) -> JSON:
    chat = ctx.chat()
    if chat.type == "private":
        raise FakeError.bad_request("can't invite members to a private chat")
    link: JSON = {
        "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}",
        "creator": dict(ctx.bot.user),
        "creates_join_request": ctx.flag("creates_join_request"),
        "is_primary": False,
        "is_revoked": False,
    }
    for key in ("name", "expire_date", "member_limit"):
        if ctx.has(key):
            link[key] = ctx.params[key]
    chat.invite_links.append(link)
    return link


@method("pinChatMessage")
async def pin_chat_message(ctx: Ctx) -> bool:
    chat = ctx.writable_chat()
    message = ctx.message_in(chat, "message_id", "message to pin not found")
    chat.pinned.append(message.message_id)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(ctx: Ctx) -> bool:
    chat = ctx.chat()
    message_id = ctx.opt_int("message_id")
    if message_id is None and chat.pinned:
        chat.pinned.pop()
    elif message_id in chat.pinned:
        chat.pinned.remove(message_id)
    return True


# -- forum topics --------------------------------------------------------------------------


def _forum(ctx: Ctx) -> Chat:
    chat = ctx.chat()
    if not chat.is_forum:
        raise FakeError.bad_request("the chat is not a forum")
    return chat


def _topic(ctx: Ctx, chat: Chat) -> Topic:
    topic = chat.live_topic(ctx.req_int("message_thread_id"))
    if topic is None:
        raise FakeError.bad_request("TOPIC_ID_INVALID")
    return topic


def _check_name(name: str) -> None:
    if not name.strip():
        raise FakeError.bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > TOPIC_NAME_LIMIT:
        raise FakeError.bad_request("TOPIC_TITLE_TOO_LONG")


def _service(ctx: Ctx, chat: Chat, thread_id: int, content: JSON) -> None:
    """A topic service message, shown to other bots like any group message."""
    message = post(
        ctx.world,
        chat,
        sender=ctx.bot.user,
        content=content,
        thread_id=thread_id,
        sender_bot=ctx.bot.id,
    )
    publish_message(ctx.world, chat, message, exclude_bot=ctx.bot.id)


@method("createForumTopic")
async def create_forum_topic(ctx: Ctx) -> JSON:
    chat = _forum(ctx)
    name = str(ctx.params.get("name") or "")
    _check_name(name)
    color = ctx.opt_int("icon_color")
    if color is None:
        color = ctx.world.choose(list(TOPIC_COLORS))
    elif color not in TOPIC_COLORS:
        raise FakeError.bad_request("TOPIC_ICON_COLOR_INVALID")
    # The topic's id is the id of the service message that opens it.
    topic = Topic(chat.next_message_id, name, color, ctx.opt_str("icon_custom_emoji_id"))
    chat.topics[topic.thread_id] = topic
    created: JSON = {"name": name, "icon_color": color}
    if topic.icon_custom_emoji_id:
        created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    _service(ctx, chat, topic.thread_id, {"forum_topic_created": created})
    return topic.as_forum_topic()


@method("editForumTopic")
async def edit_forum_topic(ctx: Ctx) -> bool:
    chat = _forum(ctx)
    topic = _topic(ctx, chat)
    edited: JSON = {}
    name = ctx.opt_str("name")
    if name is not None and name != topic.name:
        _check_name(name)
        edited["name"] = topic.name = name
    emoji = ctx.opt_str("icon_custom_emoji_id")
    if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
        topic.icon_custom_emoji_id = emoji or None
        edited["icon_custom_emoji_id"] = emoji
    if not edited:
        raise FakeError.bad_request("TOPIC_NOT_MODIFIED")
    _service(ctx, chat, topic.thread_id, {"forum_topic_edited": edited})
    return True


async def _set_closed(ctx: Ctx, closed: bool) -> bool:
    chat = _forum(ctx)
    topic = _topic(ctx, chat)
    if topic.closed == closed:
        raise FakeError.bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    event = "forum_topic_closed" if closed else "forum_topic_reopened"
    _service(ctx, chat, topic.thread_id, {event: {}})
    return True


@method("closeForumTopic")
async def close_forum_topic(ctx: Ctx) -> bool:
    return await _set_closed(ctx, True)


@method("reopenForumTopic")
async def reopen_forum_topic(ctx: Ctx) -> bool:
    return await _set_closed(ctx, False)


@method("deleteForumTopic")
async def delete_forum_topic(ctx: Ctx) -> bool:
    chat = _forum(ctx)
    chat.delete_topic(_topic(ctx, chat))
    ctx.world.touch()
    return True
