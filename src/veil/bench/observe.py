"""Watching faketg for what the bot delivered: every tag, where, when, how many times.

The observer reads faketg's own state (the messages it stored), never the bot's database
or log: a message counts as delivered when faketg holds it. It re-reads a message after a
successful edit, so text added by editing a delivered message counts too. Time of
delivery: ``tg.posted_at(chat_id, message_id)``, the moment faketg stored the message (a
tag that appears through an edit: the moment the observer read the edit).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veil.bench.traffic import ANSWER_TAG, CLIENT_TAG, answer_tag, client_tag
from veil.faketg import FakeTelegram

Reader = Callable[[int, Any, float, bool], None]
EDITS = frozenset({"editMessageText", "editMessageCaption"})


@dataclass(frozen=True)
class Sent:
    sender: int  # client index (client messages) or agent index (answers)
    seq: int
    at: float
    target: int  # client index the message is about (answers: the ticket's client)


@dataclass(frozen=True)
class Seen:
    chat_id: int
    message_id: int
    at: float
    topic_client: int | None  # the client whose ticket topic it landed in (desk only)


@dataclass
class Track:
    """Sent messages of one kind (client messages or answers) and where they were seen."""

    sent: dict[str, Sent] = field(default_factory=dict)
    seen: dict[str, dict[tuple[int, int], Seen]] = field(default_factory=dict)
    delivered: int = 0  # sent tags seen at least once

    def add(self, tag: str, seen: Seen) -> bool | None:
        """Record a sighting: True if it is the tag's first, False if it is another copy,
        None if that message had been read already (an edit re-reads it)."""
        copies = self.seen.setdefault(tag, {})
        key = (seen.chat_id, seen.message_id)
        if key in copies:
            return None
        copies[key] = seen
        if len(copies) == 1:
            self.delivered += 1
            return True
        return False

    def forget(self, tag: str) -> None:
        """A message that could not be sent after all."""
        self.sent.pop(tag, None)

    def first(self, tag: str) -> Seen | None:
        copies = self.seen.get(tag)
        return min(copies.values(), key=lambda s: s.at) if copies else None

    def outstanding(self) -> list[Sent]:
        return [s for tag, s in self.sent.items() if tag not in self.seen]

    @property
    def duplicated(self) -> int:
        return sum(len(copies) - 1 for tag, copies in self.seen.items() if tag in self.sent)


class Observer:
    def __init__(self, tg: FakeTelegram, desks: list[int], clients: dict[int, int]) -> None:
        """``clients``: private chat id (= user id) -> client index."""
        self.tg = tg
        self.desks = desks
        self.client_chats = clients
        self.client_messages = Track()
        self.answers = Track()
        self.tickets: dict[str, int] = {}  # ticket public id -> client index
        self.location: dict[int, tuple[int, int]] = {}  # client -> (desk, thread) of its topic
        self.owner: dict[int, int] = {}  # client -> Telegram id of the agent named last
        self.order: dict[int, list[int]] = {}  # client -> seqs, in order of first delivery
        self.misrouted = 0  # tags delivered into another ticket's topic
        self.unknown_tags = 0
        # When each message the bot posted to each desk was stored (service messages aside).
        self.desk_posts: dict[int, list[float]] = {d: [] for d in desks}
        self._next_id: dict[int, int] = {}
        self._calls_seen = 0

    # -- what the bench tells the observer ------------------------------------------------

    def register_ticket(self, ticket: str, client: int) -> None:
        """The client learnt its ticket id; its topic (and owner) may already be there."""
        self.tickets[ticket] = client
        for desk in self.desks:
            for thread, topic in self.tg.topics(desk).items():
                if topic["name"] == f"User-{ticket}" and not topic["deleted"]:
                    self.location[client] = (desk, thread)
                    for message in self.tg.bot_messages(desk, thread):
                        self._note_owner(client, message)

    def client_sent(self, client: int, seq: int, at: float) -> str:
        tag = client_tag(client, seq)
        self.client_messages.sent[tag] = Sent(client, seq, at, client)
        return tag

    def answer_sent(self, agent: int, seq: int, at: float, client: int) -> str:
        tag = answer_tag(agent, seq)
        self.answers.sent[tag] = Sent(agent, seq, at, client)
        return tag

    def backlog(self) -> tuple[int, int, float]:
        """Client messages and answers not yet delivered, and the oldest one's age."""
        waiting = self.client_messages.outstanding() + self.answers.outstanding()
        oldest = time.time() - min(s.at for s in waiting) if waiting else 0.0
        return len(self.client_messages.outstanding()), len(self.answers.outstanding()), oldest

    # -- watching -------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            self.scan()
            await self.tg.world.changed(0.5)

    def scan(self) -> None:
        now = time.time()
        for desk in self.desks:
            self._scan_new(desk, self._desk_message)
        for chat_id in self.client_chats:
            self._scan_new(chat_id, self._client_message)
        self._scan_edits(now)

    def _scan_new(self, chat_id: int, read: Reader) -> None:
        chat = self.tg.world.chats.get(chat_id)
        if chat is None:
            return
        start = self._next_id.get(chat_id, 1)
        for message_id in range(start, chat.next_message_id):
            stored = chat.messages.get(message_id)
            if stored is not None:
                read(chat_id, stored, self.tg.posted_at(chat_id, message_id), True)
        self._next_id[chat_id] = chat.next_message_id

    def _scan_edits(self, now: float) -> None:
        calls = self.tg.calls
        for call in calls[self._calls_seen :]:
            if call.ok and call.method in EDITS:
                chat_id = call.params.get("chat_id")
                message_id = call.params.get("message_id")
                chat = self.tg.world.chats.get(_as_int(chat_id))
                stored = chat.messages.get(_as_int(message_id)) if chat else None
                if chat is not None and stored is not None:
                    reader: Reader | None = None
                    if chat.id in self.desk_posts:
                        reader = self._desk_message
                    if chat.id in self.client_chats:
                        reader = self._client_message
                    if reader is not None:
                        reader(chat.id, stored, now, False)
        self._calls_seen = len(calls)

    def _desk_message(self, desk: int, stored: Any, at: float, new: bool) -> None:
        body: dict[str, Any] = stored.body
        thread = stored.thread_id
        created = body.get("forum_topic_created")
        if created and thread is not None:
            client = self.tickets.get(str(created.get("name", "")).removeprefix("User-"))
            if client is not None:
                self.location[client] = (desk, thread)
        if stored.sender_bot is None:
            return  # the agents' own messages
        if new and not stored.is_service:
            self.desk_posts[desk].append(at)
        topic_client = self._topic_client(desk, thread)
        if topic_client is not None:
            self._note_owner(topic_client, body)
        text = str(body.get("text") or body.get("caption") or "")
        for match in CLIENT_TAG.finditer(text):
            self._client_tag(match.group(0), int(match.group(1)), desk, stored, at, topic_client)

    def _client_tag(
        self, tag: str, client: int, desk: int, stored: Any, at: float, topic_client: int | None
    ) -> None:
        sent = self.client_messages.sent.get(tag)
        if sent is None:
            self.unknown_tags += 1
            return
        first = self.client_messages.add(tag, Seen(desk, int(stored.message_id), at, topic_client))
        if first is None:
            return  # the same message read again after an edit
        if topic_client != client:
            self.misrouted += 1
        if first:
            self.order.setdefault(client, []).append(sent.seq)

    def _note_owner(self, client: int, body: dict[str, Any]) -> None:
        """A bot message naming an agent with a mention names the ticket's new owner."""
        for entity in body.get("entities") or ():
            user = entity.get("user") if entity.get("type") == "text_mention" else None
            if user:
                self.owner[client] = int(user["id"])

    def _client_message(self, chat_id: int, stored: Any, at: float, new: bool) -> None:
        if stored.sender_bot is None:
            return
        body: dict[str, Any] = stored.body
        text = str(body.get("text") or body.get("caption") or "")
        for match in ANSWER_TAG.finditer(text):
            tag = match.group(0)
            sent = self.answers.sent.get(tag)
            if sent is None:
                self.unknown_tags += 1
                continue
            first = self.answers.add(tag, Seen(chat_id, int(stored.message_id), at, None))
            if first is not None and self.client_chats.get(chat_id) != sent.target:
                self.misrouted += 1

    def _topic_client(self, desk: int, thread: int | None) -> int | None:
        if thread is None:
            return None
        topic = self.tg.world.chats[desk].topics.get(thread)
        if topic is None:
            return None
        return self.tickets.get(topic.name.removeprefix("User-"))

    # -- results ----------------------------------------------------------------------------

    def order_violations(self) -> dict[int, int]:
        """client -> how many of its messages arrived after a later one of the same ticket."""
        broken: dict[int, int] = {}
        for client, seqs in self.order.items():
            late = sum(1 for before, after in itertools.pairwise(seqs) if after < before)
            if late:
                broken[client] = late
        return broken


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
