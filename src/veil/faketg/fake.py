"""`FakeTelegram`: the Python face of the fake, for tests, `veil demo` and benchmarks.

Set up bots, people and groups; start the HTTP server; act as people (see `people`);
read back what the bot did; script faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from types import EllipsisType

from .chaos import Chaos
from .errors import FakeError, ScenarioError
from .limits import RateLimits
from .messages import chat_ref, post, publish, publish_message, render
from .people import PersonActions
from .server import HttpServer, build_app
from .state import JSON, ApiCall, BotAccount, Chat, Fault, MemberStatus, Person, World
from .webhook import start_pusher

ThreadFilter = int | None | EllipsisType


class FakeTelegram(PersonActions):
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """`clock` gives the Unix time stamped on messages (`date`, `edit_date`)."""
        self._world = World(clock=clock)
        self._server: HttpServer | None = None
        self._started_at = time.monotonic()

    @property
    def world(self) -> World:
        """The raw state, for the fake's own modules and for unusual assertions."""
        return self._world

    # -- setup ------------------------------------------------------------------------------

    def add_bot(
        self, token: str, *, username: str = "veil_bot", first_name: str = "Scheduler"
    ) -> JSON:
        """Register a bot; its id is the number before the colon of its token."""
        head, _, secret = token.partition(":")
        if not head.isdigit() or not secret:
            raise ScenarioError(f"a bot token looks like '123456:ABC-secret', not {token!r}")
        if token in self._world.bots:
            raise ScenarioError(f"bot {head} already exists")
        user = {"id": int(head), "is_bot": True, "first_name": first_name, "username": username}
        self._world.bots[token] = BotAccount(token, user, self._world.new_update_base())
        return dict(user)

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone: str | None = None,
    ) -> int:
        """Create a person and their private chat with the bot (chat id == user id)."""
        user_id = self._world.new_user_id()
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value:
                user[key] = value
        self._world.people[user_id] = Person(user, phone=phone)
        self._world.chats[user_id] = Chat(user_id, "private", person_id=user_id)
        return user_id

    def add_supergroup(
        self,
        title: str,
        *,
        is_forum: bool = True,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        owner: int | None = None,
    ) -> int:
        """Create a supergroup (a forum unless told otherwise); every bot is an admin."""
        chat_id = self._world.new_supergroup_id()
        chat = Chat(chat_id, "supergroup", title=title, is_forum=is_forum)
        self._world.chats[chat_id] = chat
        for user_id in members:
            self.add_member(chat_id, user_id)
        for user_id in admins:
            self.add_member(chat_id, user_id, status="administrator")
        if owner is not None:
            self.add_member(chat_id, owner, status="creator")
        return chat_id

    def member_status(self, chat_id: int, user_id: int) -> str:
        """A person's standing in a group: member, administrator, left, kicked..."""
        return self._world.chat(chat_id).members.get(user_id, "left")

    def add_member(
        self, chat_id: int, user_id: int, *, status: MemberStatus = "member", announce: bool = False
    ) -> None:
        """Put a person in a group. With announce=True the bots also get the join as
        Telegram shows it: a new_chat_members message (and a chat_member update for bots
        that asked for those)."""
        person = self._world.person(user_id)
        chat = self._world.chat(chat_id)
        if chat.type == "private":
            raise ScenarioError("private chats have no members to add")
        before = chat.members.get(user_id, "left")
        chat.members[user_id] = status
        if announce:
            message = post(
                self._world,
                chat,
                sender=person.user,
                content={"new_chat_members": [dict(person.user)]},
                sender_user=user_id,
            )
            publish_message(self._world, chat, message)
            publish(self._world, "chat_member", self._member_update(chat, person, before, status))
        self._world.touch()

    def _member_update(self, chat: Chat, person: Person, before: str, after: str) -> JSON:
        member = {"user": dict(person.user)}
        return {
            "chat": chat_ref(chat, self._world),
            "from": dict(person.user),
            "date": self._world.now(),
            "old_chat_member": {"status": before, **member},
            "new_chat_member": {"status": after, **member},
        }

    def user(self, user_id: int) -> JSON:
        """The User object of a person (or a bot)."""
        user = self._world.user_object(user_id)
        if user is None:
            raise ScenarioError(f"no user {user_id}")
        return user

    # -- the HTTP server --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the Bot API (and /_control/) on host:port; returns the base URL."""
        if self._server is not None:
            raise ScenarioError("already started")
        self._world.closing = False
        self._started_at = time.monotonic()
        server = HttpServer(build_app(self))
        url = await server.start(host, port)
        self._server = server
        for bot in self._world.bots.values():
            if bot.webhook is not None:  # a webhook set before a restart keeps working
                start_pusher(self._world, bot)
        return url

    async def stop(self) -> None:
        """Answer waiting long polls, stop webhooks, close the server."""
        server, self._server = self._server, None
        if server is None:
            return
        self._world.closing = True
        self._world.touch()
        try:
            await server.stop(self._world)
        finally:
            self._world.closing = False

    @property
    def url(self) -> str | None:
        return None if self._server is None else self._server.url

    # -- what admins and Telegram itself do ---------------------------------------------------

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic in the app: its messages go, sends to it fail."""
        chat = self._world.chat(chat_id)
        topic = chat.live_topic(thread_id)
        if topic is None:
            raise ScenarioError(f"no topic {thread_id} in chat {chat_id}")
        chat.delete_topic(topic)
        self._world.touch()

    def migrate_group(self, chat_id: int) -> int:
        """The group moves to a new supergroup id; calls naming the old id then fail with
        400 and parameters.migrate_to_chat_id. Returns the new id."""
        world = self._world
        old = world.chat(chat_id)
        if old.type != "supergroup" or old.migrated_to is not None:
            raise ScenarioError(f"chat {chat_id} can't migrate")
        new = Chat(world.new_supergroup_id(), "supergroup", old.title, old.is_forum)
        new.members = dict(old.members)
        world.chats[new.id] = new
        old.migrated_to = new.id
        # Someone has to be the author of the two service messages: a member, else a bot.
        authors = [world.people[u].user for u in old.members if u in world.people]
        authors += [bot.user for bot in world.bots.values()]
        if authors:
            sender = authors[0]
            for chat, content in (
                (old, {"migrate_to_chat_id": new.id}),
                (new, {"migrate_from_chat_id": old.id}),
            ):
                publish_message(world, chat, post(world, chat, sender=sender, content=content))
        world.touch()
        return new.id

    # -- reading --------------------------------------------------------------------------------

    def messages(self, chat_id: int, thread_id: ThreadFilter = ...) -> list[JSON]:
        """Every message in the chat as it is now (edits applied, deletions gone), oldest
        first. thread_id: a topic; None = outside topics (General); ... = all."""
        chat = self._world.chat(chat_id)
        return [
            render(chat, message)
            for message in chat.messages.values()
            if not message.deleted and (thread_id is ... or message.thread_id == thread_id)
        ]

    def message(self, chat_id: int, message_id: int) -> JSON:
        chat = self._world.chat(chat_id)
        message = chat.live_message(message_id)
        if message is None:
            state = "was deleted" if message_id in chat.messages else "does not exist"
            raise ScenarioError(f"message {message_id} in chat {chat_id} {state}")
        return render(chat, message)

    def bot_messages(self, chat_id: int, thread_id: ThreadFilter = ...) -> list[JSON]:
        """Only the messages a bot sent."""
        bots = self._world.bot_ids()
        return [m for m in self.messages(chat_id, thread_id) if m["from"]["id"] in bots]

    def reply_keyboard(self, chat_id: int) -> JSON | None:
        """The ReplyKeyboardMarkup the person currently sees under the input field, if any
        (the last one the bot sent, until a ReplyKeyboardRemove)."""
        return self._world.chat(chat_id).reply_keyboard

    def topics(self, chat_id: int) -> dict[int, JSON]:
        """thread_id -> {"name", "icon_color", "closed", "deleted"}, deleted ones included."""
        return {
            topic.thread_id: {
                "name": topic.name,
                "icon_color": topic.icon_color,
                "closed": topic.closed,
                "deleted": topic.deleted,
            }
            for topic in self._world.chat(chat_id).topics.values()
        }

    def posted_at(self, chat_id: int, message_id: int) -> float:
        """When the message was stored, in the clock's scale (Unix time by default) with
        sub-second precision; deleted messages included. For measuring delivery."""
        message = self._world.chat(chat_id).messages.get(message_id)
        if message is None:
            raise ScenarioError(f"message {message_id} in chat {chat_id} does not exist")
        return message.posted_at

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API call so far, in the order they finished."""
        return self._world.calls

    def answered(self, status: int) -> int:
        """How many calls were answered with this HTTP status (429 counts flood limits,
        chaos and scripted faults alike; dropped calls have no status)."""
        return sum(1 for call in self._world.calls if call.status == status)

    @property
    def callback_answers(self) -> dict[str, JSON]:
        return self._world.callback_answers

    @property
    def unknown_methods(self) -> list[str]:
        return self._world.unknown_methods

    def pending_updates(self, token: str) -> list[JSON]:
        """Updates not yet confirmed by the bot."""
        bot = self._world.bot(token)
        if bot is None:
            raise ScenarioError(f"no bot with token {token!r}")
        return [dict(update) for update in bot.updates]

    # The timeout parameter is part of the contract other code is written against.
    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        stall: float | None = None,
    ) -> None:
        """Return once `predicate()` holds, re-checking after every change of state.

        With `stall`, fail only once the bots made no progress (no Bot API call but empty
        getUpdates) for that long, `timeout` being the limit in all: a slow, busy machine
        then takes longer instead of failing a test, while a bot that is stuck still fails
        it after `stall` seconds. The stall is counted from the wait's start at the
        earliest: a bot that was quiet before (nothing asked of it) gets its full window.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        began = time.monotonic()
        while not predicate():
            now = loop.time()
            left = deadline - now
            if stall is not None:
                idle = time.monotonic() - max(self._last_progress(), began)
                left = min(left, stall - idle)
            if left <= 0:
                recent = ", ".join(f"{c.method}({c.outcome})" for c in self._world.calls[-8:])
                name = getattr(predicate, "__qualname__", repr(predicate))
                why = f"no progress for {stall}s" if now < deadline else f"after {timeout}s"
                raise TimeoutError(
                    f"wait_for: {name} still false ({why}); "
                    f"last Bot API calls: [{recent or 'none'}]"
                )
            await self._world.changed(left)

    def _last_progress(self) -> float:
        """When a bot last did something: any call but a getUpdates that got nothing."""
        for call in reversed(self._world.calls):
            if call.method != "getUpdates" or call.result:
                return call.at
        return self._started_at

    # -- faults and limits -----------------------------------------------------------------------

    def fail_next(
        self,
        error: FakeError,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        """The next `count` calls matching method (any but getUpdates when None) and chat_id
        (any when None) get `error` instead of being served."""
        method_key = None if method is None else method.lower()
        self._world.faults.append(Fault(error, method_key, chat_id, count))

    @property
    def limits(self) -> RateLimits | None:
        """Telegram's flood limits; None (the default) means unlimited."""
        return self._world.limiter.limits

    @limits.setter
    def limits(self, value: RateLimits | None) -> None:
        self._world.limiter.limits = value

    @property
    def chaos(self) -> Chaos | None:
        """Faults injected at a rate into the bot's sends and edits; None (the default)
        means none. Setting it (again) restarts the random sequence from its seed."""
        return self._world.chaos.settings

    @chaos.setter
    def chaos(self, value: Chaos | None) -> None:
        self._world.chaos.configure(value)

    @property
    def chaos_counts(self) -> dict[str, int]:
        """Fault kind -> how many chaos has injected since the fake was created."""
        return self._world.chaos.snapshot()
