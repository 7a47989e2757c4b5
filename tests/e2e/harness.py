"""The bot as a real process, talking HTTP to a faketg server run by the test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import TEST_KEY
from veil.domain.bundling import BOUNDARY
from veil.domain.cleaning import is_clean
from veil.faketg import FakeTelegram

TOKEN = "424242:E2E-test-token"
# A wait fails once the bot made no progress for STALL seconds (it is stuck), or after
# WAIT_LIMIT in all: a busy machine makes a scenario slower, not red.
STALL = 20.0
WAIT_LIMIT = 240.0


@dataclass
class Person:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None

    def secrets(self) -> list[str]:
        return [s for s in (self.first_name, self.last_name, self.username, self.phone) if s]


class BotProcess:
    """``veil run`` in a subprocess, with its log kept for the test report."""

    def __init__(
        self, env: dict[str, str], log_path: Path, argv: tuple[str, ...] = ("-m", "veil", "run")
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.argv = argv
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0  # time.monotonic(), as faketg stamps calls

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, *self.argv, env=self.env, stdout=log, stderr=log
        )

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    @property
    def exited(self) -> bool:
        return self.proc is None or self.proc.returncode is not None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Desk:
    tg: FakeTelegram
    bot: BotProcess
    chat_id: int
    client: Person
    agent: Person
    outsider: Person
    clients: list[Person] = field(default_factory=list)

    # --- waiting ---------------------------------------------------------------
    async def until(self, predicate: Callable[[], bool], what: str) -> None:
        try:
            await self._bot_awake(predicate)
            await self.tg.wait_for(predicate, timeout=WAIT_LIMIT, stall=STALL)
        except TimeoutError:
            raise AssertionError(
                f"timed out waiting for: {what}\n--- bot log ---\n{self.bot.log()[-4000:]}"
            ) from None

    async def _bot_awake(self, predicate: Callable[[], bool]) -> None:
        """A bot (re)started a moment ago makes no call while Python imports it: seconds of
        CPU, which a busy machine (two test workers, other work) stretches past STALL. The
        stall rule applies once the process has called Telegram (or has exited)."""
        deadline = time.monotonic() + WAIT_LIMIT
        while not (predicate() or self._bot_called() or self.bot.exited):
            if time.monotonic() > deadline:
                raise TimeoutError
            with contextlib.suppress(TimeoutError):  # to look at the process again
                await self.tg.wait_for(lambda: predicate() or self._bot_called(), timeout=1.0)

    def _bot_called(self) -> bool:
        """The bot made a call since it was last started (calls are listed as they finish:
        a call of a killed process may come after the new one's first)."""
        return any(call.at >= self.bot.started_at for call in self.tg.calls[-20:])

    def bot_texts(self, chat_id: int, thread_id: Any = ...) -> list[str]:
        return [_text(m) for m in self.tg.bot_messages(chat_id, thread_id)]

    def bot_lines(self, chat_id: int, thread_id: Any = ...) -> list[str]:
        """Like bot_texts, with bundles (texts that queued behind the flood limits and went
        as one message) taken apart into the client's lines."""
        return [line for t in self.bot_texts(chat_id, thread_id) for line in t.split(BOUNDARY)]

    async def client_gets(
        self, needle: str, person: Person | None = None, *, skip: int = 0
    ) -> dict[str, Any]:
        """The newest bot message to the client containing ``needle``, among all but the
        first ``skip`` messages (so that an older, similar message does not count)."""
        chat = (person or self.client).id

        def matches() -> list[dict[str, Any]]:
            return [m for m in self.tg.bot_messages(chat)[skip:] if needle in _text(m)]

        await self.until(lambda: bool(matches()), f"client {chat} to receive {needle!r}")
        return matches()[-1]

    def client_inbox(self, person: Person | None = None) -> int:
        return len(self.tg.bot_messages((person or self.client).id))

    async def desk_gets(self, needle: str, topic: int | None = None) -> dict[str, Any]:
        thread: Any = ... if topic is None else topic
        await self.until(
            lambda: any(needle in t for t in self.bot_texts(self.chat_id, thread)),
            f"desk to receive {needle!r}",
        )
        return [m for m in self.tg.bot_messages(self.chat_id, thread) if needle in _text(m)][-1]

    # --- acting ------------------------------------------------------------------
    async def open_ticket(self, person: Person | None = None) -> tuple[str, int]:
        """The client presses Live Support; returns the ticket id and its topic."""
        person = person or self.client
        seen = self.client_inbox(person)
        self.tg.send_text(person.id, person.id, "/start")
        menu = await self.client_gets("Live Support", person, skip=seen)
        self.tg.press_button(person.id, person.id, menu["message_id"], "sup:open")
        opened = await self.client_gets("ticket is SUPP-", person, skip=seen)
        ticket = re.search(r"SUPP-\d+-[A-Z0-9]{6}", _text(opened))
        assert ticket is not None
        name = f"User-{ticket.group(0)}"

        def topic_named() -> int | None:
            topics = self.tg.topics(self.chat_id).items()
            return next((i for i, t in topics if t["name"] == name and not t["deleted"]), None)

        await self.until(lambda: topic_named() is not None, f"topic {name}")
        topic = topic_named()
        assert topic is not None
        await self.desk_gets("🎫", topic)
        return ticket.group(0), topic


def button(message: dict[str, Any], label: str) -> str:
    """The callback data of the button whose label holds ``label``, as the bot sent it
    (signed for that chat): tests press what a person sees, never a payload they made."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    found = [b["callback_data"] for row in rows for b in row if label in b["text"]]
    assert len(found) == 1, f"no single button {label!r} in {rows}"
    return str(found[0])


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def bot_env(
    database_url: str, api_url: str, desk_chat_id: int, admins: list[int]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}
    env.update(
        VEIL_BOT_TOKEN=TOKEN,
        VEIL_TELEGRAM_API_URL=api_url,
        VEIL_DESK_CHAT_ID=str(desk_chat_id),
        VEIL_ADMIN_IDS=",".join(str(a) for a in admins),
        VEIL_DATABASE_URL=database_url,
        VEIL_POLLING_TIMEOUT="1",
        VEIL_SENDER_POLL_INTERVAL="0.1",
        VEIL_SENDER_MAX_BACKOFF="1",
        # faketg enforces no limits unless a test asks; pacing as if it did would only
        # slow the scenarios down (test_delivery_limits.py runs with both on).
        VEIL_FLOOD_CHAT_PER_SECOND="200",
        VEIL_FLOOD_GROUP_PER_MINUTE="60000",
        VEIL_FLOOD_GLOBAL_PER_SECOND="2000",
        VEIL_LOG_LEVEL="INFO",
        # The digest would reach admins at any hour past 09:00: only where it is tested.
        VEIL_DAILY_REPORT="false",
        VEIL_ENCRYPTION_KEYS=TEST_KEY,
    )
    return env


async def forget_redis_keys(url: str, namespace: str) -> None:
    """Leave the shared Redis as the scenario found it."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"*{namespace}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- the anonymity rules, over every outbound call ---------------------------------


def _pattern(secret: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w+]){re.escape(secret)}(?!\w)")


def _hidden(shown: dict[str, Any]) -> list[str]:
    """Words shown in a call or a message that hide or turn text around (controls,
    direction overrides, zero-width characters): agents read none (domain.cleaning)."""
    words = [shown.get(k) for k in ("text", "caption", "name")]
    markup = shown.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if isinstance(markup, dict):
        words += [b.get("text") for row in markup.get("inline_keyboard", []) for b in row]
    return [w for w in words if isinstance(w, str) and not is_clean(w)]


def anonymity_violations(
    tg: FakeTelegram, desk_chat_id: int, clients: list[Person], agents: list[Person]
) -> list[str]:
    """Every call to a desk group or a staff member free of clients; every call to a
    client free of staff.

    Every group in the fake counts as a desk (the configured one, a second one, one that
    Telegram moved to a new id), and ``agents`` should be everyone who is not a client:
    agents named by the CLI, invited agents, admins, outsiders sitting in the desk.
    ``from_chat_id`` of copyMessage is the one exception: it tells Telegram where to copy
    from and is never shown to anyone. What the desks actually received is checked too.
    """
    desks = {desk_chat_id, *(chat for chat in tg.world.chats if chat < 0)}
    agent_ids = {a.id for a in agents}
    client_ids = {c.id for c in clients}
    client_marks = [_pattern(s) for c in clients for s in [str(c.id), *c.secrets()]]
    agent_marks = [_pattern(s) for a in agents for s in [str(a.id), *a.secrets()]]
    problems: list[str] = []
    for call in tg.calls:
        chat = call.params.get("chat_id")
        shown = {k: v for k, v in call.params.items() if k != "from_chat_id"}
        body = json.dumps(shown, ensure_ascii=False, default=str)
        if chat in desks or chat in agent_ids:
            if call.method == "forwardMessage":
                problems.append(f"forwardMessage to the desk: {body[:200]}")
            problems += [f"{call.method} to desk shows hidden {w!r}" for w in _hidden(shown)]
            problems += [
                f"{call.method} to desk carries {m.pattern}" for m in client_marks if m.search(body)
            ]
        if chat in client_ids:
            problems += [
                f"{call.method} to client carries {m.pattern}"
                for m in agent_marks
                if m.search(body)
            ]
    for desk in sorted(desks):
        for message in tg.bot_messages(desk):
            body = json.dumps(message, ensure_ascii=False, default=str)
            problems += [f"desk message shows {m.pattern}" for m in client_marks if m.search(body)]
            problems += [f"desk message shows hidden {w!r}" for w in _hidden(message)]
    for client in clients:
        for message in tg.bot_messages(client.id):
            body = json.dumps(
                {k: v for k, v in message.items() if k != "chat"}, ensure_ascii=False, default=str
            )
            problems += [f"client message shows {m.pattern}" for m in agent_marks if m.search(body)]
    return problems


@dataclass
class World:
    tg: FakeTelegram
    bot: BotProcess
    desk_id: int
    agent: Person
    outsider: Person
    admin: Person
    clients: list[Person] = field(default_factory=list)
    invited: list[Person] = field(default_factory=list)  # agents who joined by invite

    @property
    def staff(self) -> list[Person]:
        """Everyone who is not a client: what clients receive must name none of them."""
        return [self.agent, self.outsider, self.admin, *self.invited]

    def new_client(self, name: str) -> Person:
        n = len(self.clients) + 1
        person = Person(0, f"{name}{n}", "Moreau", f"client_{name.lower()}_{n}", f"+3361234{n:04d}")
        person.id = self.tg.add_user(
            person.first_name,
            last_name=person.last_name,
            username=person.username,
            phone=person.phone,
        )
        self.clients.append(person)
        return person
