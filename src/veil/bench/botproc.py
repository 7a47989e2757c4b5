"""The bot as a real process (``python -m veil run``) for the benchmarks, with its cost.

CPU time and peak memory come from ``/proc/<pid>/stat`` and ``/proc/<pid>/status``, read
every second and once more right before the process is signalled, and summed over every
process a run started (a run with ``--kill-every`` starts several).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from veil.config import Settings
from veil.store.crypto import generate_key

TOKEN = "424242:BENCH-not-a-real-token"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class BenchError(Exception):
    """The benchmark can't run as asked; the message says why."""


def multi_desk_setting() -> str | None:
    """The environment variable naming several desk groups, if this Veil has one."""
    return "VEIL_DESK_CHAT_IDS" if "desk_chat_ids" in Settings.model_fields else None


def bot_env(
    database_url: str,
    api_url: str,
    desks: list[int],
    *,
    log_level: str,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of ``veil run`` against faketg: short polls, quick sender wake-ups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    env.update(
        VEIL_BOT_TOKEN=TOKEN,
        VEIL_TELEGRAM_API_URL=api_url,
        VEIL_DESK_CHAT_ID=str(desks[0]),
        VEIL_ADMIN_IDS="",
        VEIL_DATABASE_URL=database_url,
        VEIL_POLLING_TIMEOUT="1",
        VEIL_SENDER_POLL_INTERVAL="0.1",
        VEIL_LOG_LEVEL=log_level,
        # A throwaway key for the run: the bench's databases are its own.
        VEIL_ENCRYPTION_KEYS=generate_key(),
    )
    if len(desks) > 1:
        setting = multi_desk_setting()
        if setting is None:
            raise BenchError(
                f"--desks {len(desks)} is not supported yet: this Veil has no setting for "
                "several desk groups (VEIL_DESK_CHAT_IDS). Run with --desks 1."
            )
        env[setting] = ",".join(str(d) for d in desks)
    env.update(extra or {})
    return env


async def add_agents(env: dict[str, str], telegram_ids: list[int]) -> None:
    """``veil agents add`` for each id, as an operator would (it migrates the database)."""
    for telegram_id in telegram_ids:
        proc = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "veil", "agents", "add", str(telegram_id)),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await proc.communicate()
        if proc.returncode != 0:
            raise BenchError(f"veil agents add {telegram_id} failed:\n{output.decode()[-2000:]}")


@dataclass
class Usage:
    cpu_seconds: float = 0.0
    peak_rss_kb: int = 0


def read_usage(pid: int) -> Usage | None:
    """utime+stime and VmHWM of a live process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    # The command name may hold spaces; the fields after its closing parenthesis don't.
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # fields 14 and 15 of stat(5)
    peak = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )
    return Usage(cpu, peak)


class BotProcess:
    """``veil run`` in a subprocess, restartable, its log appended to one file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.started = 0
        self.kills = 0
        self.exit_codes: list[int] = []
        self._done = Usage()  # processes that ended
        self._current = Usage()  # the live one, as last read
        self._sampler: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "veil", "run", env=self.env, stdout=log, stderr=log
            )
        self.started += 1
        self._current = Usage()
        if self._sampler is None:
            self._sampler = asyncio.create_task(self._sample_forever())

    async def kill(self) -> None:
        """SIGKILL, as a crash would, then wait for the process to be gone."""
        await self._signal(signal.SIGKILL)
        self.kills += 1

    async def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 15 s); returns the exit code."""
        code = await self._signal(signal.SIGTERM)
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        return code

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def usage(self) -> Usage:
        """CPU seconds over every process so far; the highest peak RSS of any of them."""
        return Usage(
            self._done.cpu_seconds + self._current.cpu_seconds,
            max(self._done.peak_rss_kb, self._current.peak_rss_kb),
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def _signal(self, sig: signal.Signals) -> int:
        proc = self.proc
        if proc is None:
            return 0
        if proc.returncode is None:
            self._sample()
            proc.send_signal(sig)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self._done = Usage(
            self._done.cpu_seconds + self._current.cpu_seconds,
            max(self._done.peak_rss_kb, self._current.peak_rss_kb),
        )
        self._current = Usage()
        self.proc = None
        code = proc.returncode if proc.returncode is not None else 0
        self.exit_codes.append(code)
        return code

    def _sample(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            usage = read_usage(self.proc.pid)
            if usage is not None:
                self._current = usage

    async def _sample_forever(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(1.0)
