"""Texts shown to agents, cleaned of characters that change what an agent reads.

A client (or a host's appointment, an agent's chosen words) can hide text or turn it
around with characters that show nothing: a right-to-left override makes
``invoice\u202etxt.exe`` read "invoiceexe.txt", a zero-width space splits a word that a
search or a policy looks for, control characters garble a line. Veil's desk and the
agents' chats get texts without them:

- C0 and C1 control characters go, except newline and tab; line and paragraph
  separators become newlines (same length, so nothing after them moves).
- Every bidirectional formatting character goes: embeddings and overrides
  (U+202A-U+202E), isolates (U+2066-U+2069), the direction marks (U+200E, U+200F,
  U+061C). Right-to-left scripts need none of them to read right: Telegram lays out
  Arabic and Hebrew by itself.
- Other invisible format characters go (zero-width space, word joiner, soft hyphen, the
  byte order mark, invisible operators, Hangul fillers that names use to look blank),
  with three exceptions that ordinary text needs:
  * a zero-width joiner between emoji (family, profession and flag sequences are
    emoji joined by it: removing it would break one picture into several);
  * a zero-width joiner or non-joiner between letters of scripts that shape with them
    (Persian writes ``می‌خواهم`` with a non-joiner, Indic scripts choose half-forms with
    a joiner); between Latin, Greek or Cyrillic letters they only hide a split word;
  * the tag characters of a subdivision flag (England's is a black flag followed by
    tags), which are otherwise invisible ASCII smuggled in a text.
- Characters that show something (letters of every script, emoji, marks, spaces,
  private-use glyphs, Arabic number signs) stay exactly as they are.

Cleaning only ever removes characters or swaps one for one of the same length, so a
cleaned text is never longer and formatting entities can be moved to fit
(``clean_with_entities``, offsets in UTF-16 units as Telegram counts them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

ZWNJ = "\u200c"
ZWJ = "\u200d"
_JOINERS = frozenset({ZWNJ, ZWJ})
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
_KEPT_CONTROLS = frozenset("\n\t")
_AS_NEWLINE = frozenset("\u2028\u2029")
# Format characters (category Cf) that show something: prepended concatenation marks
# (Arabic number signs, the end of an ayah, Syriac and Kaithi signs).
_VISIBLE_FORMAT = frozenset(
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
# Letters that render as blank space though they are not spaces: names made of them
# look empty.
_BLANK_LETTERS = frozenset("\u3164\uffa0\u115f\u1160")
# Bidirectional formatting: always removed, whatever surrounds them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Scripts from here on (Hebrew, Arabic, Syriac, the Indic scripts...) may need a joiner
# between two letters; below it (Latin, Greek, Cyrillic, Armenian) nothing does.
_SHAPING_SCRIPTS_FROM = 0x0590


def _is_tag(char: str) -> bool:
    return 0xE0020 <= ord(char) <= 0xE007F


def _always_removed(char: str) -> bool:
    """Removed wherever it stands (the joiners and tags are judged by their neighbours)."""
    if char in _JOINERS or _is_tag(char):
        return False
    if char in BIDI_CONTROLS or char in _BLANK_LETTERS:
        return True
    category = unicodedata.category(char)
    if category == "Cc":
        return char not in _KEPT_CONTROLS
    if category == "Cf":
        return char not in _VISIBLE_FORMAT
    return category == "Cs"  # half a surrogate pair: nothing Telegram can show


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "So"
        or 0x1F000 <= code <= 0x1FAFF
        or 0x2600 <= code <= 0x27BF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
    )


def _emoji_end(char: str) -> bool:
    """What may stand just before the joiner of an emoji sequence."""
    return _is_emoji(char) or char in "\ufe0f\u20e3"


def _shaping_letter(char: str) -> bool:
    return ord(char) >= _SHAPING_SCRIPTS_FROM and unicodedata.category(char)[0] in "LM"


def _joiner_kept(before: str, after: str, joiner: str) -> bool:
    if joiner == ZWJ and _emoji_end(before) and _is_emoji(after):
        return True
    return _shaping_letter(before) and _shaping_letter(after)


def _kept(text: str) -> list[bool]:
    """For each character of ``text`` (already rid of what is always removed), whether
    it stays. A joiner or tag is judged by characters that stay whatever happens, so a
    second cleaning keeps exactly what the first kept."""
    kept = [True] * len(text)
    index = 0
    while index < len(text):
        char = text[index]
        if char in _JOINERS:
            before = text[index - 1] if index > 0 else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            stable = before and after and not _conditional(before) and not _conditional(after)
            kept[index] = bool(stable) and _joiner_kept(before, after, char)
        elif _is_tag(char):
            end = index
            while end < len(text) and _is_tag(text[end]):
                end += 1
            run = text[index:end]
            flag = (
                index > 0
                and text[index - 1] == _BLACK_FLAG
                and run.endswith(_CANCEL_TAG)
                and _CANCEL_TAG not in run[:-1]
                and len(run) > 1
            )
            for position in range(index, end):
                kept[position] = flag
            index = end
            continue
        index += 1
    return kept


def _conditional(char: str) -> bool:
    return char in _JOINERS or _is_tag(char)


def _steps(text: str) -> list[str]:
    """What each character of ``text`` becomes: itself, a newline, or nothing."""
    out = ["" if _always_removed(c) else ("\n" if c in _AS_NEWLINE else c) for c in text]
    survivors = [i for i, c in enumerate(out) if c]
    verdicts = _kept("".join(out[i] for i in survivors))
    for index, keep in zip(survivors, verdicts, strict=True):
        if not keep:
            out[index] = ""
    return out


def clean(text: str) -> str:
    """``text`` as agents should see it (see the module's description)."""
    if text.isascii() and text.isprintable():
        return text  # the common case, and nothing in it can be unsafe
    return "".join(_steps(text))


def is_clean(text: str) -> bool:
    return clean(text) == text


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def clean_with_entities(
    text: str, entities: Sequence[Mapping[str, Any]]
) -> tuple[str, tuple[dict[str, Any], ...]]:
    """``clean(text)`` and its formatting entities moved to fit: each keeps covering the
    characters it covered, minus the removed ones; one left covering nothing goes."""
    if clean(text) == text:
        return text, tuple(dict(e) for e in entities)
    steps = _steps(text)
    # removed_before[u]: UTF-16 units removed before unit position u of the original.
    removed_before = [0]
    for char, becomes in zip(text, steps, strict=True):
        gone = _units(char) - sum(_units(c) for c in becomes)
        # Unit by unit: an offset inside a removed surrogate pair lands where it went.
        for unit in range(_units(char)):
            removed_before.append(removed_before[-1] + (1 if unit < gone else 0))
    total = len(removed_before) - 1

    def position(unit: int) -> int:
        unit = max(0, min(unit, total))
        return unit - removed_before[unit]

    moved: list[dict[str, Any]] = []
    for entity in entities:
        offset, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
        start, end = position(offset), position(offset + length)
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    return "".join(steps), tuple(moved)
