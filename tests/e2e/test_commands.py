"""The `veil` command as an operator meets it: clear errors, a demo that runs by itself."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import stat
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN
from tests.integration.test_migrations import HEAD
from veil.faketg import FakeTelegram
from veil.store.crypto import Keyring, generate_key

pytestmark = pytest.mark.e2e


async def veil(*args: str, env: dict[str, str] | None = None, limit: float = 60) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "veil",
        *args,
        env={**base, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), limit)
    return proc.returncode or 0, out.decode(errors="replace")


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        "VEIL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}",
        "VEIL_ENCRYPTION_KEY_FILE": str(tmp_path / "veil.keys"),
        **values,
    }


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"VEIL_DESK_CHAT_ID": "-100123"}, "VEIL_BOT_TOKEN is not set"),
        (
            {"VEIL_BOT_TOKEN": "not-a-token", "VEIL_DESK_CHAT_ID": "-100123"},
            "VEIL_BOT_TOKEN does not look like a bot token",
        ),
        ({"VEIL_BOT_TOKEN": TOKEN}, "VEIL_DESK_CHAT_ID is not set"),
        ({"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "12345"}, "VEIL_DESK_CHAT_ID must be"),
        ({"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "desk"}, "VEIL_DESK_CHAT_ID"),
        (
            {"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "-1", "VEIL_DATABASE_URL": "mysql://x"},
            "VEIL_DATABASE_URL uses 'mysql'",
        ),
        (
            {"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "-1", "VEIL_DATABASE_URL": "::"},
            "VEIL_DATABASE_URL is not a database URL",
        ),
        (
            {"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "-1", "VEIL_ADMIN_IDS": "1,bob"},
            "VEIL_ADMIN_IDS must be comma-separated",
        ),
    ],
)
async def test_run_stops_with_a_clear_message_on_bad_settings(
    tmp_path: Path, values: dict[str, str], complaint: str
) -> None:
    code, out = await veil("run", env={**_env(tmp_path), **values})
    assert code == 2
    assert complaint in out
    assert "Traceback" not in out


async def test_run_says_when_telegram_rejects_the_token_or_the_desk(tmp_path: Path) -> None:
    tg = FakeTelegram()
    tg.add_bot(TOKEN)
    group = tg.add_supergroup("Plain group", is_forum=False)
    forum = tg.add_supergroup("Desk", is_forum=True)
    url = await tg.start()
    try:
        env = _env(tmp_path, VEIL_TELEGRAM_API_URL=url, VEIL_DESK_CHAT_ID=str(group))
        fresh_keys = tmp_path / "fresh" / "veil.keys"
        # Four bots that each fail on their own: run side by side.
        cases = [
            ({"VEIL_BOT_TOKEN": "999:WRONG"}, ["rejected by Telegram"]),
            # A fresh machine: no keys yet, so the first run makes the key file.
            (
                {
                    "VEIL_BOT_TOKEN": TOKEN,
                    "VEIL_ENCRYPTION_KEY_FILE": str(fresh_keys),
                    "VEIL_DATABASE_URL": f"sqlite+aiosqlite:///{fresh_keys.parent / 'v.db'}",
                },
                ["enable Topics", f"created a new encryption key in {fresh_keys}", "Back it up"],
            ),
            ({"VEIL_BOT_TOKEN": TOKEN, "VEIL_DESK_CHAT_ID": "-100777"}, ["chat not found"]),
            (
                {
                    "VEIL_BOT_TOKEN": TOKEN,
                    "VEIL_DESK_CHAT_ID": str(forum),
                    "VEIL_REDIS_URL": "redis://127.0.0.1:1/0",
                },
                ["VEIL_REDIS_URL", "127.0.0.1:1"],
            ),
        ]
        results = await asyncio.gather(*(veil("run", env={**env, **values}) for values, _ in cases))
        for (code, out), (_, complaints) in zip(results, cases, strict=True):
            assert code == 2 and all(c in out for c in complaints), out
            assert "Traceback" not in out
        assert stat.S_IMODE(fresh_keys.stat().st_mode) == 0o600
        assert len(fresh_keys.read_text().split()) == 1
        # The key lost (another one in its place): the database is refused, not mixed up.
        other = _env(fresh_keys.parent, VEIL_ENCRYPTION_KEYS=generate_key())
        code, out = await veil("db", "upgrade", env=other)
        assert code == 2 and "the encryption keys do not open this database" in out, out
        assert Keyring.parse(fresh_keys.read_text()).newest in out  # names the key it needs
    finally:
        await tg.stop()


async def test_demo_runs_a_whole_conversation_by_itself() -> None:
    code, out = await veil("demo", limit=120)
    assert code == 0, out
    for seen in (
        "client presses Live Support",
        "Agent Bob: Hello!",
        "Internal note saved",
        "Live Support: Hello!",
        "Agents never saw",
        "client never saw",
    ):
        assert seen in out


async def test_db_upgrade_agents_and_keys_commands(tmp_path: Path) -> None:
    env = _env(tmp_path)
    code, out = await veil("db", "upgrade", env=env)
    assert code == 0 and f"revision {HEAD}" in out
    code, out = await veil("agents", "add", "4242", env=env)
    assert code == 0 and "4242 is now a support agent: Agent-" in out
    code, out = await veil("keys", "generate", env=env)
    assert code == 0 and Keyring([out.strip()]).newest  # a key, and only a key, on stdout
    old = Keyring.parse((tmp_path / "veil.keys").read_text()).newest
    code, out = await veil("keys", "generate", "--add", env=env)
    assert code == 0 and "then run `veil keys promote`" in out
    assert Keyring.parse((tmp_path / "veil.keys").read_text()).newest == old  # opens only
    code, out = await veil("keys", "promote", env=env)
    assert code == 0 and "then run `veil keys rotate`" in out
    keys = Keyring.parse((tmp_path / "veil.keys").read_text())
    assert keys.kids[1] == old and keys.newest != old
    code, out = await veil("keys", "status", env=env)
    assert code == 0 and "support_people.telegram_id: 1 under an older key" in out
    code, out = await veil("keys", "rotate", env=env)
    assert code == 0 and "every value is sealed by the newest key" in out, out
    code, out = await veil("keys", "status", env=env)
    assert code == 0 and "under an older key" in out and ": 1 under" not in out, out
    # Only the newest key now: the agent is still found, by the hash under it.
    newest_only = (tmp_path / "veil.keys").read_text().split()[0]
    (tmp_path / "veil.keys").write_text(newest_only + "\n")
    code, out = await veil("agents", "list", env=env)
    assert code == 0 and "4242" in out and "support_agent" in out
    code, out = await veil("audit", "verify", env=env)
    assert code == 0 and "the audit log is whole: 3 entries; head #3" in out, out
    code, out = await veil("audit", "export", "--since", "2020-01-01", env=env)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [(e["actor"], e["action"]) for e in lines] == [
        ("operator:cli", "person.met"),
        ("operator:cli", "agent.added"),
        ("operator:cli", "keys.rotated"),
    ]
    assert "4242" not in out
    with sqlite3.connect(tmp_path / "v.db") as raw:
        raw.execute("UPDATE support_audit_log SET actor = 'operator:someone' WHERE seq = 1")
    code, out = await veil("audit", "verify", env=env)
    assert code == 1 and "entry 1 does not match its hash: altered" in out, out
    code, out = await veil("db", "downgrade", "base", env=env)
    assert code == 0 and "none (no Veil tables)" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_fake_telegram_runs_on_its_own() -> None:
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "veil",
        "fake-telegram",
        "--port",
        str(port),
        "--token",
        TOKEN,
        env=base,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        banner = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert f"127.0.0.1:{port}" in banner.decode()
        me = await asyncio.to_thread(
            lambda: json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"))
        )
        assert me["ok"] and me["result"]["is_bot"]
    finally:
        proc.terminate()
        await proc.wait()
