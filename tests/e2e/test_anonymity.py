"""The anonymity rules in the places where they are easiest to break."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_KEYRING
from tests.e2e.harness import Desk

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_forwarded_message_arrives_without_its_origin(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg = desk.tg
    # The client forwards something the bot once sent them, and something of their own.
    own = tg.send_text(desk.client.id, desk.client.id, "note to self: booking ref 7781")
    tg.forward(desk.client.id, desk.client.id, desk.client.id, own["message_id"])
    await desk.until(
        lambda: sum("booking ref 7781" in t for t in desk.bot_texts(desk.chat_id, topic)) == 2,
        "both copies in the topic",
    )
    for message in desk.tg.bot_messages(desk.chat_id, topic):
        assert "forward_origin" not in message
        assert "forward_from" not in message


async def test_mentions_that_name_a_person_are_removed_both_ways(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c, a = desk.tg, desk.client.id, desk.agent.id
    me = {"id": c, "is_bot": False, "first_name": desk.client.first_name}
    tg.send_text(
        c,
        c,
        "this is me, please help",
        entities=[{"type": "text_mention", "offset": 0, "length": 4, "user": me}],
    )
    got = await desk.desk_gets("please help", topic)
    assert all(e["type"] != "text_mention" for e in got.get("entities", []))
    agent = {"id": a, "is_bot": False, "first_name": desk.agent.first_name}
    tg.send_photo(
        a,
        desk.chat_id,
        caption="signed, your agent",
        thread_id=topic,
        caption_entities=[{"type": "text_mention", "offset": 8, "length": 10, "user": agent}],
    )
    back = await desk.client_gets("signed, your agent")
    assert all(e["type"] != "text_mention" for e in back.get("caption_entities", []))
    # Nothing in the client's chat was posted by the agent: only the bot's copies.
    assert all(m["from"]["id"] != a for m in tg.messages(c)), "an agent's message at the client"


async def test_caption_edits_follow_without_names(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, c = desk.tg, desk.client.id
    photo = tg.send_photo(c, c, caption="old caption")
    copy = await desk.desk_gets("old caption", topic)
    tg.edit_caption(c, c, photo["message_id"], "new caption")
    await desk.desk_gets("new caption", topic)
    assert tg.message(desk.chat_id, copy["message_id"])["caption"] == "new caption"


async def test_the_desk_sees_a_pseudonym_and_the_client_sees_live_support(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    assert desk.tg.topics(desk.chat_id)[topic]["name"] == f"User-{ticket}"
    desk.tg.send_text(desk.agent.id, desk.chat_id, "Hi, this is support", thread_id=topic)
    answer = await desk.client_gets("this is support")
    assert "forward_origin" not in answer and "forward_from" not in answer
    assert all(m["from"]["id"] != desk.agent.id for m in desk.tg.messages(desk.client.id))
    assert desk.agent.first_name not in str(answer)


async def test_an_edit_cannot_smuggle_a_mention_across(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    tg, a = desk.tg, desk.agent.id
    sent = tg.send_text(a, desk.chat_id, "ask my colleague", thread_id=topic)
    await desk.client_gets("ask my colleague")
    colleague = {"id": desk.outsider.id, "is_bot": False, "first_name": "Mallory"}
    mention = {"type": "text_mention", "offset": 17, "length": 3, "user": colleague}
    link = {"type": "text_link", "offset": 21, "length": 12, "url": f"tg://user?id={a}"}
    tg.edit_text(
        a,
        desk.chat_id,
        sent["message_id"],
        "ask my colleague Mal (see profile)",
        entities=[mention, link],
    )
    edited = await desk.client_gets("(see profile)")
    assert edited.get("entities", []) == []


async def test_a_stolen_database_holds_no_text_and_no_client_id(
    desk: Desk, backend_url: str
) -> None:
    """What a conversation leaves in the database file (SQLite, its WAL included) or in a
    dump (PostgreSQL) names neither what the client wrote nor who they are."""
    secret = "zebra canary 4242 at Rue Oberkampf"
    _, topic = await desk.open_ticket()
    desk.tg.send_text(desk.client.id, desk.client.id, secret)
    await desk.desk_gets(secret, topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "/note Oberkampf again", thread_id=topic)
    desk.tg.send_text(desk.agent.id, desk.chat_id, "noted, Oberkampf", thread_id=topic)
    await desk.client_gets("noted, Oberkampf")
    # The words are kept (readable with the key), so what follows is not vacuous.
    stored = await _stored_texts(backend_url)
    assert secret in stored and "noted, Oberkampf" in stored

    raw = _raw_database(backend_url)
    client_id = desk.client.id
    assert b"Oberkampf" not in raw and b"zebra canary" not in raw
    assert str(client_id).encode() not in raw
    # SQLite keeps integers in binary, big-endian, in the fewest of 1-8 bytes it needs.
    assert client_id.to_bytes(4, "big") not in raw and client_id.to_bytes(8, "big") not in raw


async def _stored_texts(url: str) -> list[str]:
    from sqlalchemy import select

    from veil.store import db
    from veil.store.tables import support_messages

    engine = db.make_engine(url, keyring=TEST_KEYRING)
    try:
        async with engine.connect() as conn:
            return [str(t) for t in await conn.scalars(select(support_messages.c.text)) if t]
    finally:
        await engine.dispose()


def _raw_database(url: str) -> bytes:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(str(parsed.database))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            str(parsed.host),
            "-p",
            str(parsed.port or 5432),
            "-U",
            str(parsed.username),
            str(parsed.database),
        ],
        capture_output=True,
        check=True,
    )
    return dump.stdout
