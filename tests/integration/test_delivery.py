"""Delivery under Telegram's limits, against faketg enforcing them, on both databases.

The limits are scaled up (a desk group takes 2 messages a second instead of 20 a minute)
so that the scenarios take seconds; the rules the sender follows are the same.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_KEYRING
from veil.domain.bundling import BOUNDARY
from veil.domain.pacing import FloodLimits
from veil.faketg import FakeError, FakeTelegram
from veil.faketg.limits import RateLimits
from veil.i18n import default_catalog
from veil.services import client
from veil.services.context import Context, Incoming, Sender
from veil.services.deliveries import SendText, UserChat
from veil.services.desks import DeskGroup, Desks
from veil.store import db
from veil.store.tables import support_messages, support_tickets
from veil.store.uow import SqlStore
from veil.system import utcnow
from veil.telegram.flood import MemoryFloodGate
from veil.telegram.presses import PressCodec
from veil.telegram.sender import OutboxSender

TOKEN = "78:DELIVERY"
WAIT = 30.0
# Telegram's shape at 6x... the group limit 120 a minute; private chats and the whole
# bot roomy, so that the group is the bottleneck, as on a real busy desk.
FAKE_LIMITS = RateLimits(
    chat_per_second=50, chat_burst=50, group_per_minute=120, global_per_second=500
)
GATE_LIMITS = FloodLimits(chat_per_second=40, group_per_minute=120, global_per_second=400)


@dataclass
class Scene:
    tg: FakeTelegram
    bot: Bot
    store: SqlStore
    ctx: Context
    desks: list[int]
    senders: list[OutboxSender] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    counter: int = 0

    def start(self, workers: int = 1, *, stores: list[SqlStore] | None = None) -> None:
        gate = MemoryFloodGate(GATE_LIMITS)
        for n in range(workers):
            store = stores[n] if stores else self.store
            sender = OutboxSender(
                self.bot,
                store,
                self.ctx,
                gate,
                presses=PressCodec(TEST_KEYRING, self.ctx.clock, timedelta(days=1)),
                limits=GATE_LIMITS,
                poll_interval=0.05,
                max_backoff=1,
                lease=20,
                bundle_after=0.2,
            )
            self.senders.append(sender)
            self.tasks.append(asyncio.create_task(sender.run()))

        def wake() -> None:
            for sender in self.senders:
                sender.wake()

        self.store.on_commit = wake

    async def stop(self) -> None:
        for sender in self.senders:
            sender.stop()
        await asyncio.gather(*self.tasks)

    async def until(self, predicate: Callable[[], bool]) -> None:
        await self.tg.wait_for(predicate, timeout=WAIT * 8, stall=WAIT)

    async def open_ticket(self, name: str) -> tuple[int, int, int]:
        """A client opens a ticket; returns their Telegram id, the desk and the topic."""
        person = self.tg.add_user(name)
        async with self.store() as uow:
            ticket = await client.open_ticket(uow, self.ctx, Sender(person))
            await uow.commit()
        name_in_desk = f"User-{ticket.public_id}"

        def topic() -> tuple[int, int] | None:
            for desk in self.desks:
                for thread, t in self.tg.topics(desk).items():
                    if t["name"] == name_in_desk and not t["deleted"]:
                        return desk, thread
            return None

        await self.until(lambda: topic() is not None)
        desk, thread = topic() or (0, 0)
        await self.until(lambda: any("🎫" in _text(m) for m in self.tg.bot_messages(desk, thread)))
        return person, desk, thread

    async def client_writes(self, person: int, *texts: str) -> None:
        for text in texts:
            self.counter += 1
            msg = Incoming(person, 10_000 + self.counter, Sender(person), "text", text)
            async with self.store() as uow:
                await client.relay_from_client(uow, self.ctx, msg)
                await uow.commit()

    def desk_texts(self, desk: int, thread: int) -> list[str]:
        return [_text(m) for m in self.tg.bot_messages(desk, thread) if "🎫" not in _text(m)]


def _text(message: dict[str, object]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _tags(texts: list[str]) -> list[str]:
    return [tag for text in texts for tag in re.findall(r"\[m\d+\]", text)]


@pytest.fixture
async def scene(engine: AsyncEngine) -> AsyncIterator[Scene]:
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="delivery_bot")
    desk = tg.add_supergroup("Desk", is_forum=True)
    url = await tg.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    store = SqlStore(engine, utcnow)
    ctx = Context(utcnow, default_catalog(), _suffixes(), desk)
    the_scene = Scene(tg, bot, store, ctx, [desk])
    yield the_scene
    await the_scene.stop()
    await bot.session.close()
    await tg.stop()


def _suffixes() -> Callable[[], str]:
    counter = iter(range(10**6))
    return lambda: f"D{next(counter):05d}"


async def test_a_burst_behind_the_group_limit_is_bundled_in_order(scene: Scene) -> None:
    scene.start()
    person, desk, thread = await scene.open_ticket("Burst")
    scene.tg.limits = FAKE_LIMITS
    tags = [f"[m{n}]" for n in range(40)]
    await scene.client_writes(person, *(f"{tag} where is my booking?" for tag in tags))
    await scene.until(lambda: len(_tags(scene.desk_texts(desk, thread))) == len(tags))
    texts = scene.desk_texts(desk, thread)
    assert _tags(texts) == tags  # every one, once, in order
    assert len(texts) < len(tags) // 3  # the waiting texts went bundled
    assert any(BOUNDARY in t for t in texts)
    assert scene.tg.answered(429) == 0  # paced, not pushed back
    # Every text learns the desk message carrying it (recorded just after the call),
    # so agents' replies map back.
    for _ in range(100):
        async with scene.store() as uow:
            query = select(support_messages.c.desk_message_id)
            rows = (await uow.session.execute(query)).all()
        if rows and all(r.desk_message_id is not None for r in rows):
            break
        await asyncio.sleep(0.05)
    assert len(rows) == len(tags) and all(r.desk_message_id is not None for r in rows)


async def test_an_edit_of_a_bundled_text_follows_as_a_reply(scene: Scene) -> None:
    scene.start()
    person, desk, thread = await scene.open_ticket("Editor")
    scene.tg.limits = FAKE_LIMITS
    await scene.client_writes(person, *(f"[m{n}] line" for n in range(8)))
    await scene.until(lambda: len(_tags(scene.desk_texts(desk, thread))) == 8)
    bundled = next(m for m in scene.tg.bot_messages(desk, thread) if BOUNDARY in _text(m))
    last_tag = _tags([_text(bundled)])[-1]
    client_message_id = 10_000 + scene.counter - 7 + int(last_tag[2:-1])
    edit = Incoming(person, client_message_id, Sender(person), "text", "[m99] corrected")
    async with scene.store() as uow:
        await client.edit_from_client(uow, scene.ctx, edit)
        await uow.commit()
    await scene.until(lambda: any("[m99] corrected" in t for t in scene.desk_texts(desk, thread)))
    reply = next(m for m in scene.tg.bot_messages(desk, thread) if "[m99]" in _text(m))
    assert reply["reply_to_message"]["message_id"] == bundled["message_id"]
    assert scene.tg.message(desk, bundled["message_id"])["text"] == _text(bundled)  # intact


async def test_an_album_goes_as_one_call(scene: Scene) -> None:
    scene.start()
    person, desk, thread = await scene.open_ticket("Album")
    items = scene.tg.send_album(person, person, ["photo", "photo", "photo"], caption="my rash")
    for item in items:
        msg = Incoming(
            person,
            item["message_id"],
            Sender(person),
            "photo",
            item.get("caption"),
            media_group_id=item["media_group_id"],
        )
        async with scene.store() as uow:
            await client.relay_from_client(uow, scene.ctx, msg)
            await uow.commit()
    await scene.until(lambda: len(scene.tg.bot_messages(desk, thread)) >= 4)
    copies = [c for c in scene.tg.calls if c.method in ("copyMessage", "copyMessages")]
    assert [c.method for c in copies] == ["copyMessages"]
    photos = [m for m in scene.tg.bot_messages(desk, thread) if "photo" in m]
    assert len(photos) == 3 and len({m["media_group_id"] for m in photos}) == 1
    assert photos[0]["caption"] == "my rash"


async def test_a_429_pauses_that_chat_and_the_others_go_on(scene: Scene) -> None:
    scene.start()
    person, desk, thread = await scene.open_ticket("Paused")
    others = [scene.tg.add_user(f"Other{n}") for n in range(3)]
    async with scene.store() as uow:
        users = [await client.ensure_user(uow, scene.ctx, Sender(o)) for o in others]
        await uow.commit()
    scene.tg.fail_next(FakeError.too_many_requests(2), chat_id=desk)
    await scene.client_writes(person, "[m1] stuck behind a 429")
    async with scene.store() as uow:
        for user in users:
            uow.outbox.add(SendText(UserChat(user.id or 0), "you are next"))
        await uow.commit()
    await scene.until(lambda: all(scene.tg.bot_messages(o) for o in others))
    assert not _tags(scene.desk_texts(desk, thread))  # still paused
    await scene.until(lambda: _tags(scene.desk_texts(desk, thread)) == ["[m1]"])
    assert scene.senders[0].metrics.snapshot().too_many_requests == 1


async def test_several_workers_never_send_a_row_twice(scene: Scene, database_url: str) -> None:
    # Four workers, each with its own connection pool, as four processes would have.
    engines = [db.make_engine(database_url, keyring=TEST_KEYRING) for _ in range(4)]
    stores = [SqlStore(e, utcnow) for e in engines]
    scene.start(workers=4, stores=stores)
    people = [scene.tg.add_user(f"Many{n}") for n in range(6)]
    async with scene.store() as uow:
        users = [await client.ensure_user(uow, scene.ctx, Sender(p)) for p in people]
        await uow.commit()
    for n in range(25):
        async with scene.store() as uow:
            for user in users:
                uow.outbox.add(SendText(UserChat(user.id or 0), f"[m{n}]"))
            await uow.commit()
    expected = [f"[m{n}]" for n in range(25)]
    try:
        await scene.until(lambda: all(len(scene.tg.bot_messages(p)) >= 25 for p in people))
        await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    finally:
        await scene.stop()
        for engine in engines:
            await engine.dispose()
    for person in people:
        assert [_text(m) for m in scene.tg.bot_messages(person)] == expected
    assert all(s.metrics.snapshot().delivered > 0 for s in scene.senders)  # all took part


async def test_a_migrated_desk_group_is_followed(scene: Scene) -> None:
    scene.start()
    person, old_desk, _thread = await scene.open_ticket("Moving")
    new_desk = scene.tg.migrate_group(old_desk)
    scene.desks.append(new_desk)
    await scene.client_writes(person, "[m1] after the move")
    await scene.until(lambda: any("[m1]" in _text(m) for m in scene.tg.bot_messages(new_desk)))
    assert scene.ctx.desks.is_desk(new_desk) and not scene.ctx.desks.is_desk(old_desk)
    async with scene.store() as uow:
        desks = (await uow.session.execute(select(support_tickets.c.desk_chat_id))).all()
        moves = await uow.desk_moves.all()
    assert {d.desk_chat_id for d in desks} == {new_desk}
    assert list(moves) == [(old_desk, new_desk)]


async def test_tickets_spread_over_several_desk_groups(engine: AsyncEngine) -> None:
    tg = FakeTelegram()
    tg.add_bot(TOKEN, username="delivery_bot")
    first = tg.add_supergroup("Desk A", is_forum=True)
    second = tg.add_supergroup("Desk B", is_forum=True)
    url = await tg.start()
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    desks = Desks([DeskGroup(first), DeskGroup(second)])
    ctx = Context(utcnow, default_catalog(), _suffixes(), first, desk_groups=desks)
    scene = Scene(tg, bot, SqlStore(engine, utcnow), ctx, [first, second])
    scene.start()
    try:
        where = [(await scene.open_ticket(f"Shard{n}"))[1] for n in range(4)]
    finally:
        await scene.stop()
        await bot.session.close()
        await tg.stop()
    assert sorted(where) == sorted([first, first, second, second])
