"""The message catalog: Fluent files, one per language, English first.

A language is one file, ``locales/<code>.ftl``; keys it lacks fall back to English, so a
partial translation never leaves anyone without a text. An operator's directory
(``VEIL_LOCALES_DIR``) adds languages or overrides any text without touching the
package: its ``<code>.ftl`` files are read after Veil's own, message by message. A file
that does not parse, or a text that uses a placeholder its English original does not
give, is refused at start with the file and the message named.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle
from fluent.syntax import FluentParser, ast
from fluent.syntax.visitor import Visitor

from veil.domain.cleaning import clean

LOCALES = Path(__file__).parent / "locales"
FALLBACK = "en"


class CatalogError(Exception):
    """A text file that cannot be used; the message names the file and the text."""


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: ast.VariableReference) -> None:
        self.names.add(node.id.name)


def variables(message: ast.Message) -> set[str]:
    """The placeholders (``{ $name }``) a message uses, in its value and attributes."""
    found = _Variables()
    found.visit(message)
    return found.names


def parse(path: Path) -> ast.Resource:
    resource = FluentParser().parse(path.read_text(encoding="utf-8"))
    for entry in resource.body:
        if isinstance(entry, ast.Junk):
            content = (entry.content or "").strip()
            first = content.splitlines()[0] if content else ""
            raise CatalogError(f"{path}: cannot read {first[:80]!r}")
    return resource


def messages(resource: ast.Resource) -> dict[str, ast.Message]:
    return {e.id.name: e for e in resource.body if isinstance(e, ast.Message)}


class Catalog:
    def __init__(self, directory: Path = LOCALES, overrides: Path | None = None) -> None:
        self._bundles: dict[str, Any] = {}
        self._messages: dict[str, dict[str, ast.Message]] = {}
        for folder in (directory, overrides):
            if folder is None:
                continue
            if not folder.is_dir():
                raise CatalogError(f"{folder}: no such directory of .ftl files")
            for path in sorted(folder.glob("*.ftl")):
                self._add(path.stem.lower(), path)
        if FALLBACK not in self._bundles:
            raise CatalogError(f"no {FALLBACK}.ftl in {directory}")
        self._check_placeholders()

    def _add(self, language: str, path: Path) -> None:
        resource = parse(path)
        bundle = self._bundles.get(language)
        if bundle is None:
            bundle = self._bundles[language] = FluentBundle([language], use_isolating=False)
        bundle.add_resource(resource, allow_overrides=True)
        self._messages.setdefault(language, {}).update(messages(resource))

    def _check_placeholders(self) -> None:
        english = self._messages[FALLBACK]
        for language, found in self._messages.items():
            for key, message in found.items():
                given = variables(english[key]) if key in english else set()
                extra = variables(message) - given
                if extra:
                    raise CatalogError(
                        f"{language}: text {key!r} uses {sorted(extra)}, which English "
                        f"does not give (it has {sorted(given)})"
                    )

    @property
    def languages(self) -> list[str]:
        return sorted(self._bundles)

    def keys(self, language: str = FALLBACK) -> set[str]:
        return set(self._bundles[language]._messages)

    def placeholders(self, language: str, key: str) -> set[str]:
        return variables(self._messages[language][key])

    def language_for(self, code: str | None) -> str:
        """Telegram sends IETF tags such as ``pt-br``: try the whole tag, then its language."""
        if code:
            code = code.lower().replace("_", "-")
            for candidate in (code, code.split("-")[0]):
                if candidate in self._bundles:
                    return candidate
        return FALLBACK

    def __call__(self, language: str | None, key: str, **args: Any) -> str:
        """The text ``key`` with ``args`` in it. The catalog's words are trusted; what fills
        them (an alias, a canned answer's name, a reason, a host's appointment, a
        client's words in a transcript) is cleaned of control, direction and invisible
        characters, so that no placeholder can turn around or hide what is read."""
        args = {name: clean(v) if isinstance(v, str) else v for name, v in args.items()}
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
