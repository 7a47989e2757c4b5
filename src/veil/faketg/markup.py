"""Formatted text the way Telegram reads it: HTML, MarkdownV2 and legacy Markdown become
plain text plus entities (offsets in UTF-16 code units), and malformed markup fails with
Telegram's "can't parse entities" error, which is how unescaped user text breaks real bots.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import FakeError

JSON = dict[str, Any]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSON]]:
    """Apply `parse_mode` or explicit `entities` (which win, as in Telegram)."""
    if entities is not None:
        return text, _checked_entities(entities)
    if not parse_mode:
        return text, []
    mode = str(parse_mode).lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise FakeError.bad_request(f"unsupported parse_mode {parse_mode!r}")


def _checked_entities(entities: Any) -> list[JSON]:
    if not isinstance(entities, list) or not all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
    ):
        raise FakeError.bad_request("can't parse entities JSON object")
    return [dict(e) for e in entities]


def _parse_error(detail: str) -> FakeError:
    return FakeError.bad_request(f"can't parse entities: {detail}")


class _Builder:
    """Collects output text and entities, tracking the UTF-16 length as it grows."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[JSON] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.length > start:  # Telegram drops empty entities
            self.entities.append({"type": kind, "offset": start, "length": self.length - start})
            self.entities[-1].update(extra)

    def result(self) -> tuple[str, list[JSON]]:
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ordered


# -- HTML -------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"<([a-zA-Z0-9-]*)")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")


def parse_html(source: str) -> tuple[str, list[JSON]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            at = len(source[:i].encode())
            if source.startswith("</", i):
                i = _close_html_tag(source, i, at, stack, out)
            else:
                i = _open_html_tag(source, i, at, stack, out)
        elif char == "&":
            match = _CHAR_REF.match(source, i)
            decoded = _decode_char_ref(match.group(1)) if match else None
            if match and decoded is not None:
                out.add(decoded)
                i = match.end()
            else:
                out.add("&")
                i += 1
        else:
            end = len(source)
            for stop in ("<", "&"):
                found = source.find(stop, i)
                if found != -1:
                    end = min(end, found)
            out.add(source[i:end])
            i = end
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _decode_char_ref(name: str) -> str | None:
    if name.startswith(("#x", "#X")):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _NAMED_ENTITIES.get(name.lower())


def _open_html_tag(
    source: str, i: int, at: int, stack: list[tuple[str, int, dict[str, str]]], out: _Builder
) -> int:
    match = _TAG_NAME.match(source, i)
    name = match.group(1).lower() if match else ""
    if name not in _HTML_TAGS:
        raise _parse_error(f'Unsupported start tag "{name}" at byte offset {at}')
    attributes: dict[str, str] = {}
    pos = match.end() if match else i + 1
    while True:
        attribute = _ATTRIBUTE.match(source, pos)
        if attribute is None or not attribute.group(1):
            break
        value = attribute.group(2) or ""
        attributes[attribute.group(1).lower()] = value.strip("\"'")
        pos = attribute.end()
    while pos < len(source) and source[pos].isspace():
        pos += 1
    if source.startswith("/>", pos):
        pos += 1
    if pos >= len(source) or source[pos] != ">":
        raise _parse_error(f"Unclosed start tag at byte offset {at}")
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _parse_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    stack.append((name, out.length, attributes))
    return pos + 1


def _close_html_tag(
    source: str, i: int, at: int, stack: list[tuple[str, int, dict[str, str]]], out: _Builder
) -> int:
    end = source.find(">", i)
    if end == -1:
        raise _parse_error(f"Unclosed end tag at byte offset {at}")
    name = source[i + 2 : end].strip().lower()
    if not stack:
        raise _parse_error(f"Unexpected end tag at byte offset {at}")
    tag, start, attributes = stack.pop()
    if name != tag:
        raise _parse_error(
            f'Unmatched end tag at byte offset {at}, expected "</{tag}>", found "</{name}>"'
        )
    language = attributes.get("class", "")
    if tag == "code" and stack and stack[-1][0] == "pre" and language.startswith("language-"):
        # <pre><code class="language-x"> is one pre entity with a language.
        stack[-1][2]["language"] = language.removeprefix("language-")
    elif tag == "a":
        out.entity("text_link", start, url=attributes.get("href", ""))
    elif tag == "pre" and attributes.get("language"):
        out.entity("pre", start, language=attributes["language"])
    elif tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
        out.entity(kind, start)
    elif tag == "tg-emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attributes.get("emoji-id", ""))
    else:
        out.entity(_HTML_TAGS[tag], start)
    return end + 1


# -- MarkdownV2 -------------------------------------------------------------------------

_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_TITLE = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}


def parse_markdown_v2(source: str) -> tuple[str, list[JSON]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # marker, output offset, byte offset
    quote_start: int | None = None
    i = 0
    while i < len(source):
        char = source[i]
        at = len(source[:i].encode())
        if i == 0 or source[i - 1] == "\n":
            if char == ">":
                quote_start = out.length if quote_start is None else quote_start
                i += 1
                continue
            if quote_start is not None:
                out.entity("blockquote", quote_start)
                quote_start = None
        if char == "\\" and i + 1 < len(source) and 0 < ord(source[i + 1]) < 127:
            out.add(source[i + 1])
            i += 2
        elif char == "`":
            i = _md2_code(source, i, at, out)
        elif source.startswith(("__", "||"), i) or char in "*_~":
            marker = source[i : i + 2] if source.startswith(("__", "||"), i) else char
            _md2_toggle(marker, at, stack, out)
            i += len(marker)
        elif char == "[":
            stack.append(("[", out.length, at))
            i += 1
        elif char == "]" and stack and stack[-1][0] == "[" and source.startswith("](", i):
            i = _md2_link(source, i, stack, out)
        elif char in _MD2_RESERVED:
            raise _parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            if char == "\n" and quote_start is not None and not source.startswith(">", i + 1):
                out.entity("blockquote", quote_start)
                quote_start = None
            out.add(char)
            i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, at = stack[-1]
        kind = "text_link" if marker == "[" else _MD2_MARKERS[marker]
        raise _parse_error(f"Can't find end of {_ENTITY_TITLE[kind]} entity at byte offset {at}")
    return out.result()


def _md2_toggle(marker: str, at: int, stack: list[tuple[str, int, int]], out: _Builder) -> None:
    if stack and stack[-1][0] == marker:
        _, start, _ = stack.pop()
        out.entity(_MD2_MARKERS[marker], start)
    elif any(entry[0] == marker for entry in stack):
        _, _, inner_at = stack[-1]
        title = _ENTITY_TITLE.get(_MD2_MARKERS.get(stack[-1][0], "text_link"), "TextUrl")
        raise _parse_error(f"Can't find end of {title} entity at byte offset {inner_at}")
    else:
        stack.append((marker, out.length, at))


def _md2_code(source: str, i: int, at: int, out: _Builder) -> int:
    fence = "```" if source.startswith("```", i) else "`"
    j = i + len(fence)
    body: list[str] = []
    while j < len(source) and not source.startswith(fence, j):
        if source[j] == "\\" and j + 1 < len(source):
            j += 1
        body.append(source[j])
        j += 1
    if j >= len(source):
        kind = "Pre" if fence == "```" else "Code"
        raise _parse_error(f"Can't find end of {kind} entity at byte offset {at}")
    text = "".join(body)
    start = out.length
    if fence == "`":
        out.add(text)
        out.entity("code", start)
    else:
        language, newline, rest = text.partition("\n")
        if newline and language and " " not in language:
            out.add(rest)
            out.entity("pre", start, language=language)
        else:
            out.add(text)
            out.entity("pre", start)
    return j + len(fence)


def _md2_link(source: str, i: int, stack: list[tuple[str, int, int]], out: _Builder) -> int:
    j = i + 2
    url: list[str] = []
    while j < len(source) and source[j] != ")":
        if source[j] == "\\" and j + 1 < len(source):
            j += 1
        url.append(source[j])
        j += 1
    _, start, at = stack.pop()
    if j >= len(source):
        raise _parse_error(f"Can't find end of a url at byte offset {at}")
    out.entity("text_link", start, url="".join(url))
    return j + 1


# -- legacy Markdown ---------------------------------------------------------------------

_LEGACY = {"*": "bold", "_": "italic"}


def parse_markdown(source: str) -> tuple[str, list[JSON]]:
    out = _Builder()
    i = 0
    while i < len(source):
        char = source[i]
        at = len(source[:i].encode())
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
        elif char in _LEGACY or char == "`":
            fence = "```" if source.startswith("```", i) else char
            end = source.find(fence, i + len(fence))
            if end == -1:
                raise _parse_error(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(source[i + len(fence) : end])
            kind = "pre" if fence == "```" else "code" if fence == "`" else _LEGACY[char]
            out.entity(kind, start)
            i = end + len(fence)
        elif char == "[":
            match = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(source, i)
            if match is None:
                raise _parse_error(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(match.group(1))
            out.entity("text_link", start, url=match.group(2))
            i = match.end()
        else:
            out.add(char)
            i += 1
    return out.result()


# -- what clients mark up by themselves --------------------------------------------------

_AUTO = (
    ("bot_command", re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")),
    ("url", re.compile(r"https?://[^\s<>\"]+")),
    ("mention", re.compile(r"(?<![\w@])@[a-zA-Z][a-zA-Z0-9_]{3,31}")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\W\d][\w]*")),
)


def auto_entities(text: str) -> list[JSON]:
    """Entities Telegram adds to a person's plain message: commands, links, @mentions and
    #hashtags."""
    found: list[JSON] = []
    for kind, pattern in _AUTO:
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    return sorted(found, key=lambda e: (e["offset"], -e["length"]))
