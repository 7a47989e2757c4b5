"""The bot as a real process against a Telegram that enforces its limits and misbehaves at a
rate: 429 storms, 5xx, slow answers, dropped connections, deleted topics, a moved group.

"Delivered once" is read off faketg's call log: the successful calls whose text carries a
message's tag. Tags may share a call (a bundle), never appear in two.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

from tests.conftest import require_service
from tests.e2e.harness import Desk
from veil.faketg import Chaos, FakeTelegram, RateLimits

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

REDIS_HOST = os.environ.get("VEIL_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("VEIL_TEST_REDIS_PORT", "6379"))
# Pacing as Telegram's real shape, scaled so the scenarios take seconds: a desk group
# takes 2 messages a second (the real one 20 a minute), private chats 5 a second. The
# buckets live in Redis, as they do when several processes share a desk.
BOT_SETTINGS = {
    "VEIL_FLOOD_CHAT_PER_SECOND": "5",
    "VEIL_FLOOD_GROUP_PER_MINUTE": "120",
    "VEIL_FLOOD_GLOBAL_PER_SECOND": "300",
    # Calls leave the bot a little later than their budget was taken (a unit of work
    # seals and audits in between): on a loaded 2-core machine two of them to one chat
    # arrived 1/5 s apart less 10 %. Issue 10's cost work is to shrink that gap; until
    # then the scenario paces with more room than the default 10 %.
    "VEIL_FLOOD_MARGIN": "0.3",
    "VEIL_REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
}


@pytest.fixture(autouse=True)
def _redis_is_there() -> None:
    require_service("Redis", REDIS_HOST, REDIS_PORT)


LIMITS = RateLimits(chat_per_second=5, chat_burst=5, group_per_minute=120, global_per_second=300)


def delivered(tg: FakeTelegram, chat_id: int, prefix: str) -> Counter[str]:
    """How many successful calls to ``chat_id`` carried each tag ``[<prefix>N]``."""
    seen: Counter[str] = Counter()
    for call in tg.calls:
        if call.ok and call.params.get("chat_id") == chat_id and call.method == "sendMessage":
            seen.update(re.findall(rf"\[{prefix}\d+\]", str(call.params.get("text", ""))))
    return seen


def in_order(tg: FakeTelegram, chat_id: int, thread: int | None, prefix: str) -> list[str]:
    texts = [str(m.get("text") or "") for m in tg.bot_messages(chat_id, thread)]
    return [tag for text in texts for tag in re.findall(rf"\[{prefix}\d+\]", text)]


def first_seen(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


async def converse(desk: Desk, topic: int, prefix: str, count: int = 10) -> None:
    """The client writes ``count`` tagged texts and the agent answers each second one."""
    tg, client, agent = desk.tg, desk.client.id, desk.agent.id
    for n in range(count):
        tg.send_text(client, client, f"[{prefix}{n}] client line")
        if n % 2:
            tg.send_text(agent, desk.chat_id, f"[{prefix}a{n}] agent line", thread_id=topic)


async def all_through(desk: Desk, topic: int, prefix: str, count: int = 10) -> None:
    tg = desk.tg
    client_tags = [f"[{prefix}{n}]" for n in range(count)]
    agent_tags = [f"[{prefix}a{n}]" for n in range(count) if n % 2]
    # First sightings: a repeat (a lost answer to a call Telegram did) is counted apart.
    await desk.until(
        lambda: first_seen(in_order(tg, desk.chat_id, topic, prefix)) == client_tags,
        f"all {prefix} client lines in the topic, in order",
    )
    await desk.until(
        lambda: first_seen(in_order(tg, desk.client.id, None, f"{prefix}a")) == agent_tags,
        f"all {prefix} agent lines at the client, in order",
    )


async def under_chaos(desk: Desk, topic: int, prefix: str, chaos: Chaos) -> None:
    """A whole conversation while Telegram misbehaves as ``chaos`` says."""
    desk.tg.chaos = chaos
    try:
        await converse(desk, topic, prefix)
        await all_through(desk, topic, prefix)
    finally:
        desk.tg.chaos = None


def delivered_once(desk: Desk, prefix: str) -> bool:
    """Every line of the conversation went in exactly one successful call, both ways."""
    to_desk = delivered(desk.tg, desk.chat_id, prefix)
    to_client = delivered(desk.tg, desk.client.id, f"{prefix}a")
    return set(to_desk.values()) == {1} and set(to_client.values()) == {1}


async def test_paced_under_the_limits_bundled_and_never_pushed_back(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    desk.tg.limits = LIMITS
    try:
        before = desk.tg.answered(429)
        await converse(desk, topic, "p", count=30)
        await all_through(desk, topic, "p", count=30)
        assert desk.tg.answered(429) == before  # paced: Telegram never had to say no
        assert set(delivered(desk.tg, desk.chat_id, "p").values()) == {1}
        # 30 lines and a group taking 2 a second: the queued ones went bundled.
        carriers = [
            m for m in desk.tg.bot_messages(desk.chat_id, topic) if "[p" in m.get("text", "")
        ]
        assert len(carriers) < 30
    finally:
        desk.tg.limits = None


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(desk: Desk) -> None:
    _, topic = await desk.open_ticket()
    await under_chaos(desk, topic, "s", Chaos(too_many=0.4, retry_after_max=1, seed=4))
    assert desk.tg.chaos_counts["too_many"] > 0
    assert delivered_once(desk, "s")


async def test_5xx_slow_answers_and_lost_connections_lose_and_double_nothing(
    desk: Desk,
) -> None:
    _, topic = await desk.open_ticket()
    # Connections drop before Telegram acted: a retry is safe and must come.
    chaos = Chaos(
        server_error=0.2, slow=0.2, slow_seconds=0.4, dropped=0.2, dropped_applied=0.0, seed=5
    )
    await under_chaos(desk, topic, "f", chaos)
    counts = desk.tg.chaos_counts
    assert counts["server_error"] and counts["slow"] and counts["dropped"]
    assert delivered_once(desk, "f")


async def test_a_dropped_answer_after_telegram_acted_repeats_at_most_that_message(
    desk: Desk,
) -> None:
    _, topic = await desk.open_ticket()
    dropped_before = desk.tg.chaos_counts["dropped"]
    await under_chaos(desk, topic, "d", Chaos(dropped=0.3, dropped_applied=1.0, seed=6))
    drops = desk.tg.chaos_counts["dropped"] - dropped_before
    assert drops > 0
    # Telegram did it but the answer was lost: nobody can know, so the message goes
    # again. Each such drop may repeat its own message once; nothing is lost.
    extra = sum(n - 1 for n in delivered(desk.tg, desk.chat_id, "d").values())
    extra += sum(n - 1 for n in delivered(desk.tg, desk.client.id, "da").values())
    assert 0 <= extra <= drops


async def test_topics_deleted_under_the_sender_are_opened_again(desk: Desk) -> None:
    ticket, topic = await desk.open_ticket()
    desk.tg.chaos = Chaos(thread_gone=0.3, seed=7)
    tg, client = desk.tg, desk.client.id
    try:
        for n in range(6):
            tg.send_text(client, client, f"[t{n}] still there?")
        await desk.until(
            lambda: set(delivered(tg, desk.chat_id, "t")) == {f"[t{n}]" for n in range(6)},
            "every line delivered to some topic",
        )
    finally:
        desk.tg.chaos = None
    assert tg.chaos_counts["thread_gone"] > 0
    assert set(delivered(tg, desk.chat_id, "t").values()) == {1}
    live = [
        i
        for i, t in tg.topics(desk.chat_id).items()
        if t["name"] == f"User-{ticket}" and not t["deleted"]
    ]
    assert live and live[-1] != topic
    assert any("🎫" in t for t in desk.bot_texts(desk.chat_id, live[-1]))  # with its card


async def test_a_desk_group_moved_by_telegram_is_followed(desk: Desk) -> None:
    # Last in the module: the desk has a new id afterwards.
    ticket, _ = await desk.open_ticket()
    tg = desk.tg
    new_id = tg.migrate_group(desk.chat_id)
    tg.send_text(desk.client.id, desk.client.id, "[g1] after the move")

    def topic_in_new_group() -> int | None:
        topics = tg.topics(new_id).items()
        return next((i for i, t in topics if t["name"] == f"User-{ticket}"), None)

    await desk.until(lambda: topic_in_new_group() is not None, "the topic in the new group")
    thread = topic_in_new_group()
    await desk.until(lambda: in_order(tg, new_id, thread, "g") == ["[g1]"], "[g1] arrives")
    # Agents answer from the new group; the bot knows it for the desk.
    tg.send_text(desk.agent.id, new_id, "[ga1] answer from the new group", thread_id=thread)
    await desk.until(
        lambda: in_order(tg, desk.client.id, None, "ga") == ["[ga1]"], "the answer reaches"
    )
