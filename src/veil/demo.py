"""``veil demo``: the whole system against faketg, a scripted client and agent.

Everything runs in this one process: the fake Telegram server, the bot (polling it over
HTTP exactly as it would poll Telegram) and the script. It prints, step by step, what
the client saw next to what the agents saw, then checks that neither side saw who the
other is.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from veil.bootstrap import Veil, build
from veil.config import Settings
from veil.domain.model import Role
from veil.faketg import FakeTelegram
from veil.services.people import set_role

TOKEN = "100000001:DEMO-not-a-real-token"
WAIT = 15.0


@dataclass
class People:
    client: int
    agent: int
    desk: int
    client_secrets: list[str] = field(default_factory=list)
    agent_secrets: list[str] = field(default_factory=list)


KINDS = (
    "photo",
    "video",
    "voice",
    "document",
    "sticker",
    "audio",
    "animation",
    "video_note",
    "location",
    "venue",
    "contact",
    "poll",
)
SERVICE = {
    "forum_topic_created": "topic opened",
    "forum_topic_closed": "topic closed",
    "forum_topic_reopened": "topic reopened",
    "forum_topic_edited": "topic renamed",
}


def _describe(message: dict[str, Any]) -> str:
    """One message as a person would read it, escaped for rich's markup."""
    for key, label in SERVICE.items():
        if key in message:
            return escape(f"({label})")
    kind = next((k for k in KINDS if k in message), None)
    text = message.get("text") or message.get("caption") or ""
    markup = message.get("reply_markup", {}).get("inline_keyboard", [])
    buttons = " ".join(f"[{b['text']}]" for row in markup for b in row)
    parts = [f"[{kind}]" if kind else "", text, "(edited)" if message.get("edit_date") else ""]
    line = " ".join(p for p in parts if p)
    return escape(line + (f"\n{buttons}" if buttons else ""))


class Script:
    def __init__(self, tg: FakeTelegram, people: People, console: Console, delay: float) -> None:
        self.tg = tg
        self.people = people
        self.console = console
        self.delay = delay
        self.table = Table(
            "step",
            "client's chat with the bot",
            "support desk (agents)",
            show_lines=True,
            expand=True,
        )
        self._seen: dict[tuple[int, int], str] = {}
        self.topic: int | None = None

    def _new(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages that appeared, or changed, since the last step."""
        fresh = []
        for message in self.tg.messages(chat_id):
            key, shown = (chat_id, message["message_id"]), _describe(message)
            if self._seen.get(key) != shown:
                self._seen[key] = shown
                fresh.append(message)
        return fresh

    def _who(self, message: dict[str, Any], *, desk: bool) -> str:
        sender = message.get("from", {})
        if sender.get("is_bot"):
            return "Bot" if desk else "Live Support"
        return "Agent Bob" if desk else "You (Alice)"

    async def step(self, title: str, action: Callable[[], Any], until: Callable[[], bool]) -> None:
        result = action()
        if isinstance(result, Awaitable):
            await result
        await self.tg.wait_for(until, timeout=WAIT)
        await asyncio.sleep(self.delay)
        left = [
            f"{self._who(m, desk=False)}: {_describe(m)}" for m in self._new(self.people.client)
        ]
        right = [f"{self._who(m, desk=True)}: {_describe(m)}" for m in self._new(self.people.desk)]
        self.table.add_row(title, "\n".join(left), "\n".join(right))

    def client_has(self, needle: str) -> Callable[[], bool]:
        return lambda: any(needle in _describe(m) for m in self.tg.bot_messages(self.people.client))

    def desk_has(self, needle: str, count: int = 1) -> Callable[[], bool]:
        def found() -> bool:
            messages = self.tg.bot_messages(self.people.desk)
            return sum(needle in _describe(m) for m in messages) >= count

        return found

    def last_button_message(self) -> dict[str, Any]:
        return [m for m in self.tg.bot_messages(self.people.client) if m.get("reply_markup")][-1]

    def find_topic(self) -> int:
        for thread_id, topic in self.tg.topics(self.people.desk).items():
            if topic["name"].startswith("User-SUPP-"):
                return thread_id
        raise LookupError("no ticket topic")


async def _conversation(s: Script) -> None:
    p, tg = s.people, s.tg
    await s.step(
        "agent Bob sends /online (in his private chat with the bot)",
        lambda: tg.send_text(p.agent, p.agent, "/online"),
        lambda: any("You are online" in _describe(m) for m in tg.bot_messages(p.agent)),
    )
    await s.step(
        "client sends /start",
        lambda: tg.send_text(p.client, p.client, "/start"),
        s.client_has("Live Support"),
    )
    menu = s.last_button_message()
    await s.step(
        "client presses Live Support",
        lambda: tg.press_button(p.client, p.client, menu["message_id"], "sup:open"),
        lambda: s.client_has("agent has joined")() and s.desk_has("Assigned to")(),
    )
    topic = s.find_topic()
    await s.step(
        "client writes",
        lambda: tg.send_text(p.client, p.client, "Hi! I can't move my Friday booking."),
        s.desk_has("Friday booking"),
    )
    await s.step(
        "client sends a screenshot",
        lambda: tg.send_photo(p.client, p.client, caption="This is the error I get"),
        s.desk_has("error I get"),
    )
    await s.step(
        "agent answers in the topic",
        lambda: tg.send_text(
            p.agent,
            p.desk,
            "Hello! Sorry about that. Which time would suit you instead?",
            thread_id=topic,
        ),
        s.client_has("Which time"),
    )
    await s.step(
        "agent leaves an internal note",
        lambda: tg.send_text(p.agent, p.desk, "/note calendar sync bug, see #412", thread_id=topic),
        s.desk_has("Internal note saved"),
    )
    await s.step(
        "client sends two photos as an album",
        lambda: tg.send_album(p.client, p.client, ["photo", "photo"], caption="Both bookings"),
        s.desk_has("[photo]", count=3),
    )
    first = next(m for m in tg.messages(p.client) if "Friday booking" in m.get("text", ""))
    await s.step(
        "client edits their first message",
        lambda: tg.edit_text(
            p.client, p.client, first["message_id"], "Hi! I can't move my Friday 9:00 booking."
        ),
        s.desk_has("Friday 9:00"),
    )
    await s.step(
        "client shares a contact card",
        lambda: tg.send_contact(
            p.client, p.client, "+33 6 12 34 56 78", "Alice", contact_user_id=p.client
        ),
        lambda: s.desk_has("contact card")() and s.client_has("privacy")(),
    )
    await s.step(
        "agent fixes it",
        lambda: tg.send_text(
            p.agent,
            p.desk,
            "Done: your booking is now Friday 10:00. Anything else?",
            thread_id=topic,
        ),
        s.client_has("Friday 10:00"),
    )
    await s.step(
        "client ends the chat",
        lambda: tg.send_text(p.client, p.client, "/end"),
        lambda: s.client_has("Chat ended")() and s.desk_has("topic closed")(),
    )
    await s.step(
        "client lists their tickets",
        lambda: tg.send_text(p.client, p.client, "/tickets"),
        s.client_has("Your support tickets"),
    )


def _anonymity_report(tg: FakeTelegram, people: People, console: Console) -> bool:
    desk_side = str([m for m in tg.bot_messages(people.desk)])
    client_side = str([m for m in tg.bot_messages(people.client)])
    leaks = [f"desk saw {x!r}" for x in people.client_secrets if x in desk_side]
    leaks += [f"client saw {x!r}" for x in people.agent_secrets if x in client_side]
    if leaks:
        console.print("[bold red]Anonymity broken:[/bold red] " + "; ".join(leaks))
        return False
    console.print(
        "[green]✔ Agents never saw the client's[/green] name, username, Telegram id or phone "
        f"({', '.join(people.client_secrets)}); the desk knows them only as User-SUPP-…"
    )
    console.print(
        "[green]✔ The client never saw the agent's[/green] name, username or id "
        f"({', '.join(people.agent_secrets)}); they only ever saw Live Support."
    )
    return True


async def run_demo(console: Console, *, step_delay: float = 0.0) -> None:
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="scheduler_demo_bot", first_name="Scheduler")
    client = tg.add_user("Alice", last_name="Moreau", username="alice_moreau", phone="+33612345678")
    agent = tg.add_user("Bob", last_name="Lindqvist", username="bob_helps")
    desk = tg.add_supergroup("Support desk", is_forum=True, members=[agent])
    people = People(
        client,
        agent,
        desk,
        client_secrets=["Alice", "Moreau", "alice_moreau", str(client), "+33612345678"],
        agent_secrets=["Bob", "Lindqvist", "bob_helps", str(agent)],
    )
    url = await tg.start()
    console.print(f"[bold]Veil demo[/bold]: fake Telegram at {url}, desk group {desk}")
    with tempfile.TemporaryDirectory(prefix="veil-demo-") as tmp:
        settings = Settings(
            bot_token=TOKEN,
            telegram_api_url=url,
            desk_chat_id=desk,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}",
            encryption_key_file=Path(tmp) / "demo.keys",
            polling_timeout=1,
            sender_poll_interval=0.05,
            # The fake enforces no limits here; the real group budget (20 a minute)
            # would make the walk-through wait seconds between the desk's lines.
            flood_group_per_minute=6000,
        )
        veil = build(settings)
        ok = False
        try:
            await veil.prepare()
            await _make_agent(veil, agent)
            ok = await _play(veil, tg, people, console, step_delay)
        finally:
            await veil.close()
            await tg.stop()
    if not ok:
        raise SystemExit(1)


async def _make_agent(veil: Veil, telegram_id: int) -> None:
    async with veil.store() as uow:
        await set_role(uow, veil.ctx, telegram_id, Role.SUPPORT_AGENT)
        await uow.commit()


async def _play(
    veil: Veil, tg: FakeTelegram, people: People, console: Console, delay: float
) -> bool:
    stop = asyncio.Event()
    serving = asyncio.create_task(veil.serve(stop))
    script = Script(tg, people, console, delay)
    try:
        await _conversation(script)
    except TimeoutError as exc:
        console.print(script.table)
        console.print(f"[bold red]The demo stalled:[/bold red] {exc}")
        return False
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await serving
    console.print(script.table)
    return _anonymity_report(tg, people, console)
