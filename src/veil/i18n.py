"""The message catalog: Fluent files, one per language, English first.

A second language is one more file, ``locales/<code>.ftl``; keys it lacks fall back to
English, so a partial translation never leaves anyone without a text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "en"


class Catalog:
    def __init__(self, directory: Path = LOCALES) -> None:
        self._bundles: dict[str, Any] = {}
        for path in sorted(directory.glob("*.ftl")):
            bundle = FluentBundle([path.stem], use_isolating=False)
            bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
            self._bundles[path.stem.lower()] = bundle
        if FALLBACK not in self._bundles:
            raise RuntimeError(f"no {FALLBACK}.ftl in {directory}")

    @property
    def languages(self) -> list[str]:
        return sorted(self._bundles)

    def keys(self, language: str = FALLBACK) -> set[str]:
        return set(self._bundles[language]._messages)

    def language_for(self, code: str | None) -> str:
        """Telegram sends IETF tags such as ``pt-br``: try the whole tag, then its language."""
        if code:
            code = code.lower().replace("_", "-")
            for candidate in (code, code.split("-")[0]):
                if candidate in self._bundles:
                    return candidate
        return FALLBACK

    def __call__(self, language: str | None, key: str, **args: Any) -> str:
        for lang in dict.fromkeys((self.language_for(language), FALLBACK)):
            bundle = self._bundles[lang]
            if bundle.has_message(key):
                text, errors = bundle.format_pattern(bundle.get_message(key).value, args)
                if errors:
                    raise KeyError(f"text {key!r} in {lang}: {errors}")
                return str(text)
        raise KeyError(f"no text {key!r} in the catalog")


@cache
def default_catalog() -> Catalog:
    return Catalog()
