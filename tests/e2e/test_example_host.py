"""The example host (examples/scheduler) with Veil embedded, as a real process against
faketg, on SQLite and PostgreSQL: the host's flows untouched, support about an
appointment, a reschedule the client confirms, and nobody's identity across sides."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from tests.conftest import TEST_KEYRING
from tests.e2e.harness import (
    STALL,
    TOKEN,
    WAIT_LIMIT,
    BotProcess,
    Person,
    anonymity_violations,
    bot_env,
)
from veil.faketg import FakeTelegram
from veil.store import db

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

EXAMPLE = Path(__file__).parents[2] / "examples" / "scheduler"
WELCOME = "Welcome to Sunny Clinic"
HOST_FALLBACK = "I understand /book and /appointments"
VEIL_MENU = "Need a hand? Press Live Support"  # Veil's own /start, which a host keeps
VEIL_TROUBLE = "Something went wrong"
CONNECTED = "You're connected to Live Support"
NOT_CONNECTED = "You're not connected to Live Support"  # Veil's answer to a stranger's words


class Clinic:
    """The scheduler bot with its people, and ways to wait on what they see."""

    def __init__(self, tg: FakeTelegram, bot: BotProcess, desk: int, url: str) -> None:
        self.tg, self.bot, self.desk, self.url = tg, bot, desk, url
        self.alice = Person(0, "Alice", "Marsh", "alice_m")
        self.alice.id = tg.add_user("Alice", last_name="Marsh", username="alice_m")
        # A provider of the clinic's who also answers support (not one of the providers
        # clients book, whose names they are meant to see).
        self.bob = Person(0, "Carol", "Finch", "carol_f")
        self.bob.id = tg.add_user("Carol", last_name="Finch", username="carol_f")
        tg.add_member(desk, self.bob.id)

    async def until(self, predicate: Any, what: str) -> None:
        try:
            await self.tg.wait_for(predicate, timeout=WAIT_LIMIT, stall=STALL)
        except TimeoutError:
            raise AssertionError(f"timed out: {what}\n{self.bot.log()[-4000:]}") from None

    def texts(self, chat: int, thread: Any = ...) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.tg.bot_messages(chat, thread)]

    async def gets(
        self, chat: int, needle: str, thread: Any = ..., skip: int = 0
    ) -> dict[str, Any]:
        def found() -> list[dict[str, Any]]:
            return [
                m
                for m in self.tg.bot_messages(chat, thread)[skip:]
                if needle in (m.get("text") or "")
            ]

        await self.until(
            lambda: bool(found()), f"{chat} to get {needle!r}; it got {self.texts(chat)[skip:]}"
        )
        return found()[-1]

    async def say(self, person: Person, words: str, expect: str) -> dict[str, Any]:
        seen = len(self.tg.bot_messages(person.id))
        self.tg.send_text(person.id, person.id, words)
        return await self.gets(person.id, expect, skip=seen)

    async def press(self, person: Person, chat: int, message: dict[str, Any], data: str) -> None:
        self.tg.press_button(person.id, chat, message["message_id"], data, check_button=True)

    async def sql(self, query: str, **params: Any) -> list[Any]:
        engine = db.make_engine(self.url, keyring=TEST_KEYRING)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(query), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def _veil_cli(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "veil",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clinic(
    backend_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Clinic]:
    """The clinic on each backend (``backend_url``: one fresh database per module run)."""
    url = backend_url
    if url:
        tg = FakeTelegram()
        tg.add_bot(TOKEN, username="sunny_clinic_bot", first_name="Sunny Clinic")
        desk = tg.add_supergroup("Clinic support", is_forum=True, members=[])
        api = await tg.start()
        env = bot_env(url, api, desk, admins=[])
        env.update(
            SCHEDULER_BOT_TOKEN=TOKEN,
            SCHEDULER_API_URL=api,
            SCHEDULER_DATABASE_URL=url,
            VEIL_HOST_USERS_TABLE="users",
            PYTHONPATH=os.pathsep.join([str(EXAMPLE), os.environ.get("PYTHONPATH", "")]),
        )
        bot = BotProcess(
            env,
            tmp_path_factory.mktemp("host") / "host.log",
            argv=("-m", "tests.e2e.host_with_bug"),
        )
        the_clinic = Clinic(tg, bot, desk, url)
        await bot.start()
        # Ready once it polls (a long poll under way, not one done): its tables and
        # Veil's are made by then.
        account = tg.world.bots[TOKEN]
        await tg.wait_for(lambda: account.poll_generation >= 1, timeout=WAIT_LIMIT)
        # Carol is a provider in the clinic's own records, and its support agent too.
        await the_clinic.sql(
            "INSERT INTO users (telegram_id, name, role) VALUES (:id, 'Carol Finch', 'provider')",
            id=the_clinic.bob.id,
        )
        assert "support agent" in await _veil_cli(env, "agents", "add", str(the_clinic.bob.id))
        try:
            yield the_clinic
        finally:
            code = await bot.stop()
            await tg.stop()
        problems = anonymity_violations(tg, desk, [the_clinic.alice], [the_clinic.bob])
        assert not problems, "anonymity broken:\n" + "\n".join(problems[:20])
        assert code == 0, f"host exited with {code}\n{bot.log()[-3000:]}"


async def test_a_client_books_and_gets_support_about_the_appointment(clinic: Clinic) -> None:
    alice, bob, tg = clinic.alice, clinic.bob, clinic.tg
    await clinic.say(bob, "/online", "You are online")

    welcome = await clinic.say(alice, "/start", WELCOME)
    assert ("🛟 Live Support", "sup:open") in buttons(welcome)

    services = await clinic.say(alice, "/book", "Which service?")
    await clinic.press(alice, alice.id, services, "bk:1")
    times = await clinic.gets(alice.id, "When?")
    first_slot = buttons(times)[0][1]
    await clinic.press(alice, alice.id, times, first_slot)
    booked = await clinic.gets(alice.id, "Booked: Haircut")
    live = [data for label, data in buttons(booked) if "Live Support" in label]
    assert live == ["sup:open:b1"]

    # Veil answered none of the host's own commands.
    assert not any(VEIL_MENU in t or NOT_CONNECTED in t for t in clinic.texts(alice.id))

    # Live Support on the appointment: agents see what it is about, never who.
    await clinic.press(alice, alice.id, booked, live[0])
    opened = await clinic.gets(alice.id, CONNECTED)
    ticket = re.search(r"SUPP-\d+-[A-Z0-9]{6}", opened["text"])
    assert ticket is not None
    card = await clinic.gets(clinic.desk, "📅 About: Haircut")
    assert "with Dr Bob Lee" in card["text"] and "booked" in card["text"]
    topic = card["message_thread_id"]

    # In the conversation the host never hears the client; the agent does.
    seen = len(tg.bot_messages(alice.id))
    tg.send_text(alice.id, alice.id, "Could I come in later that week?")
    await clinic.gets(clinic.desk, "Could I come in later that week?", topic)
    # ... and the host's own commands stay the host's, conversation or not.
    await clinic.say(alice, "/appointments", "📅 Haircut")

    # The agent offers another slot; the client confirms; the booking moves.
    tg.send_text(bob.id, clinic.desk, "/reschedule", thread_id=topic)
    picker = await clinic.gets(clinic.desk, "Pick a slot", topic)
    label, pick = buttons(picker)[2]
    await clinic.press(bob, clinic.desk, picker, pick)
    offer = await clinic.gets(alice.id, "Live Support offers to move your Haircut")
    assert label in offer["text"]
    yes = next(data for text_, data in buttons(offer) if "Yes" in text_)
    await clinic.press(alice, alice.id, offer, yes)
    done = await clinic.gets(alice.id, "Done: your Haircut is now on")
    await clinic.gets(clinic.desk, "✅ Done: your Haircut is now on", topic)
    # The booking itself moved, in the clinic's own table.
    (slot_id, status), *_ = await clinic.sql("SELECT slot_id, status FROM bookings WHERE id = 1")
    assert status == "booked" and f"bs:1:{slot_id}" != first_slot
    new_when = done["text"].split("is now on ")[1].split(" with ")[0]
    await clinic.until(
        lambda: any(new_when in t for t in clinic.texts(clinic.desk, topic) if "📅 About" in t),
        "the card to show the new time",
    )
    assert not any(HOST_FALLBACK in t for t in clinic.texts(alice.id)[seen:])
    assert not any("/appointments" in t for t in clinic.texts(clinic.desk, topic))

    # Carol is still a provider in the clinic's own records.
    assert await clinic.sql("SELECT role FROM users WHERE telegram_id = :id", id=bob.id) == [
        ("provider",)
    ]

    # The conversation over, the host has its client back.
    await clinic.say(alice, "/end", "ended")
    await clinic.say(alice, "hello again", HOST_FALLBACK)


def _menu(clinic: Clinic, scope: dict[str, Any], language: str = "") -> list[str]:
    commands = clinic.tg.world.bots[TOKEN].commands
    return [c["command"] for c in commands.get((json.dumps(scope, sort_keys=True), language), [])]


async def test_the_hosts_menu_stays_first_and_whole(clinic: Clinic) -> None:
    """The clinic set its menu for every chat (the default scope); every narrower menu
    Veil sets, in every language and for its staff, still starts with the clinic's."""
    clients = {"type": "all_private_chats"}
    carol = {"type": "chat", "chat_id": clinic.bob.id}
    await clinic.until(
        lambda: all(_menu(clinic, s, lang) for s in (clients, carol) for lang in ("", "ru")),
        "Veil's menus, merged with the clinic's",
    )
    hosts = ["book", "appointments"]
    for language in ("", "ru"):
        assert _menu(clinic, clients, language) == [*hosts, "support", "end", "tickets", "help"]
        assert _menu(clinic, carol, language)[:2] == hosts
        assert "online" in _menu(clinic, carol, language)
    assert _menu(clinic, {"type": "default"}) == hosts  # the clinic's own, untouched


async def test_a_failing_host_handler_makes_no_veil_message(clinic: Clinic) -> None:
    alice = clinic.alice
    seen = len(clinic.tg.bot_messages(alice.id))
    clinic.tg.send_text(alice.id, alice.id, "/crash")
    await clinic.say(alice, "/appointments", "📅 Haircut")
    after = clinic.texts(alice.id)[seen:]
    assert not any(VEIL_TROUBLE in t for t in after), after
    assert "RuntimeError: a bug in the host's own handler" in clinic.bot.log()
