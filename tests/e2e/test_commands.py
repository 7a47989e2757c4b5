"""The `veil` command as an operator meets it: clear errors, a demo that runs by itself."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.harness import TOKEN
from veil.faketg import FakeTelegram

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
    return {"VEIL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", **values}


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
        # Four bots that each fail on their own: run side by side.
        cases = [
            ({"VEIL_BOT_TOKEN": "999:WRONG"}, ["rejected by Telegram"]),
            ({"VEIL_BOT_TOKEN": TOKEN}, ["enable Topics"]),
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


async def test_db_upgrade_and_agents_commands(tmp_path: Path) -> None:
    env = _env(tmp_path)
    code, out = await veil("db", "upgrade", env=env)
    assert code == 0 and "revision veil_0003" in out
    code, out = await veil("agents", "add", "4242", env=env)
    assert code == 0 and "4242 is now a support agent: Agent-" in out
    code, out = await veil("agents", "list", env=env)
    assert code == 0 and "4242" in out and "support_agent" in out
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
