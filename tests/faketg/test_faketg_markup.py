"""Formatted text parsing: what Telegram turns HTML and MarkdownV2 into."""

from __future__ import annotations

import pytest

from veil.faketg import FakeError
from veil.faketg.markup import auto_entities, parse_html, parse_markdown, parse_markdown_v2


def test_html_nesting_links_and_escapes() -> None:
    text, entities = parse_html('<b>bold <i>both</i></b> &lt;3 <a href="https://x.y">link</a>')
    assert text == "bold both <3 link"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 13, "length": 4, "url": "https://x.y"},
    ]


def test_html_pre_with_language() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("a <br> b", 'Unsupported start tag "br"'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("1<2", 'Unsupported start tag "2"'),
    ],
)
def test_html_errors(source: str, detail: str) -> None:
    with pytest.raises(FakeError) as caught:
        parse_html(source)
    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert detail in caught.value.description


def test_markdown_v2() -> None:
    text, entities = parse_markdown_v2(r"*bold* _it_ __u__ ||s|| `c` [l](https://x\.y) 1\.5")
    assert text == "bold it u s c l 1.5"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 4),
        ("italic", 5, 2),
        ("underline", 8, 1),
        ("spoiler", 10, 1),
        ("code", 12, 1),
        ("text_link", 14, 1),
    ]
    assert entities[-1]["url"] == "https://x.y"
    with pytest.raises(FakeError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Version 1.5")
    with pytest.raises(FakeError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*open")


def test_legacy_markdown() -> None:
    assert parse_markdown("*b* _i_ [t](u)") == (
        "b i t",
        [
            {"type": "bold", "offset": 0, "length": 1},
            {"type": "italic", "offset": 2, "length": 1},
            {"type": "text_link", "offset": 4, "length": 1, "url": "u"},
        ],
    )


def test_auto_entities() -> None:
    entities = auto_entities("/start@veil_bot hi @alice_w see https://t.me/x #help")
    assert [e["type"] for e in entities] == ["bot_command", "mention", "url", "hashtag"]
    assert entities[0] == {"type": "bot_command", "offset": 0, "length": 15}
