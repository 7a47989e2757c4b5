"""Faults at a rate: `tg.chaos = Chaos(too_many=0.2, dropped=0.01, seed=7)`.

Where `fail_next` scripts one fault for one call, chaos makes a share of the bot's calls
fail the way a busy Telegram does, for benchmarks and soak tests. Only the bot's own
writes are hit (see `CHAOS_METHODS`): polling and setup stay clean, as a fault there
tests nothing but the bot's start-up.

This module holds the settings and the dice; `injection` plays the drawn fault."""

from __future__ import annotations

import random
import typing
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["thread_gone", "blocked", "too_many", "server_error", "dropped", "slow"]
# Checked in this order, at most one fault per call: the world-changing faults first, so
# a high transport-fault rate can't starve them.
FAULT_KINDS: tuple[FaultKind, ...] = typing.get_args(FaultKind)

# Methods that put a new message somewhere: the only ones a deleted topic or a blocked
# person can break.
POSTING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendVideo",
        "sendAudio",
        "sendDocument",
        "sendVoice",
        "sendVideoNote",
        "sendAnimation",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Every method chaos may hit: what the bot does while serving people.
CHAOS_METHODS = POSTING_METHODS | {
    "sendChatAction",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
    "createForumTopic",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "pinChatMessage",
    "unpinChatMessage",
    "banChatMember",
    "unbanChatMember",
}
# Never hit: polling, webhooks, the bot's profile and lookups done at start-up. A test
# checks that every registered method is in exactly one of the two sets.
SPARED_METHODS = frozenset(
    {
        "getUpdates",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "getMe",
        "logOut",
        "close",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "setMyName",
        "getMyName",
        "setMyDescription",
        "getMyDescription",
        "setMyShortDescription",
        "getMyShortDescription",
        "setChatMenuButton",
        "getChatMenuButton",
        "getChat",
        "getChatMember",
        "getChatAdministrators",
        "getChatMemberCount",
        "createChatInviteLink",
        "getFile",
    }
)


@dataclass(frozen=True)
class Chaos:
    """Per-call probabilities (0..1) of each fault, all off by default.

    too_many      429 with parameters.retry_after, uniformly 1..retry_after_max seconds
    server_error  500, 502 or 503
    slow          the call is served after slow_seconds, successfully
    dropped       the connection closes with no HTTP answer; with probability
                  dropped_applied the call took effect first
    thread_gone   a send into a forum topic: the topic really is deleted, 400
    blocked       a send to a person's private chat: they really block the bot, 403
    seed          makes the draws reproducible for the same sequence of calls
    """

    too_many: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    dropped: float = 0.0
    thread_gone: float = 0.0
    blocked: float = 0.0
    retry_after_max: int = 5
    slow_seconds: float = 2.0
    dropped_applied: float = 0.5
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in (*FAULT_KINDS, "dropped_applied"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, not {value!r}")
        if not _is_whole(self.retry_after_max) or self.retry_after_max < 1:
            raise ValueError("retry_after_max must be a whole number of seconds, at least 1")
        if not _is_number(self.slow_seconds) or self.slow_seconds < 0:
            raise ValueError("slow_seconds must be a number of seconds, at least 0")
        if self.seed is not None and not _is_whole(self.seed):
            raise ValueError("seed must be an integer or null")

    def rate(self, kind: FaultKind) -> float:
        return float(getattr(self, kind))


# JSON true is an int to Python; refuse it where a number is meant.
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ChaosDice:
    """The current settings, their random source and what was injected so far."""

    def __init__(self) -> None:
        self.settings: Chaos | None = None
        self.counts: Counter[FaultKind] = Counter()
        self._random = random.Random()

    def configure(self, settings: Chaos | None) -> None:
        self.settings = settings
        # A new seed restarts the sequence, so a run can be replayed from this point.
        self._random = random.Random(None if settings is None else settings.seed)

    def draw(self, method: str, *, into_topic: bool, to_person: bool) -> FaultKind | None:
        """Which fault, if any, this call suffers; counted as injected."""
        settings = self.settings
        if settings is None or method not in CHAOS_METHODS:
            return None
        for kind in FAULT_KINDS:
            rate = settings.rate(kind)
            if rate <= 0 or not self._fits(kind, method, into_topic, to_person):
                continue
            if self._random.random() < rate:
                self.counts[kind] += 1
                return kind
        return None

    @staticmethod
    def _fits(kind: FaultKind, method: str, into_topic: bool, to_person: bool) -> bool:
        if kind == "thread_gone":
            return into_topic and method in POSTING_METHODS
        if kind == "blocked":
            return to_person and method in POSTING_METHODS
        return True

    def retry_after(self) -> int:
        assert self.settings is not None
        return self._random.randint(1, self.settings.retry_after_max)

    def server_status(self) -> int:
        return self._random.choice((500, 502, 503))

    def applied(self) -> bool:
        assert self.settings is not None
        return self._random.random() < self.settings.dropped_applied

    def snapshot(self) -> dict[str, int]:
        return {kind: self.counts[kind] for kind in FAULT_KINDS}
