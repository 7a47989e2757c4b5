"""Text as Telegram measures it: in UTF-16 code units, not characters.

Every Bot API length (4096 for a text, 1024 for a caption, 128 for a topic name) and
every entity offset counts UTF-16 code units; an emoji outside the Basic Multilingual
Plane is two. Counting characters lets a text of 600 emoji through as "600" when
Telegram sees 1200, and shifts every entity after an emoji by one.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """How long Telegram says ``text`` is."""
    return len(text.encode("utf-16-le")) // 2


def utf16_prefix(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` units, never half a character."""
    if limit <= 0:
        return ""
    if utf16_len(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def utf16_clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``limit`` units, with ``ellipsis`` where it was cut."""
    if utf16_len(text) <= limit:
        return text
    return utf16_prefix(text, limit - utf16_len(ellipsis)) + ellipsis
