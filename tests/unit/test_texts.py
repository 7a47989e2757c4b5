"""Every text a person reads comes from the catalog, and every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veil.i18n import Catalog, CatalogError, default_catalog

SRC = Path(__file__).parents[2] / "src" / "veil"
# Literal keys handed to the catalog: texts(lang, "key"), desk_text("key"), tell(.., "key"),
# answer_in_desk(.., "key") and f"command-{c}" style keys listed separately below.
KEY_USE = re.compile(
    r"""(?:texts\((?:[^,()]|\([^()]*\))+,\s*|desk_text\(\s*|tell\(\s*uow,\s*ctx,\s*\w+,\s*|answer_in_desk\(\s*uow,\s*ctx,\s*msg,\s*)"([a-z0-9-]+)"""
)
# A use case may hand a key back for its caller to say (``return "desk-note-saved"``).
RETURNED_KEY = re.compile(r'return\s+"([a-z]+-[a-z0-9-]+)"')


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in SRC.rglob("*.py"):
        source = path.read_text()
        keys.update(KEY_USE.findall(source), RETURNED_KEY.findall(source))
    return keys


def test_the_scan_finds_keys_at_all() -> None:
    assert {"ticket-opened", "desk-note-saved", "card", "error-try-again"} <= _used_keys()


def test_every_key_used_in_code_is_in_english() -> None:
    from veil.services.desk import _CLOSING_TEXTS

    closing = {key for keys in _CLOSING_TEXTS.values() for key in keys}
    missing = (_used_keys() | closing) - default_catalog().keys("en")
    assert not missing, f"keys used but not in en.ftl: {sorted(missing)}"


@pytest.mark.parametrize("status", ["new", "open", "closed"])
def test_every_status_has_a_text(status: str) -> None:
    assert default_catalog()(None, f"status-{status}")


def test_a_language_is_one_file_and_falls_back_to_english(tmp_path: Path) -> None:
    english = (SRC / "locales" / "en.ftl").read_text()
    (tmp_path / "en.ftl").write_text(english)
    (tmp_path / "de.ftl").write_text("menu = Willkommen!\n")
    catalog = Catalog(tmp_path)
    assert catalog("de", "menu") == "Willkommen!"
    assert catalog("de-AT", "menu") == "Willkommen!"
    assert catalog("de", "button-end-chat") == catalog("en", "button-end-chat")
    assert catalog("xx", "menu") == catalog("en", "menu")


def test_an_unknown_key_is_a_loud_error() -> None:
    with pytest.raises(KeyError):
        default_catalog()("en", "no-such-text")


SHIPPED = sorted(path.stem for path in (SRC / "locales").glob("*.ftl"))


def test_russian_ships_with_the_package() -> None:
    assert {"en", "ru"} <= set(SHIPPED)


@pytest.mark.parametrize("language", [lang for lang in SHIPPED if lang != "en"])
def test_every_text_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    catalog = default_catalog()
    english, other = catalog.keys("en"), catalog.keys(language)
    assert sorted(english - other) == [], f"missing in {language}.ftl"
    assert sorted(other - english) == [], f"in {language}.ftl but not in English"
    differing = {
        key: (sorted(catalog.placeholders("en", key)), sorted(catalog.placeholders(language, key)))
        for key in english
        if catalog.placeholders("en", key) != catalog.placeholders(language, key)
    }
    assert differing == {}


def test_each_person_reads_their_telegram_language() -> None:
    texts = default_catalog()
    assert texts("ru", "ticket-opened", ticket="SUPP-1-X").startswith("✅ Вы на связи")
    assert texts("ru-RU", "button-live-support") == "🛟 Живая поддержка"
    assert texts("en-GB", "button-live-support") == "🛟 Live Support"


def test_an_operators_directory_overrides_texts_and_adds_languages(tmp_path: Path) -> None:
    (tmp_path / "en.ftl").write_text("menu = 🌞 Welcome to Sunny Clinic!\n")
    (tmp_path / "de.ftl").write_text("button-live-support = 🛟 Live-Support\n")
    catalog = Catalog(overrides=tmp_path)
    assert catalog("en", "menu") == "🌞 Welcome to Sunny Clinic!"
    assert catalog("de", "button-live-support") == "🛟 Live-Support"
    assert catalog("de", "menu") == "🌞 Welcome to Sunny Clinic!"  # German falls back
    assert catalog("ru", "menu") == default_catalog()("ru", "menu")  # untouched
    assert catalog("en", "ticket-opened", ticket="T") == default_catalog()(
        "en", "ticket-opened", ticket="T"
    )


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("ticket-opened = Your ticket is { $tikcet }\n", "tikcet"),
        ("menu = fine\nthis is not fluent\n", "cannot read"),
    ],
)
def test_an_operators_text_that_cannot_work_is_refused_at_start(
    tmp_path: Path, content: str, complaint: str
) -> None:
    (tmp_path / "en.ftl").write_text(content)
    with pytest.raises(CatalogError, match=complaint):
        Catalog(overrides=tmp_path)
