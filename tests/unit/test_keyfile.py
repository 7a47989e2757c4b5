"""Where keys come from: the setting, else the key file, else a new key file (0600)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from veil.config import ConfigError, Settings
from veil.store.crypto import Keyring, generate_key
from veil.store.keyfile import add_key, keyring_of, promote


def _settings(path: Path, keys: str | None = None) -> Settings:
    return Settings(encryption_key_file=path, encryption_keys=keys, _env_file=None)  # type: ignore[call-arg]


def test_a_fresh_machine_gets_a_key_file_only_its_owner_reads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "conf" / "veil.keys"
    with caplog.at_level(logging.WARNING):
        made = keyring_of(_settings(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"created a new encryption key in {path}" in caplog.text
    assert keyring_of(_settings(path)).kids == made.kids  # the next start reads it back


def test_the_setting_wins_over_the_file(tmp_path: Path) -> None:
    key = generate_key()
    keys = keyring_of(_settings(tmp_path / "veil.keys", key))
    assert keys.kids == Keyring([key]).kids
    assert not (tmp_path / "veil.keys").exists()


def test_without_permission_to_create_no_key_is_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no encryption keys"):
        keyring_of(_settings(tmp_path / "veil.keys"), create=False)


def test_a_key_file_others_can_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "veil.keys"
    path.write_text(generate_key() + "\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        keyring_of(_settings(path))
    assert "can be read by others" in caplog.text


def test_a_broken_key_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "veil.keys"
    path.write_text("garbage\n")
    with pytest.raises(ConfigError, match=f"the key file {path}: an encryption key is not"):
        keyring_of(_settings(path))


def test_an_added_key_opens_first_and_seals_once_promoted(tmp_path: Path) -> None:
    path = tmp_path / "veil.keys"
    old = keyring_of(_settings(path))
    sealed = old.seal("kept")
    new = generate_key()
    add_key(path, new)
    added = keyring_of(_settings(path))
    # Every process restarted now opens with it, before any of them seals with it.
    assert added.newest == old.newest and Keyring([new]).newest in added.kids
    assert promote(path) == Keyring([new]).newest
    keys = keyring_of(_settings(path))
    assert keys.newest == Keyring([new]).newest and keys.open(sealed) == "kept"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["veil.keys"]  # no temporary left


def test_promoting_needs_a_second_key(tmp_path: Path) -> None:
    path = tmp_path / "veil.keys"
    keyring_of(_settings(path))
    with pytest.raises(ConfigError, match="holds one key"):
        promote(path)
