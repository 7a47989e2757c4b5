"""Playing a chaos fault on one call: draw it, make its lasting effect real, and say how
the call must be answered.

A deleted topic or a blocked person is not just an error code: the topic really is gone
and the person really has blocked the bot, so the bot's next call fails the same way
and a benchmark sees what a real desk would."""

from __future__ import annotations

from dataclasses import dataclass

from .chaos import FaultKind
from .errors import FakeError
from .people import set_blocked
from .registry import Ctx


@dataclass(frozen=True)
class Injection:
    kind: FaultKind
    # The answer instead of serving the call; None means serve it, after `delay`.
    error: FakeError | None
    delay: float = 0.0


def inject(ctx: Ctx) -> Injection | None:
    """The chaos fault this call suffers, if any, with its effect on the world applied."""
    world, dice = ctx.world, ctx.world.chaos
    if dice.settings is None:
        return None
    chat_id = ctx.params.get("chat_id")
    chat = world.chats.get(chat_id) if isinstance(chat_id, int) else None
    thread_id = ctx.params.get("message_thread_id")
    topic = None
    if chat is not None and chat.is_forum and isinstance(thread_id, int):
        topic = chat.live_topic(thread_id)
    person = None
    if chat is not None and chat.type == "private" and chat.person_id is not None:
        person = world.people.get(chat.person_id)
        if person is not None and (person.blocked or person.deactivated):
            person = None  # already unreachable: nothing left to break
    kind = dice.draw(ctx.method, into_topic=topic is not None, to_person=person is not None)
    if kind is None:
        return None
    if kind == "thread_gone":
        assert chat is not None and topic is not None
        chat.delete_topic(topic)
        world.touch()
        return Injection(kind, FakeError.thread_not_found())
    if kind == "blocked":
        assert person is not None
        set_blocked(world, person, True)
        return Injection(kind, FakeError.blocked())
    if kind == "too_many":
        return Injection(kind, FakeError.too_many_requests(dice.retry_after()))
    if kind == "server_error":
        return Injection(kind, FakeError.server_error(dice.server_status()))
    if kind == "dropped":
        return Injection(kind, FakeError.connection_dropped(applied=dice.applied()))
    assert dice.settings is not None
    return Injection(kind, None, delay=dice.settings.slow_seconds)
