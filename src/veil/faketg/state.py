"""The fake's world: bots, people, chats, topics and every message, held in memory.

Everything runs in one asyncio loop and no mutation awaits halfway, so plain dicts are
safe. Every change calls `World.touch()`, which wakes long polls and `wait_for` callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .chaos import ChaosDice
from .errors import FakeError, ScenarioError
from .files import FileStore
from .limits import RateLimiter

JSON = dict[str, Any]
ChatType = Literal["private", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]

# Telegram's default when a bot never said otherwise: everything but these three.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Fields of a Message that describe what happened in the chat rather than content;
# such messages cannot be copied or forwarded.
SERVICE_FIELDS = frozenset(
    {
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "new_chat_members",
        "left_chat_member",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "new_chat_title",
    }
)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the fake saw it. `result` is what the call gave: for a
    failure that was applied anyway (a dropped or timed-out call), what it did although
    the bot never saw it."""

    method: str
    params: dict[str, Any]
    token: str
    ok: bool
    result: Any
    error: dict[str, Any] | None
    at: float
    # The HTTP status answered; None when the connection was dropped without an answer.
    status: int | None = 200
    # What injected the failure or delay, if anything: "scripted" (fail_next) or a chaos
    # kind ("too_many", "slow", "dropped", ...). Failures the fake found itself (a flood
    # limit, a bad parameter) have None.
    fault: str | None = None

    @property
    def outcome(self) -> str:
        """'ok', the error description, or 'dropped': for messages about recent calls."""
        if self.ok:
            return "ok"
        if self.error is None:
            return "dropped"
        return str(self.error.get("description"))


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    # The update being POSTed now (tests wait on it to strike mid-request), and how many
    # POSTs were made in all, retries included.
    in_flight: int | None = None
    attempts: int = 0


@dataclass
class BotAccount:
    token: str
    user: JSON
    next_update_id: int
    updates: list[JSON] = field(default_factory=list)
    # None means Telegram's default set; remembered across calls like Telegram does.
    allowed_updates: frozenset[str] | None = None
    webhook: Webhook | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # Bumped by every getUpdates so an older, still waiting request can be told it lost.
    poll_generation: int = 0

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def accepts(self, update_type: str) -> bool:
        if self.allowed_updates is None:
            return update_type not in DEFAULT_EXCLUDED_UPDATES
        return update_type in self.allowed_updates


@dataclass
class Person:
    user: JSON
    phone: str | None = None
    blocked: bool = False
    deactivated: bool = False

    @property
    def id(self) -> int:
        return int(self.user["id"])


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def as_forum_topic(self) -> JSON:
        topic: JSON = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class StoredMessage:
    """A message as it is now; `body` is the Bot API Message minus `reply_to_message`,
    which is rendered on the way out so a reply always shows its target's current state."""

    body: JSON
    reply_to: int | None = None
    sender_bot: int | None = None
    sender_user: int | None = None
    deleted: bool = False
    # When it was stored, by the fake's clock with sub-second precision (`date` is whole
    # seconds): benchmarks measure delivery latency with it. Never shown to bots.
    posted_at: float = 0.0

    @property
    def message_id(self) -> int:
        return int(self.body["message_id"])

    @property
    def thread_id(self) -> int | None:
        value = self.body.get("message_thread_id")
        return int(value) if value is not None and self.body.get("is_topic_message") else None

    @property
    def is_service(self) -> bool:
        return any(key in self.body for key in SERVICE_FIELDS)


@dataclass
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    is_forum: bool = False
    person_id: int | None = None  # the other side of a private chat
    members: dict[int, MemberStatus] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None
    pinned: list[int] = field(default_factory=list)
    # The reply keyboard the bot last showed here; Telegram never returns it in a Message.
    reply_keyboard: JSON | None = None
    invite_links: list[JSON] = field(default_factory=list)

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_message(self, message_id: int) -> StoredMessage | None:
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message

    def live_topic(self, thread_id: int) -> Topic | None:
        topic = self.topics.get(thread_id)
        return None if topic is None or topic.deleted else topic

    def delete_topic(self, topic: Topic) -> None:
        """A deleted topic takes all its messages with it."""
        topic.deleted = True
        for message in self.messages.values():
            if message.thread_id == topic.thread_id:
                message.deleted = True


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class Fault:
    error: FakeError
    method: str | None  # lower-cased
    chat_id: int | None
    remaining: int

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method is None:
            # A running poller would otherwise swallow faults meant for sends.
            if method.lower() == "getupdates":
                return False
        elif self.method != method.lower():
            return False
        return self.chat_id is None or chat_id == self.chat_id


class World:
    """All state of one fake Telegram."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.bots: dict[str, BotAccount] = {}
        self.people: dict[int, Person] = {}
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.calls: list[ApiCall] = []
        self.unknown_methods: list[str] = []
        self.callbacks: dict[str, CallbackQuery] = {}
        self.callback_answers: dict[str, JSON] = {}
        self.faults: list[Fault] = []
        self.limiter = RateLimiter()
        self.chaos = ChaosDice()
        self.closing = False
        self.webhook_tasks: dict[str, asyncio.Task[None]] = {}
        self._random = random.Random()
        self._next_user_id = 500_000_001
        self._next_group_number = 1_001_234_567_890
        self._next_query_id = self._random.randint(10**17, 9 * 10**17)
        self._next_media_group = self._random.randint(10**16, 9 * 10**16)
        # One event per loop, so a FakeTelegram outliving one test's loop still works.
        self._changed: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    # -- change notification -------------------------------------------------------------

    def touch(self) -> None:
        """Record that something changed; wakes everyone waiting in `changed()`."""
        events, self._changed = self._changed, {}
        for event in events.values():
            event.set()

    async def changed(self, within: float) -> None:
        """Wait until the next `touch()` or until `within` seconds pass."""
        loop = asyncio.get_running_loop()
        event = self._changed.get(loop)
        if event is None:
            event = self._changed[loop] = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), within)

    # -- ids ------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def new_user_id(self) -> int:
        while self._next_user_id in self.people or self._next_user_id in self.chats:
            self._next_user_id += 1
        user_id = self._next_user_id
        self._next_user_id += 1
        return user_id

    def new_supergroup_id(self) -> int:
        chat_id = -self._next_group_number
        self._next_group_number += 1
        return chat_id

    def new_query_id(self) -> str:
        self._next_query_id += 1
        return str(self._next_query_id)

    def new_media_group_id(self) -> str:
        self._next_media_group += 1
        return str(self._next_media_group)

    def new_update_base(self) -> int:
        return self._random.randint(100_000_000, 900_000_000)

    def choose(self, options: list[int]) -> int:
        return self._random.choice(options)

    # -- lookups --------------------------------------------------------------------------

    def bot(self, token: str) -> BotAccount | None:
        return self.bots.get(token)

    def person(self, user_id: int) -> Person:
        person = self.people.get(user_id)
        if person is None:
            raise ScenarioError(f"no user {user_id}; create one with add_user()")
        return person

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ScenarioError(f"no chat {chat_id}")
        return chat

    def bot_ids(self) -> set[int]:
        return {bot.id for bot in self.bots.values()}

    def user_object(self, user_id: int) -> JSON | None:
        person = self.people.get(user_id)
        if person is not None:
            return dict(person.user)
        for bot in self.bots.values():
            if bot.id == user_id:
                return dict(bot.user)
        return None

    # -- faults ---------------------------------------------------------------------------

    def take_fault(self, method: str, chat_id: Any) -> FakeError | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault.error
        return None
