"""What may cross between a client and the desk, and in what shape.

The anonymity rules live here as plain data decisions; the Telegram layer only
carries them out.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

from veil.domain.cleaning import clean
from veil.domain.text import utf16_len, utf16_prefix

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

Entity = Mapping[str, Any]


class Handling(enum.Enum):
    RELAY = "relay"  # re-sent as the bot (rebuilt text or copyMessage), never forwarded
    WITHHOLD = "withhold"  # acknowledged, but its content identifies people: not relayed
    REFUSE = "refuse"  # a kind a support conversation cannot carry (polls, games, ...)
    IGNORE = "ignore"  # service messages: topic created, members joined, ...


RELAYED_KINDS = frozenset(
    {
        "text",
        "photo",
        "video",
        "audio",
        "document",
        "voice",
        "video_note",
        "animation",
        "sticker",
        "location",
        "venue",
    }
)
# A contact card carries a phone number and often a Telegram user id.
WITHHELD_KINDS = frozenset({"contact"})
REFUSED_KINDS = frozenset({"poll", "dice", "game", "invoice", "story", "paid_media", "checklist"})
CAPTIONED_KINDS = frozenset({"photo", "video", "audio", "document", "voice", "animation"})

# Entity types that embed a person (text_mention carries a whole User object), and links
# that open a person's profile or chat as surely as a mention does.
IDENTIFYING_ENTITY_TYPES = frozenset({"text_mention"})
# A hidden link into Telegram may open anyone's profile: tg://user?id=, tg://resolve?
# domain=, or https://t.me/<username> (which cannot be told from a group's or a bot's).
IDENTIFYING_SCHEMES = ("tg:",)
TELEGRAM_HOSTS = frozenset(
    {"t.me", "telegram.me", "telegram.dog", "www.t.me", "web.telegram.org", "telegram.org"}
)
# Veil's own notices in the desk are quotes (a bar at their left); relayed words lose
# these, so that a client cannot make a message look like one.
NOTICE_ENTITY_TYPES = frozenset({"blockquote", "expandable_blockquote"})


def handling_of(kind: str) -> Handling:
    if kind in RELAYED_KINDS:
        return Handling.RELAY
    if kind in WITHHELD_KINDS:
        return Handling.WITHHOLD
    if kind in REFUSED_KINDS:
        return Handling.REFUSE
    if kind in _SERVICE_KINDS:
        return Handling.IGNORE
    # Unknown kinds are refused rather than ignored: the sender deserves an answer.
    return Handling.REFUSE


_SERVICE_KINDS = frozenset(
    {
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "pinned_message",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "group_chat_created",
        "supergroup_chat_created",
        "message_auto_delete_timer_changed",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_scheduled",
        "video_chat_participants_invited",
        "write_access_allowed",
        "boost_added",
        "chat_background_set",
    }
)


def safe_entities(entities: Sequence[Entity] | None) -> list[dict[str, Any]]:
    """Formatting entities with anything that names a person removed."""
    return [dict(e) for e in entities or () if not _names_a_person(e)]


def _names_a_person(entity: Entity) -> bool:
    if entity.get("type") in IDENTIFYING_ENTITY_TYPES:
        return True
    return entity.get("type") == "text_link" and opens_telegram(str(entity.get("url") or ""))


def opens_telegram(url: str) -> bool:
    """Does a link lead into Telegram (a profile, a chat), however it is spelt?"""
    link = "".join(url.split()).lower()
    if link.startswith(IDENTIFYING_SCHEMES):
        return True
    rest = link.split("://", 1)[1] if "://" in link else link
    host = rest.split("/", 1)[0].split("?", 1)[0].split("@")[-1].split(":")[0]
    return host in TELEGRAM_HOSTS or host.endswith(".t.me")


# Characters that show nothing (zero-width, joiners, direction marks and overrides, the
# byte order mark, Hangul fillers): typed before a slash, they hide that a text is a
# command from a check that looks at its first character.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Whatever follows the name (a space, a colon, a dash...) still makes it a command.
_COMMAND = re.compile(r"[/\uff0f]([A-Za-z0-9_]{1,64})(?:@\w+)?(?![A-Za-z0-9_])")


def visible(text: str) -> str:
    """``text`` without the characters that show nothing."""
    return _INVISIBLE.sub("", text)


def command_in(text: str | None) -> str | None:
    """The command a text reads as, however it is typed: after spaces or invisible
    characters, in any case, with a full-width slash or a bot's @name. None for words."""
    if not text:
        return None
    found = _COMMAND.match(visible(text).lstrip())
    return found.group(1).lower() if found else None


def command_args(text: str) -> str:
    """What follows the command: ``/note@bot some text`` -> ``some text``, cleaned: it is
    kept (a note, a reason) and shown to agents, and a NUL cannot even be stored."""
    found = _COMMAND.match(visible(text).lstrip())
    rest = visible(text).lstrip()[found.end() :] if found else text
    return clean(rest).strip().lstrip(":,;.-—–").strip()


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into parts of at most ``limit`` UTF-16 units (as Telegram counts), at a
    line or word break if there is one in the second half of a part."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        window = utf16_prefix(rest, limit)
        cut = max(window.rfind("\n"), window.rfind(" "))
        if cut < len(window) // 2:  # no sensible break: cut hard rather than make tiny parts
            parts.append(window)
            rest = rest[len(window) :]
            continue
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts
