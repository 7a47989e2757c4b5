"""The keyring: what it seals only its keys open, and it says which key is missing."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.store.crypto import Keyring, KeyringError, generate_key

OLD, NEW = generate_key(), generate_key()


@given(st.text())
def test_what_is_sealed_opens_to_the_same_text(text: str) -> None:
    keys = Keyring([NEW, OLD])
    sealed = keys.seal(text)
    assert keys.open(sealed) == text
    assert keys.sealed_by_newest(sealed)


def test_sealing_twice_gives_two_values_and_hides_the_text() -> None:
    keys = Keyring([NEW])
    first, second = keys.seal("call me at 555"), keys.seal("call me at 555")
    assert first != second and "555" not in first


def test_older_keys_open_and_only_the_newest_seals() -> None:
    old = Keyring([OLD]).seal("kept")
    both = Keyring([NEW, OLD])
    assert both.open(old) == "kept" and not both.sealed_by_newest(old)
    assert both.seal("x").startswith(both.newest + ".")


def test_a_value_whose_key_is_gone_names_that_key() -> None:
    old = Keyring([OLD])
    with pytest.raises(KeyringError, match=f"sealed with key '{old.newest}'"):
        Keyring([NEW]).open(old.seal("kept"))


def test_an_altered_value_does_not_open() -> None:
    keys = Keyring([NEW])
    sealed = keys.seal("kept")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(KeyringError, match="altered"):
        keys.open(flipped)


def test_lookups_are_stable_keyed_and_cover_every_key() -> None:
    both = Keyring([NEW, OLD])
    assert both.lookup(42) == Keyring([NEW]).lookup(42)
    assert both.lookups(42) == (Keyring([NEW]).lookup(42), Keyring([OLD]).lookup(42))
    assert both.lookup(42) != both.lookup(43)
    assert both.lookup(42) != hashlib.sha256(b"42").hexdigest()  # keyed: no one can guess it


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "no encryption key"),
        ("not-a-key", "not a Fernet key"),
        (f"{NEW},{NEW}", "listed twice"),
    ],
    # Named by the complaint, not by a key made at import: every xdist worker imports
    # this module, and the workers must collect the same test names.
    ids=["empty", "not-a-key", "listed-twice"],
)
def test_bad_keys_are_refused_with_the_reason(text: str, complaint: str) -> None:
    with pytest.raises(KeyringError, match=complaint):
        Keyring.parse(text)


def test_keys_may_be_separated_by_commas_or_lines() -> None:
    assert Keyring.parse(f"{NEW}, {OLD}").kids == Keyring.parse(f"{NEW}\n{OLD}\n").kids


def test_a_value_opened_before_opens_from_memory_and_an_altered_one_still_fails() -> None:
    keys = Keyring([NEW])
    sealed = keys.seal("remembered")
    kid, _, token = sealed.partition(".")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    assert keys.open(sealed) == "remembered"
    assert keys.open(sealed) == "remembered"
    with pytest.raises(KeyringError, match="altered"):
        keys.open(f"{kid}.{flipped}")


def test_what_one_keyring_opened_another_without_its_key_does_not() -> None:
    sealed = Keyring([OLD]).seal("kept")
    with pytest.raises(KeyringError, match="not among the keys"):
        Keyring([NEW]).open(sealed)


def test_the_memory_of_opened_values_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from veil.store import crypto

    monkeypatch.setattr(crypto, "OPENED_CACHE_SIZE", 3)
    keys = Keyring([NEW])
    sealed = [keys.seal(f"text {n}") for n in range(10)]
    assert [keys.open(s) for s in sealed] == [f"text {n}" for n in range(10)]
    assert len(keys._opened) == 3
