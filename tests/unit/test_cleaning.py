"""Texts shown to agents lose what spoofs a reading, and keep every script and emoji."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from veil.domain.cleaning import BIDI_CONTROLS, ZWJ, ZWNJ, clean, clean_with_entities, is_clean
from veil.domain.text import utf16_len

# Always gone, wherever they stand.
FORBIDDEN = BIDI_CONTROLS | frozenset(
    "\u200b\u2060\ufeff\u00ad\u0000\u0007\u001b\u007f\u0085\u009b"
)

# Text with a good share of the characters that matter here.
tricky = st.sampled_from(
    sorted(FORBIDDEN | {ZWJ, ZWNJ, "\u2028", "\n", "\t", "\U000e0067", "\U000e007f", "\ufe0f"})
)
emoji = st.sampled_from(["😀", "👨", "👩", "🏳", "🔥", "❤", "💻", "🏽", "\U0001f3f4"])
letters = st.sampled_from(list("abzАяαשלוםمرحباکمیक्षമ ,.!"))
texts = st.lists(st.one_of(tricky, emoji, letters, st.characters()), max_size=40).map("".join)


@given(texts)
@example("\u202eexe.txt")
@example("😀\u200d\u200b😀")
@example("\U0001f3f4\U000e0067\U000e0062\U000e007f\U000e007f")
def test_cleaning_is_idempotent_never_longer_and_leaves_nothing_forbidden(text: str) -> None:
    cleaned = clean(text)
    assert clean(cleaned) == cleaned and is_clean(cleaned)
    assert len(cleaned) <= len(text) and utf16_len(cleaned) <= utf16_len(text)
    assert not FORBIDDEN & set(cleaned)
    for char in cleaned:
        category = unicodedata.category(char)
        assert category != "Cc" or char in "\n\t"
        assert category != "Cs"


@given(
    st.text(
        st.characters(
            blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"),
            blacklist_characters="\u3164\uffa0\u115f\u1160",
        )
    )
)
def test_ordinary_text_of_any_script_is_unchanged(text: str) -> None:
    assert clean(text) == text


def test_a_right_to_left_override_cannot_turn_a_name_around() -> None:
    assert clean("invoice\u202etxt.exe") == "invoicetxt.exe"
    assert clean("\u2066a\u2069\u200e\u200f\u061cb\u202a\u202b\u202c\u202d") == "ab"


def test_a_zero_width_character_inside_a_word_goes() -> None:
    assert clean("pass\u200bword") == "password"
    assert clean("pay\u200cpal and pay\u200dpal and pay\u00adpal\ufeff") == (
        "paypal and paypal and paypal"
    )


def test_controls_go_but_lines_and_tabs_stay() -> None:
    assert clean("a\u0000b\u0007c\u001b[31md\u007f\u0085\u009b") == "abc[31md"
    assert clean("one\ntwo\tthree") == "one\ntwo\tthree"
    assert clean("one\u2028two\u2029three") == "one\ntwo\nthree"


def test_right_to_left_and_other_scripts_are_kept() -> None:
    for text in (
        "שלום עולם, מה שלומך?",
        "مرحبا، كيف حالك؟",
        "می\u200cخواهم",  # Persian needs its non-joiner
        "क्\u200dष",  # a Devanagari half-form asks for a joiner
        "Привет, мир",
        "こんにちは世界",
        "\u0600١٢٣",  # an Arabic number sign shows
    ):
        assert clean(text) == text


def test_emoji_sequences_are_kept() -> None:
    for text in (
        "👨\u200d👩\u200d👧",  # a family
        "👩🏽\u200d💻",  # a skin tone, then a profession
        "🏳\ufe0f\u200d🌈",  # a flag
        "❤\ufe0f\u200d🔥",
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
        "1\ufe0f\u20e3",
    ):
        assert clean(text) == text
    assert clean("hi\U000e0068\U000e0069") == "hi"  # tags smuggling words out of a flag
    assert clean("👨\u200da") == "👨a"


def test_hangul_fillers_that_make_a_name_look_blank_go() -> None:
    assert clean("\u3164\u3164") == ""


def test_entities_move_with_what_was_removed() -> None:
    # "\u202e" removed before a bold word: the bold still covers the word.
    text = "a\u202e😀 bold\u200b end"
    bold = {"type": "bold", "offset": utf16_len("a\u202e😀 "), "length": utf16_len("bold\u200b")}
    cleaned, entities = clean_with_entities(text, [bold])
    assert cleaned == "a😀 bold end"
    (moved,) = entities
    assert moved["type"] == "bold"
    start = moved["offset"]
    assert (
        cleaned.encode("utf-16-le")[2 * start : 2 * (start + moved["length"])].decode("utf-16-le")
        == "bold"
    )


def test_an_entity_over_only_removed_characters_goes() -> None:
    cleaned, entities = clean_with_entities(
        "x\u200b\u200by", [{"type": "bold", "offset": 1, "length": 2}]
    )
    assert cleaned == "xy" and entities == ()


def test_clean_text_keeps_its_entities_as_they_are() -> None:
    entities = ({"type": "italic", "offset": 0, "length": 2},)
    assert clean_with_entities("hi", entities) == ("hi", entities)


def test_an_entity_ending_inside_a_removed_surrogate_pair_goes() -> None:
    """Found by the property below: a stray tag character is two UTF-16 units."""
    assert clean_with_entities("\U000e0067", [{"type": "bold", "offset": 0, "length": 1}]) == (
        "",
        (),
    )
    kept = clean_with_entities("ab\U000e0067c", [{"type": "bold", "offset": 1, "length": 3}])
    assert kept == ("abc", ({"type": "bold", "offset": 1, "length": 1},))


@given(texts, st.data())
def test_entities_always_cover_the_same_surviving_characters(
    text: str, data: st.DataObject
) -> None:
    size = utf16_len(text)
    start = data.draw(st.integers(0, size))
    length = data.draw(st.integers(0, size - start))
    cleaned, entities = clean_with_entities(
        text, [{"type": "bold", "offset": start, "length": length}]
    )
    assert cleaned == clean(text)
    for e in entities:
        assert e["offset"] >= 0 and e["offset"] + e["length"] <= utf16_len(cleaned)
        assert e["length"] > 0 or cleaned == text


def test_a_language_tag_is_kept_as_telegram_would_send_it() -> None:
    from veil.domain.model import language_tag

    assert language_tag("en") == "en" and language_tag("pt_BR") == "pt-BR"
    assert language_tag("zh-hans-cn-x-private") == "zh-hans-cn-x"  # 16 characters at most
    assert language_tag("ru-" + "q" * 40) == "ru"
    assert language_tag("") is None and language_tag(None) is None
    assert language_tag("\u202een") is None and language_tag("1-en") is None
