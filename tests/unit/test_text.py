"""Lengths as Telegram counts them: UTF-16 code units."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from veil.domain.content import split_text
from veil.domain.text import utf16_clip, utf16_len, utf16_prefix
from veil.services.deliveries import CopyContent, SendText, TicketTopic, UserChat
from veil.telegram.calls import repair


def test_an_emoji_outside_the_basic_plane_counts_twice() -> None:
    assert utf16_len("🙂") == 2 and utf16_len("é") == 1 and utf16_len("a🙂b") == 4


def test_a_prefix_never_splits_an_emoji() -> None:
    assert utf16_prefix("🙂🙂", 3) == "🙂"
    assert utf16_clip("🙂" * 10, 5) == "🙂🙂…"


@given(st.text(alphabet=st.sampled_from("a 🙂\né"), max_size=400), st.integers(4, 60))
def test_split_parts_fit_and_lose_only_the_breaks(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_refused_formatting_goes_plain_and_a_refused_caption_follows_the_media() -> None:
    text = SendText(TicketTopic(1), "bold", entities=({"type": "bold"},), record=5)
    [plain] = repair(text, "Bad Request: can't parse entities")
    assert isinstance(plain, SendText) and plain.entities == () and plain.record == 5
    photo = CopyContent(TicketTopic(1), UserChat(2), 9, caption="words", has_caption=True)
    bare, words = repair(photo, "Bad Request: message caption is too long")
    assert isinstance(bare, CopyContent) and bare.caption == ""
    assert isinstance(words, SendText) and words.text == "words"
    assert repair(photo, "Bad Request: wrong file identifier") == []


def test_a_command_is_recognised_however_it_is_typed() -> None:
    from veil.domain.content import command_args, command_in

    for text in (
        "/note x",
        " /note x",
        "\u200b/note x",
        "/NOTE x",
        "/note@veil_bot x",
        "／note x",
        "/note: x",
        "/note, x",
        "/note-x",
    ):
        assert command_in(text) == "note", text
        assert command_args(text) == "x", text
    for text in ("note x", "a /note", "/", "//", "3/4 done", None, ""):
        assert command_in(text) is None, text


def test_hidden_links_into_telegram_name_a_person() -> None:
    from veil.domain.content import safe_entities

    def link(url: str) -> dict[str, object]:
        return {"type": "text_link", "offset": 0, "length": 1, "url": url}

    hidden = [
        "https://t.me/bob",
        "HTTP://T.ME/bob",
        "t.me/bob",
        "https://telegram.me/bob",
        "tg://resolve?domain=bob",
        "tg://user?id=1",
        " https://t.me/bob ",
        "https://bob.t.me",
    ]
    assert safe_entities([link(u) for u in hidden]) == []
    kept = [link("https://example.com/t.me"), {"type": "bold", "offset": 0, "length": 1}]
    assert safe_entities(kept) == kept


def test_no_outside_value_can_forge_a_log_line() -> None:
    import logging

    from veil.logs import KeyValueFormatter

    formatter = KeyValueFormatter("%(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord(
        "veil", logging.WARNING, "x", 1, "ignored %s", ("a\n2026 ERROR forged",), None
    )
    record.data = "x\r\nINFO veil: all good\u202e" + "y" * 500
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line and "\u202e" not in line
    assert "\\n2026 ERROR forged" in line and len(line) < 400
