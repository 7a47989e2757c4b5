"""The table of Bot API methods and the context each handler receives.

Handlers live in small modules (updates, sending, editing, chats) and register here with
`@method("camelCaseName")`; lookup is case-insensitive like Telegram's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import FakeError
from .state import JSON, BotAccount, Chat, Person, StoredMessage, World

Handler = Callable[["Ctx"], Awaitable[Any]]
H = TypeVar("H", bound=Handler)

# lower-cased name -> (canonical name, handler)
METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str) -> Callable[[H], H]:
    def register(handler: H) -> H:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(name: str) -> tuple[str, Handler] | None:
    return METHODS.get(name.lower())


@dataclass
class Ctx:
    world: World
    bot: BotAccount
    params: dict[str, Any]
    method: str

    # -- parameters -------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return self.params.get(name) is not None

    def req_int(self, name: str) -> int:
        value = self.params.get(name)
        if value is None or value == "":
            raise FakeError.bad_request(f"{name} is empty")
        if isinstance(value, bool) or not isinstance(value, int):
            raise FakeError.bad_request(f"invalid {name} specified")
        return value

    def opt_int(self, name: str) -> int | None:
        return None if self.params.get(name) in (None, "") else self.req_int(name)

    def req_str(self, name: str, *, empty: str | None = None) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            raise FakeError.bad_request(empty or f"{name} is empty")
        if not isinstance(value, str):
            raise FakeError.bad_request(f"invalid {name} specified")
        return value

    def opt_str(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)

    def flag(self, name: str) -> bool:
        return self.params.get(name) is True

    def req_float(self, name: str) -> float:
        value = self.params.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FakeError.bad_request(f"{name} is empty")
        return float(value)

    def opt_dict(self, name: str) -> JSON | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise FakeError.bad_request(f"can't parse {name} JSON object")
        return value

    def opt_list(self, name: str) -> list[Any] | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise FakeError.bad_request(f"can't parse {name} JSON array")
        return value

    # -- chats as this bot sees them ----------------------------------------------------

    def chat(self, name: str = "chat_id") -> Chat:
        """The chat a parameter names, with the errors Telegram gives for it."""
        value = self.params.get(name)
        if value is None or value == "":
            raise FakeError.bad_request("chat_id is empty")
        chat = self.world.chats.get(value) if isinstance(value, int) else None
        if chat is None:
            raise FakeError.chat_not_found()
        if chat.migrated_to is not None:
            raise FakeError.migrated(chat.migrated_to)
        return chat

    def writable_chat(self, name: str = "chat_id") -> Chat:
        """A chat this bot may post into: a private chat whose person has not blocked the
        bot and still exists."""
        chat = self.chat(name)
        person = self.person_of(chat)
        if person is not None:
            if person.deactivated:
                raise FakeError.deactivated()
            if person.blocked:
                raise FakeError.blocked()
        return chat

    def person_of(self, chat: Chat) -> Person | None:
        if chat.type != "private" or chat.person_id is None:
            return None
        return self.world.people.get(chat.person_id)

    def message_in(self, chat: Chat, name: str, missing: str) -> StoredMessage:
        message = chat.live_message(self.req_int(name))
        if message is None:
            raise FakeError.bad_request(missing)
        return message
